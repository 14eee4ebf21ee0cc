"""Mixed precision without a loss scaler: bfloat16 autocast, CPU or CUDA."""
import torch
from contextlib import contextmanager
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.optim import OptimWrapper
from mmengine.runner.amp import autocast
from torch import nn
from typing import Iterator, Union


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under bfloat16 autocast.

    mmengine's ``AmpOptimWrapper`` (float16 with a dynamic loss scaler)
    refuses to run without a GPU. bfloat16 has float32's exponent range, so
    it needs no loss scaling: this wrapper only adds ``autocast`` (on the
    current device, CPU included) around the forward, and is otherwise
    mmengine's ``OptimWrapper`` (gradients, clipping, accumulation and
    parameters stay float32). Our ``tools/train.py --amp`` selects it on a
    machine without CUDA or with ``--amp-dtype bfloat16``.

    Args:
        dtype (str or torch.dtype): The autocast dtype; only
            ``'bfloat16'``: float16 needs loss scaling, use mmengine's
            ``AmpOptimWrapper`` on CUDA for it. Defaults to ``'bfloat16'``.
        **kwargs: ``OptimWrapper`` arguments (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        if dtype not in ('bfloat16', torch.bfloat16):
            raise ValueError(
                f'AutocastOptimWrapper runs bfloat16 only, got dtype={dtype!r}'
                ': float16 needs a loss scaler (mmengine AmpOptimWrapper, '
                'CUDA: tools/train.py --amp --amp-dtype float16).')
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """The ``OptimWrapper`` context, under bfloat16 autocast."""
        with super().optim_context(model), autocast(dtype=self.cast_dtype):
            yield
