"""Run any of MMAction2's shipped tools with mome_mmaction loaded.

Usage: ``python tools/analysis/mmaction_tool.py TOOL [tool args]``, TOOL
relative to MMAction2's ``tools/`` folder, e.g.
``analysis_tools/get_flops.py CONFIG --shape 1 3 4 32 32`` or
``analysis_tools/confusion_matrix.py CONFIG DUMP.pkl``.
"""
import sys

import mome_mmaction  # noqa: F401  (stack fixes, safe loading, registries)
from mome_mmaction.utils import run_mmaction_tool

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] in ('-h', '--help'):
        sys.exit(__doc__)
    tool = sys.argv.pop(1)
    run_mmaction_tool(tool)
