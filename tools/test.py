"""Test a checkpoint: MMAction2's ``tools/test.py`` with mome_mmaction loaded.

Usage: ``python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
[--dump results.pkl] [--cfg-options k=v ...] [--launcher ...]``.
"""
import mome_mmaction  # noqa: F401  (stack fixes, safe loading, registries)
from mome_mmaction.utils import run_mmaction_tool

if __name__ == '__main__':
    run_mmaction_tool('test.py')
