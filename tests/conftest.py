"""Shared fixtures: mmaction scope, generated data, running our tools."""
import importlib.util
import os
import pytest
import socket
import subprocess
import sys
import torch
from contextlib import contextmanager
from mmengine.config import Config
from mmengine.registry import init_default_scope
from pathlib import Path
from types import ModuleType
from typing import Iterable, Iterator, List

import mome_mmaction  # noqa: F401  (stack fixes, registers our components)
from mome_mmaction.datasets.synthetic import (make_motion_videos,
                                              make_synthetic_driveact)
from mome_mmaction.evaluation import best_checkpoint, newest_test_metrics

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The README's main job (bash tools/demo.sh): MoME+HTL, tiny experts.
MAIN_JOB_CONFIG = REPO_ROOT / 'configs/synthetic/mome_demo_synthetic.py'
#: The tiny UniFormerV2 expert's config (width 64, 2 blocks, 32x32, 4 frames).
TINY_EXPERT = Config.fromfile(
    REPO_ROOT /
    'configs/_base_/models/uniformerv2_tiny.py').model.backbone.to_dict()


def pytest_configure(config) -> None:
    config.addinivalue_line(
        'markers', 'slow: full-size models, multi-process launches and '
        'trainings of more than a few steps or through our tools (every '
        'synthetic config but the main job); the fast loop is -m "not slow"')


@pytest.fixture(autouse=True)
def mmaction_scope():
    """Build components from config dicts in MMAction2's scope, as configs
    with ``default_scope = 'mmaction'`` do."""
    init_default_scope('mmaction')


@pytest.fixture(scope='session')
def synthetic_driveact_root(tmp_path_factory):
    """A small synthetic Drive&Act (6 participants, 5 classes, 3 views),
    written once per test session; tests must not modify it (copy first)."""
    root = tmp_path_factory.mktemp('synthetic_driveact')
    make_synthetic_driveact(root, seed=0, annotations_per_class=1)
    return root


@pytest.fixture(scope='session')
def motion_videos_workspace(tmp_path_factory) -> Path:
    """A folder with ``data/motion_videos`` as the smoke config expects."""
    workspace = tmp_path_factory.mktemp('motion_workspace')
    make_motion_videos(workspace / 'data' / 'motion_videos', seed=0)
    return workspace


def free_port() -> int:
    """A TCP port on localhost nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def labelled_samples(labels: Iterable[int]) -> list:
    """One ``ActionDataSample`` per class index in ``labels``."""
    from mmaction.structures import ActionDataSample
    return [ActionDataSample().set_gt_label(label) for label in labels]


def load_benchmark(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(
        name, REPO_ROOT / 'benchmarks' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(args: List[str],
             cwd: Path,
             timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command from the repo's ``tools/`` with this interpreter.

    ``args[0]`` is a tool path relative to the repo root; ``.sh`` tools run
    under bash with ``PYTHON`` set to this interpreter and a free ``PORT``.
    Fails the test with the command's output if it exits non-zero.
    """
    tool = REPO_ROOT / args[0]
    env = dict(
        os.environ,
        PYTHONUNBUFFERED='1',
        OMP_NUM_THREADS='1',
        PYTHON=sys.executable,
        PORT=str(free_port()))
    command = (['bash', str(tool)] if tool.suffix == '.sh' else
               [sys.executable, str(tool)]) + [str(arg) for arg in args[1:]]
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f'{" ".join(command)} exited {result.returncode}:\n'
                    f'{result.stdout[-6000:]}\n{result.stderr[-6000:]}')
    return result


@pytest.fixture(scope='session')
def motion_pretraining_root(motion_videos_workspace) -> Path:
    """A mini motion pretraining corpus (4 classes, 2 + 1 clips each) at
    ``data/motion_pretraining`` in the smoke config's workspace, where the
    configs/pretrain/ configs read it."""
    from mome_mmaction.datasets.synthetic import (MOTION_PRETRAINING_CLASSES,
                                                  make_motion_pretraining)
    root = motion_videos_workspace / 'data' / 'motion_pretraining'
    make_motion_pretraining(
        root,
        videos_per_class=2,
        val_videos_per_class=1,
        classes=MOTION_PRETRAINING_CLASSES[:4])
    return root


class PickledCodeMarker:
    """Unpickling it writes ``path`` (as a pickled callable would)."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return exec, (f'open({self.path!r}, "w").close()', )


@contextmanager
def parameters_on_meta() -> Iterator[None]:
    """Modules built inside keep their parameters on the meta device (no
    memory, no init time); other tensors, such as the drop-path rates
    UniFormerV2 reads with ``.item()``, stay real."""
    register = torch.nn.Module.register_parameter

    def register_on_meta(module, name, param):
        if param is not None:
            param = torch.nn.Parameter(
                param.to('meta'), requires_grad=param.requires_grad)
        register(module, name, param)

    torch.nn.Module.register_parameter = register_on_meta
    try:
        yield
    finally:
        torch.nn.Module.register_parameter = register


@pytest.fixture(scope='session')
def main_job_run(synthetic_driveact_root, tmp_path_factory) -> dict:
    """The main job, ``tools/demo.py`` on its config, run once per session on
    the test data and cut to one epoch of 16 training clips (validation on
    8): it trains with ``tools/train.py``, tests the best checkpoint with
    ``tools/test.py --dump`` and writes the gate report.

    Returns:
        dict: ``config``, ``work_dir``, ``stdout`` (what it printed),
        ``checkpoint`` (the best), ``dump`` (the test predictions),
        ``metrics`` (the test's), ``data_options`` (the ``--cfg-options``
        pointing every loader at the test data) and ``options`` (all the
        ``--cfg-options`` it ran with). Tests must not modify its files.
    """
    work_dir = tmp_path_factory.mktemp('main_job')
    data_options = [
        f'{loader}.dataset.data_root={synthetic_driveact_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    options = data_options + [
        'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=16',
        'val_dataloader.dataset.indices=8'
    ]
    result = run_tool([
        'tools/demo.py', MAIN_JOB_CONFIG, '--work-dir', work_dir,
        '--cfg-options', *options
    ],
                      cwd=work_dir)
    return dict(
        config=MAIN_JOB_CONFIG,
        work_dir=work_dir,
        stdout=result.stdout,
        checkpoint=best_checkpoint(work_dir),
        dump=work_dir / 'test' / 'predictions.pkl',
        metrics=newest_test_metrics(work_dir / 'test'),
        data_options=data_options,
        options=options)
