"""MoME + HTL trained through the real synthetic Drive&Act pipeline."""
import json
import math
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from tests.conftest import REPO_ROOT

HTL_CONFIG = REPO_ROOT / 'configs/synthetic/mome_htl_synthetic.py'


def train(config,
          data_root,
          work_dir,
          max_epochs,
          load_from=None,
          cfg_options=None):
    """Train ``config`` on ``data_root`` without validation, logging every
    iteration; returns the logged training scalars, one dict per iteration."""
    cfg = Config.fromfile(config)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(data_root)
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 100
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    cfg.load_from = load_from
    cfg.merge_from_dict(cfg_options or {})
    Runner.from_cfg(cfg).train()
    scalars = next(work_dir.glob('*/vis_data/scalars.json'))
    return [
        json.loads(line) for line in scalars.read_text().splitlines()
        if '"loss"' in line
    ]


def decreases(values) -> bool:
    """The last quarter's mean is below the first quarter's."""
    quarter = max(1, len(values) // 4)
    return np.mean(values[-quarter:]) < np.mean(values[:quarter])


def fixed_batch_losses(data_root, steps, cfg_options):
    """Losses of ``steps`` optimizer steps of MoME + HTL on one real batch
    (decoded synthetic videos), so that changes come from training alone,
    not from which clips a batch holds."""
    cfg = Config.fromfile(HTL_CONFIG)
    cfg.merge_from_dict(cfg_options)
    cfg.train_dataloader.dataset.data_root = str(data_root)
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader)))
    return [{
        key: float(value)
        for key, value in model.train_step(batch, optim_wrapper).items()
    } for _ in range(steps)]


def test_htl_losses_are_logged_and_finite(synthetic_driveact_root, tmp_path):
    """tools/train.py's path: both HTL terms and the block weight reach the
    log, finite; the total is the sum of the loss terms only."""
    logs = train(HTL_CONFIG, synthetic_driveact_root, tmp_path, max_epochs=2)
    assert {
        'loss_cls', 'loss_htl_intra', 'loss_htl_inter', 'htl_block_weight_1',
        'gate_entropy'
    } <= set(logs[0])
    for key in ('loss_htl_intra', 'loss_htl_inter', 'loss'):
        assert all(math.isfinite(log[key]) for log in logs), key
    for log in logs:
        assert math.isclose(
            log['loss'],
            log['loss_cls'] + log['loss_htl_intra'] + log['loss_htl_inter'],
            rel_tol=1e-4)


@pytest.mark.slow
def test_htl_losses_decrease_in_training(synthetic_driveact_root):
    """With the paper's weights (alpha 0.01, beta 1) the inter-expert term,
    squared distances of C-dim expert outputs, dominates and decreases.

    The intra term is small, and with the teacher detached (the default) it
    cannot shrink in a 2-block expert: pulling block 1 towards block 2 moves
    block 2 (= block 1 + residual) along with it. With gradients into the
    teacher too (``detach_teacher=False``) and the upper hand (alpha 100,
    beta 0) it decreases."""
    paper = fixed_batch_losses(synthetic_driveact_root, 12,
                               {'model.htl_loss.beta': 1.})
    assert decreases([log['loss_htl_inter'] for log in paper])
    intra = fixed_batch_losses(
        synthetic_driveact_root, 12, {
            'model.htl_loss.alpha': 100.,
            'model.htl_loss.beta': 0.,
            'model.htl_loss.detach_teacher': False
        })
    assert decreases([log['loss_htl_intra'] for log in intra])
