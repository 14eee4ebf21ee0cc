"""Softmax-KL over token tensors, shared by the token-level losses.

Not a registered component: helpers for :class:`HTLLoss` and the baselines.
"""
import torch
from torch.autograd.function import once_differentiable
from typing import NamedTuple, Optional, Tuple


def accumulation_dtype(tensor: torch.Tensor) -> torch.dtype:
    """float64 for float64 input (exact gradchecks), float32 otherwise."""
    return torch.float64 if tensor.dtype == torch.float64 else torch.float32


#: Probabilities below ``exp(LOG_NEGLIGIBLE_PROB)`` (1e-30) count as 0.
#: Over a softmax of all M*C ST-token entries (1.2M for UniFormerV2-B16)
#: many probabilities would fall below float32's normal range (1.2e-38),
#: and x86 CPUs compute on such subnormal numbers some 100x slower: it made
#: a full-size HTL step 5% slower than MoME alone. Such entries change the
#: KL and its gradients by less than float32 resolution.
LOG_NEGLIGIBLE_PROB = -69.0776


def _probs_from_log_probs_(log_probs: torch.Tensor) -> torch.Tensor:
    """``exp`` in place, negligible probabilities exactly 0 (see
    :data:`LOG_NEGLIGIBLE_PROB`)."""
    return log_probs.masked_fill_(log_probs < LOG_NEGLIGIBLE_PROB,
                                  float('-inf')).exp_()


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
        probs = _probs_from_log_probs_(
            torch.sub(teacher, logsumexp.view(_per_sample_shape(teacher))))
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
    exactly 0 (both sides go through the same reductions). Probabilities
    below 1e-30 are taken as exactly 0 (:data:`LOG_NEGLIGIBLE_PROB`).
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
            grad_student = _probs_from_log_probs_(student_log_probs).sub_(
                teacher_probs).mul_(grad_kl).to(student_logits.dtype)
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
