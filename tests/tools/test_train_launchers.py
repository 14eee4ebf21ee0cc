"""Real launches of tools/train.py, tools/dist_train.sh and tools/dist_test.sh.

They run a plain MMAction2 config, as MMAction2's own configs are: no
``runner_type``, no custom hooks, no ``custom_imports``, NCCL in
``env_cfg``; our tools give it the CPU (gloo) launch, exact resume and the
non-finite guard without editing it.
"""
import json
import math
import os
import pytest
import re
import signal
import subprocess
import sys
import torch
from mmengine.config import Config

from mome_mmaction.utils import load_checkpoint_weights_only
from tests.conftest import REPO_ROOT, free_port, run_tool

SMOKE_CONFIG = (
    REPO_ROOT / 'configs/synthetic/smoke_recognizer3d_motion_videos.py')
ADDED_RUNNER = 'sets no runner_type: running it with PortableRunner'
ADDED_HOOKS = ('PortableRunner added custom hooks RNGStateHook, '
               'NonFiniteGuardHook')

pytestmark = pytest.mark.slow  # every test launches trainings


@pytest.fixture(scope='module')
def plain_config(motion_videos_workspace):
    """The smoke config as a plain MMAction2 config in the workspace."""
    cfg = Config.fromfile(SMOKE_CONFIG)
    for key in ('runner_type', 'custom_hooks', 'custom_imports'):
        cfg.pop(key)
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    path = motion_videos_workspace / 'plain_mmaction_config.py'
    cfg.dump(path)
    return path


def train_losses(work_dir):
    """Training losses logged in ``vis_data/scalars.json`` of a run."""
    scalars = next(work_dir.glob('*/vis_data/scalars.json'))
    return [
        json.loads(line)['loss'] for line in scalars.read_text().splitlines()
        if '"loss"' in line
    ]


def test_dist_train_and_test_with_two_cpu_processes(motion_videos_workspace,
                                                    plain_config):
    work_dir = motion_videos_workspace / 'work_dirs' / 'dist'
    train = run_tool([
        'tools/dist_train.sh', plain_config, 2, '--work-dir', work_dir,
        '--cfg-options', 'train_cfg.max_epochs=1'
    ],
                     cwd=motion_videos_workspace)
    log = train.stdout + train.stderr
    # 24 training videos, batch 4: 3 iterations per rank means 2 ranks
    # split the data (one process would run 6).
    assert 'Epoch(train) [1][3/3]' in log
    assert ADDED_RUNNER in log and ADDED_HOOKS in log
    assert re.search(r'Distributed launcher: pytorch', log)
    assert re.search(r'Distributed training: True', log)
    losses = train_losses(work_dir)
    assert losses and all(math.isfinite(loss) for loss in losses)
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()

    test = run_tool([
        'tools/dist_test.sh', plain_config, checkpoint, 2, '--work-dir',
        work_dir / 'test'
    ],
                    cwd=motion_videos_workspace)
    found = re.search(r'Epoch\(test\).*acc/top1: ([\d.]+)',
                      test.stdout + test.stderr)
    assert found and 0 <= float(found.group(1)) <= 1


def test_two_nodes_of_one_process_each_train_together(motion_videos_workspace,
                                                      plain_config):
    """A multi-node launch as far as one machine allows: NNODES=2 with
    NODE_RANK 0 and 1 on localhost (MASTER_ADDR, PORT), one process per
    "node", rendezvous through tools/dist_train.sh's torchrun."""
    work_dir = motion_videos_workspace / 'work_dirs' / 'two_nodes'
    port = str(free_port())
    nodes = [
        subprocess.Popen([
            'bash',
            str(REPO_ROOT / 'tools/dist_train.sh'),
            str(plain_config), '1', '--work-dir',
            str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1'
        ],
                         cwd=motion_videos_workspace,
                         env=dict(
                             os.environ,
                             PYTHON=sys.executable,
                             OMP_NUM_THREADS='1',
                             NNODES='2',
                             NODE_RANK=str(rank),
                             MASTER_ADDR='127.0.0.1',
                             PORT=port),
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True) for rank in (0, 1)
    ]
    logs = [node.communicate(timeout=600)[0] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], logs[0][-3000:]
    # 24 training videos, batch 4, world size 2: 3 iterations per rank.
    assert 'Epoch(train) [1][3/3]' in logs[0], logs[0][-3000:]
    assert re.search(r'Distributed training: True', logs[0])
    assert (work_dir / 'epoch_1.pth').is_file()


@pytest.fixture(scope='module')
def straight_run(motion_videos_workspace, plain_config):
    """2 epochs of the plain config, uninterrupted: its final checkpoint."""
    work_dir = motion_videos_workspace / 'work_dirs' / 'straight'
    run_tool([
        'tools/train.py', plain_config, '--work-dir', work_dir,
        '--cfg-options', 'train_cfg.max_epochs=2'
    ],
             cwd=motion_videos_workspace)
    return load_checkpoint_weights_only(str(work_dir / 'epoch_2.pth'))


