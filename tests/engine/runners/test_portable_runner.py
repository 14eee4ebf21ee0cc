"""PortableRunner: load_from / --resume need no pretrained (K710) file."""
import copy
import pytest
import torch
from mmaction.registry import MODELS, RUNNERS
from mmengine.config import Config

from tests.conftest import REPO_ROOT

CONFIG = REPO_ROOT / 'configs' / 'synthetic' / 'mome_synthetic.py'


def build_runner(cfg):
    """As MMAction2's tools/train.py: the config's runner_type."""
    return RUNNERS.build(cfg)


def tiny_config(data_root, work_dir, missing_k710):
    """mome_synthetic.py on the test data, 2 steps a run, its experts
    starting from a Pretrained file that does not exist, lr 0 so a run
    keeps the weights it starts from."""
    cfg = Config.fromfile(CONFIG)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(data_root)
    cfg.train_dataloader.dataset.indices = 16
    cfg.val_dataloader.dataset.indices = 8
    cfg.train_cfg.max_epochs = 1
    cfg.optim_wrapper.optimizer.lr = 0.
    cfg.param_scheduler = None
    cfg.model.backbone.init_cfg = [
        dict(
            type='Pretrained',
            checkpoint=str(missing_k710),
            prefix='backbone.')
    ]
    cfg.work_dir = str(work_dir)
    return cfg


def run_log(work_dir):
    return next(work_dir.glob('*/*.log')).read_text()


def test_load_from_skips_the_missing_pretrained_file(synthetic_driveact_root,
                                                     tmp_path):
    missing = tmp_path / 'no_k710.pth'
    cfg = tiny_config(synthetic_driveact_root, tmp_path / 'run', missing)
    torch.manual_seed(5)
    weights = MODELS.build(cfg.model).state_dict()
    torch.save(dict(state_dict=weights), tmp_path / 'mome.pth')
    cfg.load_from = str(tmp_path / 'mome.pth')
    runner = build_runner(cfg)
    runner.train()
    for key, value in runner.model.state_dict().items():
        assert torch.equal(value, weights[key]), key
    log = run_log(tmp_path / 'run')
    for name in ('rgb', 'ir', 'depth'):
        assert (
            f"Pretrained checkpoint {str(missing)!r} of "
            f'backbone.experts.{name}: not found, skipped, the weights '
            f"come from {tmp_path / 'mome.pth'} (load_from / --resume)") in log


@pytest.mark.slow
def test_resume_skips_it_only_when_there_is_a_checkpoint(
        synthetic_driveact_root, tmp_path):
    missing = tmp_path / 'no_k710.pth'
    cfg = tiny_config(synthetic_driveact_root, tmp_path / 'run', missing)
    cfg.resume = True
    with pytest.raises(FileNotFoundError, match='no_k710.pth'):
        build_runner(copy.deepcopy(cfg)).train()  # nothing to resume from

    first = copy.deepcopy(cfg)
    first.model.backbone.init_cfg = None
    first.resume = False
    build_runner(first).train()
    cfg.train_cfg.max_epochs = 2
    runner = build_runner(cfg)
    runner.train()
    assert runner.epoch == 2
    assert (
        f"{str(missing)!r} of backbone.experts.rgb: not found, skipped, "
        f"the weights come from {tmp_path / 'run' / 'epoch_1.pth'}") in max(
            (tmp_path / 'run').glob('*/*.log')).read_text()
