"""Run MMAction2's own command-line tools with mome_mmaction loaded."""
import runpy
import sys
from pathlib import Path

import mmaction
import torch.distributed as torch_dist


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


def run_mmaction_tool(relative_path: str) -> None:
    """Run an MMAction2 tool as ``__main__`` with the current ``sys.argv``.

    The caller imports ``mome_mmaction`` first, so the stack fixes, the safe
    checkpoint loader and our registered components are in place, and the
    tool keeps MMAction2's exact command-line interface. A process group the
    tool started is destroyed when it returns: left to interpreter exit, a
    gloo group's threads sometimes aborted a finished ``dist_test.sh``
    process ("terminate called without an active exception", SIGABRT).
    """
    path = mmaction_tool_path(relative_path)
    sys.argv[0] = str(path)
    try:
        runpy.run_path(str(path), run_name='__main__')
    finally:
        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.destroy_process_group()
