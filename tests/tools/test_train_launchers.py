"""Real launches of tools/train.py, tools/dist_train.sh and tools/dist_test.sh."""
import json
import math
import re

import torch

from mome_mmaction.utils import load_checkpoint_weights_only
from tests.conftest import REPO_ROOT, run_tool

SMOKE_CONFIG = REPO_ROOT / 'configs/synthetic/smoke_recognizer3d_motion_videos.py'


def train_losses(work_dir):
    """Training losses logged in ``vis_data/scalars.json`` of a run."""
    scalars = next(work_dir.glob('*/vis_data/scalars.json'))
    return [json.loads(line)['loss'] for line in scalars.read_text().splitlines()
            if '"loss"' in line]


def test_dist_train_and_test_with_two_cpu_processes(motion_videos_workspace):
    work_dir = motion_videos_workspace / 'work_dirs' / 'dist'
    train = run_tool([
        'tools/dist_train.sh', SMOKE_CONFIG, 2, '--work-dir', work_dir,
        '--cfg-options', 'train_cfg.max_epochs=1'
    ], cwd=motion_videos_workspace)
    log = train.stdout + train.stderr
    # 24 training videos, batch 4: 3 iterations per rank means 2 ranks
    # split the data (one process would run 6).
    assert 'Epoch(train) [1][3/3]' in log
    assert re.search(r'Distributed launcher: pytorch', log)
    assert re.search(r'Distributed training: True', log)
    losses = train_losses(work_dir)
    assert losses and all(math.isfinite(loss) for loss in losses)
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()

    test = run_tool(
        ['tools/dist_test.sh', SMOKE_CONFIG, checkpoint, 2, '--work-dir',
         work_dir / 'test'], cwd=motion_videos_workspace)
    found = re.search(r'Epoch\(test\).*acc/top1: ([\d.]+)',
                      test.stdout + test.stderr)
    assert found and 0 <= float(found.group(1)) <= 1


def test_resume_matches_an_uninterrupted_run(motion_videos_workspace):
    """Train 2 epochs straight vs. 1 epoch, stop, --resume to 2 epochs.

    Random crops, dropout, shuffling and a validation pass between epochs
    all draw random numbers: the weights match only if model, optimizer,
    scheduler, epoch/iter and the random states are all restored.
    """
    straight = motion_videos_workspace / 'work_dirs' / 'straight'
    interrupted = motion_videos_workspace / 'work_dirs' / 'interrupted'
    common = [SMOKE_CONFIG, '--cfg-options', 'train_cfg.max_epochs=2']
    run_tool(['tools/train.py', *common[:1], '--work-dir', straight,
              *common[1:]], cwd=motion_videos_workspace)
    run_tool(['tools/train.py', SMOKE_CONFIG, '--work-dir', interrupted,
              '--cfg-options', 'train_cfg.max_epochs=1'],
             cwd=motion_videos_workspace)
    resumed = run_tool(['tools/train.py', SMOKE_CONFIG, '--work-dir',
                        interrupted, '--resume', *common[1:]],
                       cwd=motion_videos_workspace)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr

    expected = load_checkpoint_weights_only(str(straight / 'epoch_2.pth'))
    actual = load_checkpoint_weights_only(str(interrupted / 'epoch_2.pth'))
    assert expected['state_dict'].keys() == actual['state_dict'].keys()
    for name, weight in expected['state_dict'].items():
        assert torch.equal(weight, actual['state_dict'][name]), name
    assert actual['meta']['epoch'] == 2
    assert len(actual['meta']['rng_state']) == 1
