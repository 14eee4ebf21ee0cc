"""Run MMAction2's own command-line tools with mome_mmaction loaded."""
import logging
import mmaction
import os
import runpy
import sys
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log
from pathlib import Path
from typing import List

#: MMAction2 tools that build a runner from their config (``CONFIG`` is
#: their first argument).
RUNNER_TOOLS = ('train.py', 'test.py')


def mmaction_tool_path(relative_path: str) -> Path:
    """Path of a script shipped under ``mmaction/.mim/tools``.

    Args:
        relative_path (str): e.g. ``'train.py'`` or
            ``'analysis_tools/confusion_matrix.py'``.
    """
    path = Path(mmaction.__file__).parent / '.mim' / 'tools' / relative_path
    if not path.is_file():
        raise FileNotFoundError(
            f'{path} not found: the installed mmaction2 '
            f'({mmaction.__version__}) does not ship tools/{relative_path}. '
            'Install mmaction2 1.2.0 from its wheel or with `mim`.')
    return path


def select_portable_runner(argv: List[str]) -> List[str]:
    """``argv`` of a :data:`RUNNER_TOOLS` run, selecting ``PortableRunner``
    when neither the config nor ``--cfg-options`` sets a ``runner_type``.

    MMAction2's own configs set none, so mmengine's ``Runner`` would run
    them: no CPU (gloo) distributed launch, an inexact ``--resume`` and no
    NaN guard. A ``runner_type`` the config sets is kept.

    Args:
        argv (list[str]): ``sys.argv`` (``[tool, CONFIG, ...]``).

    Returns:
        list[str]: ``argv``, plus ``--cfg-options
        runner_type=PortableRunner`` when it was selected (logged).
    """
    if len(argv) < 2 or argv[1].startswith('-') or any(
            arg.startswith('runner_type=') for arg in argv):
        return argv
    if 'runner_type' in Config.fromfile(argv[1]):
        return argv
    print_log(
        f'{argv[1]} sets no runner_type: running it with PortableRunner '
        '(CPU/gloo distributed launches, RNGStateHook, NonFiniteGuardHook)',
        logger='current')
    return [*argv, '--cfg-options', 'runner_type=PortableRunner']


def select_amp_dtype(argv: List[str]) -> List[str]:
    """``argv`` of a ``train.py`` run with ``--amp [--amp-dtype DTYPE]``
    turned into what MMAction2's ``train.py`` and our optimizer wrappers do.

    ``--amp`` trains in float16 on CUDA (mmengine ``AmpOptimWrapper``,
    dynamic loss scale: MMAction2's own ``--amp``) and in bfloat16 without
    CUDA; ``--amp-dtype bfloat16`` selects bfloat16 on CUDA too. bfloat16
    runs :class:`AutocastOptimWrapper` (autocast, no loss scaler), set with
    ``--cfg-options optim_wrapper.type=AutocastOptimWrapper`` in place of
    ``--amp``.

    Args:
        argv (list[str]): ``sys.argv`` of ``train.py``.

    Returns:
        list[str]: ``argv`` without ``--amp-dtype`` (and, for bfloat16,
        without ``--amp``).

    Raises:
        ValueError: ``--amp-dtype`` without ``--amp`` or without a value,
            float16 without CUDA, or a config whose optimizer wrapper is
            neither ``OptimWrapper`` nor ``AmpOptimWrapper``.
    """
    argv = list(argv)
    dtype = None
    if '--amp-dtype' in argv:
        index = argv.index('--amp-dtype')
        if index + 1 >= len(argv) or argv[index + 1] not in ('float16',
                                                             'bfloat16'):
            raise ValueError('--amp-dtype takes float16 or bfloat16')
        dtype = argv[index + 1]
        del argv[index:index + 2]
        if '--amp' not in argv:
            raise ValueError(f'--amp-dtype {dtype} needs --amp')
    if '--amp' not in argv:
        return argv
    dtype = dtype or ('float16' if torch.cuda.is_available() else 'bfloat16')
    if dtype == 'float16':
        if not torch.cuda.is_available():
            raise ValueError(
                '--amp --amp-dtype float16 needs CUDA (a loss-scaled '
                'AmpOptimWrapper); without a GPU use --amp (bfloat16)')
        return argv
    wrapper = Config.fromfile(argv[1]).optim_wrapper.get(
        'type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
        raise ValueError(
            f'--amp (bfloat16) replaces the optimizer wrapper of {argv[1]} by '
            f'AutocastOptimWrapper, but the config sets {wrapper}')
    argv.remove('--amp')
    device = 'CUDA' if torch.cuda.is_available() else 'CPU'
    print_log(
        f'--amp: bfloat16 autocast on {device} (AutocastOptimWrapper, no '
        'loss scaler)',
        logger='current')
    return [*argv, '--cfg-options', 'optim_wrapper.type=AutocastOptimWrapper']


def run_mmaction_tool(relative_path: str) -> None:
    """Run an MMAction2 tool as ``__main__`` with the current ``sys.argv``.

    The caller imports ``mome_mmaction`` first, so the stack fixes, the safe
    checkpoint loader and our registered components are in place, and the
    tool keeps MMAction2's exact command-line interface.

    A process of a distributed launch (``torchrun`` sets ``LOCAL_RANK``)
    that finished its tool destroys its process group, flushes its logs and
    streams and leaves with exit code 0 at once: left to the interpreter's
    teardown, native threads (gloo, video readers) made about half of the
    finished 2-process ``dist_test.sh`` runs abort with "terminate called
    without an active exception" (SIGABRT), failing a job whose results
    were already written.

    :data:`RUNNER_TOOLS` run any config with ``PortableRunner`` unless it
    sets its own ``runner_type`` (:func:`select_portable_runner`);
    ``train.py`` also takes ``--amp-dtype {float16,bfloat16}`` and runs
    ``--amp`` in bfloat16 without CUDA (:func:`select_amp_dtype`).
    """
    path = mmaction_tool_path(relative_path)
    if relative_path == 'train.py':
        sys.argv = select_amp_dtype(sys.argv)
    if relative_path in RUNNER_TOOLS:
        sys.argv = select_portable_runner(sys.argv)
    sys.argv[0] = str(path)
    runpy.run_path(str(path), run_name='__main__')
    if 'LOCAL_RANK' not in os.environ:
        return
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
