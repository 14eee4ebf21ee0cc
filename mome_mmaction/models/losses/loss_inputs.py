"""Input checks shared by the token-level losses: block tokens, expert
outputs and labels, each error naming the argument and the shape expected.

Not a registered component: helpers for :class:`HTLLoss` and the baselines.
"""
import torch
from typing import List, Optional, Sequence


def check_block_tokens(block_tokens: Sequence[Sequence[torch.Tensor]],
                       name: str,
                       num_blocks: int,
                       num_experts: Optional[int] = None,
                       batch_size: Optional[int] = None) -> List[int]:
    """Check the nesting experts -> blocks -> tensors (B, ...).

    Args:
        block_tokens: List over experts of lists over blocks of tensors.
        name (str): Argument name used in error messages.
        num_blocks (int): Expected number of blocks per expert.
        num_experts (int, optional): Expected number of experts.
        batch_size (int, optional): Expected batch size.

    Returns:
        list[int]: ``[num_experts, batch_size]`` found.
    """
    if not isinstance(block_tokens, (list, tuple)) or not block_tokens:
        raise TypeError(f'{name} must be a non-empty list over experts of '
                        f'lists over blocks of tensors, got '
                        f'{type(block_tokens).__name__}')
    if num_experts is not None and len(block_tokens) != num_experts:
        raise ValueError(f'{name} has {len(block_tokens)} experts, expected '
                         f'{num_experts} (as in expert_outputs)')
    for expert_index, expert_blocks in enumerate(block_tokens):
        if (not isinstance(expert_blocks, (list, tuple))
                or len(expert_blocks) != num_blocks):
            found = (
                len(expert_blocks) if isinstance(expert_blocks, (list, tuple))
                else type(expert_blocks))
            raise ValueError(f'{name}[{expert_index}] must be a list of '
                             f'num_blocks={num_blocks} tensors (shallow to '
                             f'deep), got {found}')
        teacher_shape = None
        for block_index, tokens in enumerate(expert_blocks):
            where = f'{name}[{expert_index}][{block_index}]'
            if not isinstance(tokens, torch.Tensor):
                raise TypeError(f'{where} must be a tensor, got '
                                f'{type(tokens).__name__}')
            if tokens.dim() < 2:
                raise ValueError(f'{where} must have shape (B, ...), got '
                                 f'{tuple(tokens.shape)}')
            if batch_size is None:
                batch_size = tokens.shape[0]
            if tokens.shape[0] != batch_size:
                raise ValueError(f'{where} has batch size {tokens.shape[0]}, '
                                 f'expected {batch_size}')
            if teacher_shape is None:
                teacher_shape = tuple(expert_blocks[-1].shape)
            if tuple(tokens.shape) != teacher_shape:
                raise ValueError(f'{where} has shape {tuple(tokens.shape)}, '
                                 f'expected the deepest block\'s '
                                 f'{teacher_shape}')
    return [len(block_tokens), batch_size]


def check_expert_outputs(expert_outputs: torch.Tensor,
                         num_experts: Optional[int] = None) -> None:
    """Check ``expert_outputs`` is a tensor (B, N, C) with N experts."""
    if not isinstance(expert_outputs, torch.Tensor) or \
            expert_outputs.dim() != 3:
        found = (
            tuple(expert_outputs.shape)
            if isinstance(expert_outputs, torch.Tensor) else
            type(expert_outputs).__name__)
        raise ValueError(
            f'expert_outputs must be a tensor (B, N, C), got {found}')
    if num_experts is not None and expert_outputs.shape[1] != num_experts:
        raise ValueError(f'expert_outputs has {expert_outputs.shape[1]} '
                         f'experts, expected {num_experts}')


def check_labels(labels: Optional[torch.Tensor], batch_size: int,
                 loss_name: str) -> torch.Tensor:
    """Check ``labels`` are class ids of shape (B,)."""
    if labels is None:
        raise ValueError(f'{loss_name} needs labels (B,) of class ids; the '
                         'recognizer must pass labels=...')
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or \
            labels.shape[0] != batch_size or labels.is_floating_point():
        found = (f'{tuple(labels.shape)} {labels.dtype}' if isinstance(
            labels, torch.Tensor) else type(labels).__name__)
        raise ValueError(f'{loss_name}: labels must be integer class ids of '
                         f'shape ({batch_size},), got {found}')
    return labels