def resume_to_two_epochs(workspace, config, work_dir) -> dict:
    """``--resume`` in ``work_dir`` to 2 epochs; the final checkpoint."""
    resumed = run_tool([
        'tools/train.py', config, '--work-dir', work_dir, '--resume',
        '--cfg-options', 'train_cfg.max_epochs=2'
    ],
                       cwd=workspace)
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    return load_checkpoint_weights_only(str(work_dir / 'epoch_2.pth'))


def assert_same_run(expected: dict, actual: dict) -> None:
    assert expected['state_dict'].keys() == actual['state_dict'].keys()
    for name, weight in expected['state_dict'].items():
        assert torch.equal(weight, actual['state_dict'][name]), name
    assert actual['meta']['epoch'] == 2
    assert len(actual['meta']['rng_state']) == 1


def test_resume_matches_an_uninterrupted_run(motion_videos_workspace,
                                             plain_config, straight_run):
    """Train 2 epochs straight vs. 1 epoch, stop, --resume to 2 epochs.

    Random crops, dropout, shuffling and a validation pass between epochs
    all draw random numbers: the weights match only if model, optimizer,
    scheduler, epoch/iter and the random states are all restored.
    """
    stopped = motion_videos_workspace / 'work_dirs' / 'stopped'
    run_tool([
        'tools/train.py', plain_config, '--work-dir', stopped, '--cfg-options',
        'train_cfg.max_epochs=1'
    ],
             cwd=motion_videos_workspace)
    assert_same_run(
        straight_run,
        resume_to_two_epochs(motion_videos_workspace, plain_config, stopped))


def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(
        motion_videos_workspace, plain_config, straight_run):
    """The 2-epoch run killed (SIGKILL) in the middle of epoch 2 resumes
    from epoch 1's checkpoint and ends with the uninterrupted weights."""
    killed = motion_videos_workspace / 'work_dirs' / 'killed'
    process = subprocess.Popen([
        sys.executable,
        str(REPO_ROOT / 'tools/train.py'),
        str(plain_config), '--work-dir',
        str(killed), '--cfg-options', 'train_cfg.max_epochs=2'
    ],
                               cwd=motion_videos_workspace,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               text=True,
                               env=dict(
                                   os.environ,
                                   PYTHONUNBUFFERED='1',
                                   OMP_NUM_THREADS='1'))
    log = []
    for line in process.stdout:
        log.append(line)
        if re.search(r'Epoch\(train\) +\[2\]\[2/6\]', line):
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, ''.join(log[-30:])
    assert (killed / 'epoch_1.pth').is_file()
    assert not (killed / 'epoch_2.pth').exists()
    assert_same_run(
        straight_run,
        resume_to_two_epochs(motion_videos_workspace, plain_config, killed))


def test_a_config_setting_its_runner_keeps_it(motion_videos_workspace,
                                              plain_config):
    result = run_tool([
        'tools/train.py', plain_config, '--work-dir',
        motion_videos_workspace / 'work_dirs' / 'own_runner', '--cfg-options',
        'runner_type=Runner', 'train_cfg.max_epochs=1'
    ],
                      cwd=motion_videos_workspace)
    log = result.stdout + result.stderr
    assert ADDED_RUNNER not in log and 'PortableRunner' not in log


def test_a_nan_loss_stops_training_with_the_iteration(motion_videos_workspace,
                                                      plain_config):
    work_dir = motion_videos_workspace / 'work_dirs' / 'nan'
    result = subprocess.run([
        sys.executable,
        str(REPO_ROOT / 'tools/train.py'),
        str(plain_config), '--work-dir',
        str(work_dir), '--cfg-options', 'optim_wrapper.optimizer.lr=1e12',
        'train_cfg.max_epochs=3'
    ],
                            cwd=motion_videos_workspace,
                            capture_output=True,
                            text=True,
                            timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    found = re.search(
        r'NonFiniteTrainingError: non-finite training step at '
        r'iteration (\d+) \(epoch 1, batch \d+\): .*loss=nan', log)
    assert found, log[-3000:]
    assert not list(work_dir.glob('*.pth'))


def test_two_identical_runs_give_identical_weights(motion_videos_workspace,
                                                   plain_config, straight_run):
    again = motion_videos_workspace / 'work_dirs' / 'again'
    run_tool([
        'tools/train.py', plain_config, '--work-dir', again, '--cfg-options',
        'train_cfg.max_epochs=2'
    ],
             cwd=motion_videos_workspace)
    assert_same_run(straight_run,
                    load_checkpoint_weights_only(str(again / 'epoch_2.pth')))
