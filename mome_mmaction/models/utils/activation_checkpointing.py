"""Activation checkpointing of a backbone's blocks, without touching its
source.

:func:`checkpoint_blocks` replaces the ``forward`` of every block of
``module.<block_path>`` (e.g. UniFormerV2's ``transformer.resblocks``) on
the instance with one that runs the class's ``forward`` under
``torch.utils.checkpoint.checkpoint(use_reentrant=False)``: a block keeps
only its input for backward and recomputes everything inside it (attention,
MLP) during backward. Forward hooks on the block still fire once per
forward (around the instance's ``forward``), not during the recomputation,
so a :class:`TokenTap` records every block output once. Without grad
(inference) the block runs as before.
"""
import torch
import types
from functools import partial
from torch import nn
from torch.utils.checkpoint import checkpoint
from typing import Any

from .token_tap import resolve_blocks


def _checkpointed_block_forward(block: nn.Module, *args: Any,
                                **kwargs: Any) -> Any:
    """The block's class ``forward`` under non-reentrant checkpointing."""
    forward = partial(type(block).forward, block)
    if not torch.is_grad_enabled():
        return forward(*args, **kwargs)
    return checkpoint(forward, *args, use_reentrant=False, **kwargs)


def checkpoint_blocks(module: nn.Module, block_path: str) -> int:
    """Checkpoint every block of ``module.<block_path>`` (see module doc).

    The wrapper is a method bound to each block, so ``copy.deepcopy`` of the
    module binds it to the copied blocks; ``state_dict`` keys do not change.

    Args:
        module (nn.Module): A backbone, e.g. one UniFormerV2 expert.
        block_path (str): Dotted path of its block ``ModuleList``.

    Returns:
        int: Number of blocks checkpointed.
    """
    blocks = resolve_blocks(module, block_path)
    for block in blocks:
        block.forward = types.MethodType(_checkpointed_block_forward, block)
    return len(blocks)
