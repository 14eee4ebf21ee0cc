"""MoME + HTL trained through the real synthetic Drive&Act pipeline."""
import json
import math

import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from tests.conftest import REPO_ROOT

MOME_CONFIG = REPO_ROOT / 'configs/synthetic/mome_synthetic.py'
HTL_CONFIG = REPO_ROOT / 'configs/synthetic/mome_htl_synthetic.py'


def train(config, data_root, work_dir, max_epochs, load_from=None,
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
    return [json.loads(line) for line in scalars.read_text().splitlines()
            if '"loss"' in line]


def decreases(values) -> bool:
    """The last quarter's mean is below the first quarter's."""
    quarter = max(1, len(values) // 4)
    return np.mean(values[-quarter:]) < np.mean(values[:quarter])


def test_htl_losses_are_logged_finite_and_decrease(synthetic_driveact_root,
                                                    tmp_path):
    """As in the paper, HTL continues from experts that already learned
    (fresh experts' blocks all start alike and their HTL terms start near
    0), so MoME is trained without HTL first.

    With the paper's weights the inter-expert term (squared distances of
    C-dim expert outputs, beta = 1) dominates the gradient and decreases;
    the small intra term (alpha = 0.01) is logged but pulled along. Run on
    its own (alpha = 1, beta = 0) the intra term decreases too.
    """
    train(MOME_CONFIG, synthetic_driveact_root, tmp_path / 'mome',
          max_epochs=2)
    warm_start = str(tmp_path / 'mome' / 'epoch_2.pth')
    logs = train(HTL_CONFIG, synthetic_driveact_root, tmp_path / 'htl',
                 max_epochs=2, load_from=warm_start)
    assert {'loss_cls', 'loss_htl_intra', 'loss_htl_inter',
            'htl_block_weight_1', 'gate_entropy'} <= set(logs[0])
    for key in ('loss_htl_intra', 'loss_htl_inter', 'loss'):
        assert all(math.isfinite(log[key]) for log in logs), key
    assert decreases([log['loss_htl_inter'] for log in logs])
    # The total is the sum of the loss terms; the block weight and the gate
    # entropy are logged but not added.
    first = logs[0]
    assert math.isclose(
        first['loss'], first['loss_cls'] + first['loss_htl_intra'] +
        first['loss_htl_inter'], rel_tol=1e-4)

    intra_only = train(
        HTL_CONFIG, synthetic_driveact_root, tmp_path / 'intra',
        max_epochs=2, load_from=warm_start,
        cfg_options={'model.htl_loss.alpha': 1.0, 'model.htl_loss.beta': 0.})
    assert decreases([log['loss_htl_intra'] for log in intra_only])
