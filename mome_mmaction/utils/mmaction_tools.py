"""Run MMAction2's own command-line tools with mome_mmaction loaded."""
import logging
import mmaction
import os
import runpy
import sys
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
    sets its own ``runner_type`` (:func:`select_portable_runner`).
    """
    path = mmaction_tool_path(relative_path)
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
