"""Softmax-KL over token tensors and input checks shared by the HTL losses.

Not a registered component: helpers for :class:`HTLLoss` and the baselines.
"""
import torch
from torch.autograd.function import once_differentiable
from typing import List, NamedTuple, Optional, Sequence, Tuple


def accumulation_dtype(tensor: torch.Tensor) -> torch.dtype:
    """float64 for float64 input (exact gradchecks), float32 otherwise."""
    return torch.float64 if tensor.dtype == torch.float64 else torch.float32


def _per_sample_shape(tensor: torch.Tensor) -> Tuple[int, ...]:
    """(B, 1, ..., 1): broadcasts a per-sample value over ``tensor``."""
    return (tensor.shape[0], ) + (1, ) * (tensor.dim() - 1)


class TeacherDistribution(NamedTuple):
    """The teacher's softmax, reduced once and shared by its students.

    Attributes:
        logits (torch.Tensor): Teacher tokens (B, ...), as given (detached or
            not: gradients reach the teacher only if they require grad).
        probs (torch.Tensor): ``softmax`` over all non-batch entries, same
            shape, float32 (float64 for float64 logits), no graph.
        logsumexp (torch.Tensor): Shape (B,), float32, no graph.
        cross (torch.Tensor): ``sum(probs * logits)`` per sample, (B,).
    """
    logits: torch.Tensor
    probs: torch.Tensor
    logsumexp: torch.Tensor
    cross: torch.Tensor


def teacher_distribution(teacher_logits: torch.Tensor) -> TeacherDistribution:
    """Reduce a teacher once: probabilities, log-sum-exp and cross term.

    Args:
        teacher_logits (torch.Tensor): Shape (B, ...), any floating dtype and
            layout; the softmax runs over all non-batch entries.

    Returns:
        TeacherDistribution: See its attributes.
    """
    reduce_dims = tuple(range(1, teacher_logits.dim()))
    with torch.no_grad():
        teacher = teacher_logits.detach().to(
            accumulation_dtype(teacher_logits))
        logsumexp = torch.logsumexp(teacher, dim=reduce_dims)
        probs = torch.sub(teacher,
                          logsumexp.view(_per_sample_shape(teacher))).exp_()
        cross = (probs * teacher).sum(reduce_dims)
    return TeacherDistribution(teacher_logits, probs, logsumexp, cross)


class _SoftmaxKLDivergence(torch.autograd.Function):
    """Per-sample ``KL(softmax(teacher) || softmax(student))``.

    The softmax runs over all non-batch entries. With ``p = softmax(t)``,
    ``q = softmax(s)`` and the teacher reduced once (``p``, ``lse(t)`` and
    ``sum p t``, see :func:`teacher_distribution`)::

        KL = sum p t - sum p s + lse(s) - lse(t)
        dKL/ds = q - p
        dKL/dt = p * (log p - log q - KL)

    Between forward and backward only the student tokens themselves (no
    copy), the teacher's shared ``p`` and per-sample scalars are kept; ``q``
    is recomputed in float32 in backward. So no per-pair copy of the tokens or
    of their log-probabilities exists. A student equal to its teacher gives
    exactly 0 (both sides go through the same reductions).
    """

    @staticmethod
    def forward(ctx, student_logits: torch.Tensor,
                teacher_logits: torch.Tensor, teacher_probs: torch.Tensor,
                teacher_logsumexp: torch.Tensor,
                teacher_cross: torch.Tensor) -> torch.Tensor:
        reduce_dims = tuple(range(1, student_logits.dim()))
        student = student_logits.to(teacher_probs.dtype)
        student_logsumexp = torch.logsumexp(student, dim=reduce_dims)
        student_cross = (teacher_probs * student).sum(reduce_dims)
        kl = (teacher_cross - student_cross) + (
            student_logsumexp - teacher_logsumexp)
        ctx.save_for_backward(
            student_logits,
            teacher_logits if ctx.needs_input_grad[1] else None, teacher_probs,
            student_logsumexp, teacher_logsumexp, kl)
        return kl

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_kl: torch.Tensor):
        (student_logits, teacher_logits, teacher_probs, student_logsumexp,
         teacher_logsumexp, kl) = ctx.saved_tensors
        shape = _per_sample_shape(student_logits)
        grad_kl = grad_kl.to(kl.dtype).reshape(shape)
        # log q = s - lse(s), float32, one temporary reused in place.
        student_log_probs = torch.sub(
            student_logits.to(kl.dtype), student_logsumexp.view(shape))
        grad_student = grad_teacher = None
        if ctx.needs_input_grad[1]:
            teacher_log_probs = torch.sub(
                teacher_logits.to(kl.dtype), teacher_logsumexp.view(shape))
            grad_teacher = teacher_log_probs.sub_(student_log_probs).sub_(
                kl.view(shape)).mul_(teacher_probs).mul_(grad_kl)
            grad_teacher = grad_teacher.to(teacher_logits.dtype)
        if ctx.needs_input_grad[0]:
            grad_student = student_log_probs.exp_().sub_(teacher_probs).mul_(
                grad_kl).to(student_logits.dtype)
        return grad_student, grad_teacher, None, None, None


def softmax_kl_divergence(student_logits: torch.Tensor,
                          teacher_logits: torch.Tensor,
                          teacher: Optional[TeacherDistribution] = None
                          ) -> torch.Tensor:
    """``KL(softmax(teacher) || softmax(student))`` per sample.

    The softmax runs over all non-batch entries of each sample (the C channels
    of a class token (B, C), or all M*C entries of ST tokens (B, M, C)). Any
    layout works, strided views included, without copying the tokens; math in
    float32 whatever the input dtype (fp16/bf16 under AMP). Gradients reach
    the teacher only if ``teacher_logits`` requires grad.

    Args:
        student_logits (torch.Tensor): Shape (B, ...).
        teacher_logits (torch.Tensor): Same shape as ``student_logits``.
        teacher (TeacherDistribution, optional): ``teacher_distribution(
            teacher_logits)``, precomputed so that a teacher shared by several
            students is reduced once.

    Returns:
        torch.Tensor: KL divergence of shape (B,), float32 (float64 for
        float64 input).
    """
    if student_logits.shape != teacher_logits.shape:
        raise ValueError('student and teacher tokens must have the same '
                         f'shape, got {tuple(student_logits.shape)} and '
                         f'{tuple(teacher_logits.shape)}')
    if teacher is None:
        teacher = teacher_distribution(teacher_logits)
    return _SoftmaxKLDivergence.apply(student_logits, teacher_logits,
                                      teacher.probs, teacher.logsumexp,
                                      teacher.cross)


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
