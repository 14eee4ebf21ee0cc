"""--resume is exact with 2 persistent loader workers (SampleSeededSampler).
"""
import pytest
import torch

from mome_mmaction.utils import load_checkpoint_weights_only
from tests.conftest import REPO_ROOT, run_tool

pytestmark = pytest.mark.slow  # three trainings

CONFIG = REPO_ROOT / 'configs/synthetic/mome_htl_synthetic.py'


def _train(root, work_dir, epochs, *extra):
    options = [
        f'{loader}.dataset.data_root={root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=10',
        'train_dataloader.dataset.indices=24',
        'train_dataloader.num_workers=2',
        'train_dataloader.persistent_workers=True',
        'train_dataloader.sampler.type=SampleSeededSampler'
    ]
    result = run_tool([
        'tools/train.py', CONFIG, '--work-dir', work_dir, *extra,
        '--cfg-options', *options
    ],
                      cwd=REPO_ROOT)
    return result.stdout + result.stderr


def test_resume_with_two_persistent_workers_matches_a_straight_run(
        synthetic_driveact_root, tmp_path):
    root = synthetic_driveact_root
    _train(root, tmp_path / 'straight', 2)
    _train(root, tmp_path / 'stopped', 1)
    log = _train(root, tmp_path / 'stopped', 2, '--resume')
    assert 'resumed epoch: 1' in log
    straight, resumed = (
        load_checkpoint_weights_only(str(tmp_path / name /
                                         'epoch_2.pth'))['state_dict']
        for name in ('straight', 'stopped'))
    assert straight.keys() == resumed.keys()
    for name, weight in straight.items():
        assert torch.equal(weight, resumed[name]), name
