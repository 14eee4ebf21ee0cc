"""Train a recognizer: MMAction2's ``tools/train.py``, mome_mmaction loaded.

Usage: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
[--amp [--amp-dtype {float16,bfloat16}]] [--cfg-options k=v ...]
[--launcher {none,pytorch,slurm,mpi}]``. ``--amp`` is float16 with a loss
scaler on CUDA and bfloat16 autocast without CUDA (``AutocastOptimWrapper``);
``--amp-dtype bfloat16`` selects bfloat16 on CUDA too.
"""
import mome_mmaction  # noqa: F401  (stack fixes, safe loading, registries)
from mome_mmaction.utils import run_mmaction_tool

if __name__ == '__main__':
    run_mmaction_tool('train.py')
