"""--resume is exact with 2 persistent loader workers: our synthetic config
(SampleSeededSampler) and a plain MMAction2 config (DefaultSampler,
VideoDataset) through tools/train.py."""
import pytest
import torch
from mmengine.config import Config

from mome_mmaction.utils import load_checkpoint_weights_only
from tests.conftest import REPO_ROOT, run_tool

pytestmark = pytest.mark.slow  # three trainings a test

CONFIG = REPO_ROOT / 'configs/synthetic/mome_htl_synthetic.py'
SMOKE_CONFIG = (
    REPO_ROOT / 'configs/synthetic/smoke_recognizer3d_motion_videos.py')
WORKERS = [
    'train_dataloader.num_workers=2',
    'train_dataloader.persistent_workers=True'
]


def assert_same_weights(straight_dir, resumed_dir):
    straight, resumed = (
        load_checkpoint_weights_only(str(work_dir /
                                         'epoch_2.pth'))['state_dict']
        for work_dir in (straight_dir, resumed_dir))
    assert straight.keys() == resumed.keys()
    for name, weight in straight.items():
        assert torch.equal(weight, resumed[name]), name


def _train(root, work_dir, epochs, *extra):
    options = [
        f'{loader}.dataset.data_root={root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=10',
        'train_dataloader.dataset.indices=24', *WORKERS
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
    assert_same_weights(tmp_path / 'straight', tmp_path / 'stopped')


def test_plain_config_with_default_sampler_and_persistent_workers_resumes(
        motion_videos_workspace, tmp_path):
    """A plain MMAction2 config (no runner_type, custom_imports or custom
    hooks; DefaultSampler, VideoDataset) with 2 persistent workers: exact,
    through PortableRunner, which says how (not just a warning)."""
    cfg = Config.fromfile(SMOKE_CONFIG)
    for key in ('runner_type', 'custom_hooks', 'custom_imports'):
        cfg.pop(key)
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
    config = tmp_path / 'plain_mmaction_config.py'
    cfg.dump(config)

    def train(work_dir, epochs, *extra):
        result = run_tool([
            'tools/train.py', config, '--work-dir', work_dir, *extra,
            '--cfg-options', f'train_cfg.max_epochs={epochs}',
            'train_cfg.val_interval=10', 'train_dataloader.dataset.indices=8',
            *WORKERS
        ],
                          cwd=motion_videos_workspace)
        return result.stdout + result.stderr

    log = train(tmp_path / 'straight', 2)
    assert ('train_dataloader: DefaultSampler with 2 persistent loader '
            'workers runs as SampleSeededSampler') in log
    assert '--resume will not be exact' not in log
    train(tmp_path / 'stopped', 1)
    assert 'resumed epoch: 1' in train(tmp_path / 'stopped', 2, '--resume')
    assert_same_weights(tmp_path / 'straight', tmp_path / 'stopped')
