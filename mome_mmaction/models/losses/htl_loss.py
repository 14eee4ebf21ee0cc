import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from typing import Dict, List, Optional, Sequence

from .loss_inputs import check_block_tokens, check_expert_outputs
from .token_distributions import softmax_kl_divergence, teacher_distribution


@MODELS.register_module()
class HTLLoss(BaseModule):
    """Holistic Token Learning (HTL) loss.

    Within each expert the deepest block teaches the shallower ones through
    both its class token and all its spatio-temporal (ST) tokens
    (``L_intra``); across experts the final class tokens are pulled together
    (``L_inter``)::

        P_l,n = softmax(T_cls,l,n)           over the C channels
        Q_l,n = softmax(vec(T_st,l,n))       over all M*C entries
        L_intra = sum_n sum_{l<L} w_l (KL(P_L,n || P_l,n) + KL(Q_L,n || Q_l,n))
                  / (N (L-1))
        L_inter = sum_n sum_{k!=n} d(T_cls,L,n, T_cls,L,k) / (N (N-1))

    KL divergences are summed over the distribution and averaged over the
    batch; ``L_inter`` is averaged over the batch. The paper calls
    ``L_inter`` a mean squared error and sets beta = 1 "according to the
    scale" of the losses: ``inter_reduction='mean'`` (default) takes
    ``d(a, b) = ||a - b||^2 / C``, the MSE, on the scale of ``L_cls``;
    ``'sum'`` takes the squared L2 norm ``||a - b||^2`` (C times larger:
    ~1461 against ``L_cls`` ~3.3 for UniFormerV2-B16 at initialization).

    The class-token teacher ``P_L,n`` comes from the expert's output
    ``T_cls,L,n`` (``intra_cls_teacher='expert_output'``, default: the
    vector the gate and ``L_inter`` see, after UniFormerV2's temporal
    decoder; it trained better on the synthetic benchmark, see the README)
    or from the deepest tapped block's class token (``'last_block'``); the
    ST teacher is always the deepest block's.

    Block weights (``block_weights='learnable'``, default, as in the paper):
    ``w = (L-1) * softmax(theta)`` with learnable ``theta``
    (``block_weight_logits``, zeros at start, so every ``w_l = 1``):
    positive, summing to ``L-1``, so they cannot collapse to zero. Keep
    ``theta`` out of weight decay (the schedules' ``paramwise_cfg`` does).
    ``block_weights='fixed'``: every ``w_l = 1``, no parameter.

    Memory: the teacher's softmax is reduced once per expert (its float32
    probabilities are the only new token-sized tensor kept for backward, one
    per expert and token kind); each student block is streamed through a
    fused softmax-KL that keeps only the student tokens themselves for
    backward (any layout, strided views included, is used without copying)
    and accumulates in float32 whatever the tokens' dtype under AMP.

    With one expert (HTL-) ``L_inter`` is identically zero and is not
    returned.

    ``beta_warmup_iters`` > 0 (a stabilizer, off in the paper's recipe):
    beta ramps linearly from 0 over the first training forward passes
    (``beta * s / beta_warmup_iters`` at pass s = 0, 1, ...; counted in the
    ``beta_warmup_steps`` buffer, so ``--resume`` continues it), so
    ``L_inter``'s trivial minimum (every expert emitting one vector) is not
    reached before the classifier gives the experts any signal; the beta in
    use is logged as ``htl_inter_beta``. Warm-ups of an auxiliary
    consistency weight follow Laine & Aila (ICLR 2017, temporal ensembling).

    ``inter_batch_standardize=True`` (a stabilizer that departs from the
    paper's plain MSE, off in its recipe): before ``L_inter`` each expert's
    class tokens are standardized per channel over the batch,
    ``(T - mean_B T) / sqrt(var_B T + eps)``, so ``d`` becomes
    ``2 (1 - corr)`` averaged over the channels. The plain MSE is smallest
    when every expert emits one vector whatever its camera sees (the
    monitor's ``tokens_indistinguishable``); the standardized loss does not
    change when a channel is scaled or shifted, so it gives no pull towards
    a constant token and falls only when the experts agree on what changes
    from clip to clip. Barlow Twins (Zbontar et al., ICML 2021) standardizes
    its embeddings over the batch before its invariance term for the same
    reason.

    ``inter_target='predictions'`` (departs from the paper, off in its
    recipe; on in the stabilized one, ``configs/mome_htl_stable_driveact.py``,
    docs/training_health.md): ``L_inter`` aligns what the experts predict
    instead of their tokens, each expert's token through the head's shared
    classifier (``expert_logits`` (B, N, K), passed by
    :class:`MoMERecognizer` from the head's ``expert_logits``)::

        p_n = softmax(expert_logits[:, n])      over the K classes
        L_inter = sum_n sum_{k!=n} KL(p_k || p_n) / (N (N-1))

    with ``p_k`` detached when ``detach_teacher`` (each expert learns from
    the others' current predictions, as in Deep Mutual Learning, Zhang,
    Xiang, Hospedales and Lu, CVPR 2018). Only the K directions the
    classifier reads are pulled together; the rest of each token, which the
    gate also reads, is left free. KL is on the scale of ``L_cls``.

    Args:
        num_blocks (int): Number of tapped blocks L per expert (>= 2); the
            last one is the teacher.
        alpha (float): Weight of ``L_intra``. Defaults to 0.01.
        beta (float): Weight of ``L_inter``. Defaults to 1.0.
        inter_reduction (str): 'mean' (MSE over the C channels) or 'sum'
            (squared L2 norm) for ``L_inter``. Defaults to 'mean'.
        intra_cls_teacher (str): 'expert_output' or 'last_block', the class
            token that teaches. Defaults to 'expert_output'.
        block_weights (str): 'learnable' or 'fixed'. Defaults to
            'learnable'.
        detach_teacher (bool): Stop gradients at the teacher tokens.
            Defaults to True.
        beta_warmup_iters (int): Training forward passes over which beta
            ramps up from 0. Defaults to 0 (off).
        inter_batch_standardize (bool): Standardize the class tokens per
            channel over the batch before ``L_inter`` (needs a batch of 2
            or more). Defaults to False (the paper).
        inter_target (str): 'tokens' (the experts' class tokens, the paper)
            or 'predictions' (their shared classifier's predictions, see
            above). Defaults to 'tokens'.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    #: The recognizer passes block ST tokens to this loss.
    requires_st_tokens = True

    def __init__(self,
                 num_blocks: int,
                 alpha: float = 0.01,
                 beta: float = 1.0,
                 inter_reduction: str = 'mean',
                 intra_cls_teacher: str = 'expert_output',
                 block_weights: str = 'learnable',
                 detach_teacher: bool = True,
                 beta_warmup_iters: int = 0,
                 inter_batch_standardize: bool = False,
                 inter_target: str = 'tokens',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(num_blocks, int) or num_blocks < 2:
            raise ValueError('HTLLoss needs num_blocks >= 2 (a teacher and '
                             f'at least one student block), got {num_blocks}')
        for name, value, choices in (('inter_reduction', inter_reduction,
                                      ('mean', 'sum')),
                                     ('intra_cls_teacher', intra_cls_teacher,
                                      ('expert_output', 'last_block')),
                                     ('block_weights', block_weights,
                                      ('learnable', 'fixed')),
                                     ('inter_target', inter_target,
                                      ('tokens', 'predictions'))):
            if value not in choices:
                raise ValueError(f'HTLLoss {name} must be one of {choices}, '
                                 f'got {value!r}')
        if inter_target == 'predictions' and (inter_batch_standardize
                                              or inter_reduction != 'mean'):
            raise ValueError(
                "HTLLoss(inter_target='predictions') takes a KL divergence "
                'between predictions; inter_batch_standardize and '
                "inter_reduction apply to inter_target='tokens' only, got "
                f'inter_batch_standardize={inter_batch_standardize}, '
                f'inter_reduction={inter_reduction!r}')
        self.num_blocks = num_blocks
        self.alpha = alpha
        self.beta = beta
        self.inter_reduction = inter_reduction
        self.intra_cls_teacher = intra_cls_teacher
        self.detach_teacher = detach_teacher
        self.beta_warmup_iters = beta_warmup_iters
        self.inter_batch_standardize = inter_batch_standardize
        self.inter_target = inter_target
        if beta_warmup_iters > 0:
            self.register_buffer('beta_warmup_steps',
                                 torch.zeros((), dtype=torch.long))
        # theta of w = (L-1) * softmax(theta); zeros -> every w_l = 1.
        self.block_weight_logits = nn.Parameter(
            torch.zeros(num_blocks -
                        1)) if block_weights == 'learnable' else None

    @property
    def requires_expert_logits(self) -> bool:
        """bool: Whether the recognizer must pass ``expert_logits``
        (``inter_target='predictions'``)."""
        return self.inter_target == 'predictions'

    @property
    def inter_beta(self) -> float:
        """float: The weight of ``L_inter`` now: ``beta``, or its ramp
        during the warm-up (training only)."""
        if not self.training or self.beta_warmup_iters <= 0:
            return self.beta
        return self.beta * min(
            1.,
            int(self.beta_warmup_steps) / self.beta_warmup_iters)

    @property
    def block_weights(self) -> torch.Tensor:
        """torch.Tensor: Current block weights w_l of shape (L-1,)."""
        if self.block_weight_logits is None:
            return torch.ones(self.num_blocks - 1)
        return (self.num_blocks - 1) * torch.softmax(
            self.block_weight_logits, dim=0)

    def intra_block_divergences(self, block_cls_tokens: Sequence[Sequence[
        torch.Tensor]], block_st_tokens: Sequence[Sequence[torch.Tensor]],
                                expert_outputs: torch.Tensor) -> torch.Tensor:
        """Batch-averaged ``KL_cls + KL_st`` of each student block.

        Args:
            block_cls_tokens: List over experts (N) of lists over blocks (L)
                of class tokens (B, C).
            block_st_tokens: Same nesting of ST tokens (B, ..., C).
            expert_outputs (torch.Tensor): Shape (B, N, C); the class-token
                teachers when ``intra_cls_teacher='expert_output'``.

        Returns:
            torch.Tensor: Shape (N, L-1), float32.
        """
        expert_divergences: List[torch.Tensor] = []
        for expert_index, (cls_tokens, st_tokens) in enumerate(
                zip(block_cls_tokens, block_st_tokens)):
            teacher_cls, teacher_st = cls_tokens[-1], st_tokens[-1]
            if self.intra_cls_teacher == 'expert_output':
                teacher_cls = expert_outputs[:, expert_index]
            if self.detach_teacher:
                teacher_cls = teacher_cls.detach()
                teacher_st = teacher_st.detach()
            # Reduced once per expert, shared by all its student blocks.
            teacher_cls_distribution = teacher_distribution(teacher_cls)
            teacher_st_distribution = teacher_distribution(teacher_st)
            block_divergences = []
            for student_cls, student_st in zip(cls_tokens[:-1],
                                               st_tokens[:-1]):
                kl_cls = softmax_kl_divergence(student_cls, teacher_cls,
                                               teacher_cls_distribution)
                kl_st = softmax_kl_divergence(student_st, teacher_st,
                                              teacher_st_distribution)
                block_divergences.append((kl_cls + kl_st).mean())
            expert_divergences.append(torch.stack(block_divergences))
        return torch.stack(expert_divergences)

    def inter_expert_distance(self,
                              expert_outputs: torch.Tensor) -> torch.Tensor:
        """``L_inter``: mean over ordered expert pairs of their distance.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C), N >= 2.

        Returns:
            torch.Tensor: Scalar, float32: the squared L2 distance averaged
            (``inter_reduction='mean'``) or summed (``'sum'``) over C, of
            the tokens standardized over the batch with
            ``inter_batch_standardize``.
        """
        batch_size, num_experts = expert_outputs.shape[:2]
        outputs = expert_outputs.float()
        if self.inter_batch_standardize:
            if batch_size < 2:
                raise ValueError(
                    'HTLLoss(inter_batch_standardize=True) standardizes the '
                    'class tokens over the batch and needs 2 or more clips '
                    f'per batch, got expert outputs of shape '
                    f'{tuple(expert_outputs.shape)}')
            # per expert and channel over B: (B, N, C) -> (B, N, C)
            variance, mean = torch.var_mean(
                outputs, dim=0, unbiased=False, keepdim=True)
            outputs = (outputs - mean) * torch.rsqrt(variance + 1e-5)
        # (B, N, 1, C) - (B, 1, N, C) -> (B, N, N); the diagonal is zero.
        squared = (outputs.unsqueeze(2) - outputs.unsqueeze(1)).pow(2)
        pair_distances = (
            squared.mean(-1)
            if self.inter_reduction == 'mean' else squared.sum(-1))
        return pair_distances.sum((1, 2)).mean() / (
            num_experts * (num_experts - 1))

    def inter_prediction_divergence(self, expert_logits: torch.Tensor
                                    ) -> torch.Tensor:
        """``L_inter`` of ``inter_target='predictions'``: mean over ordered
        expert pairs (n, k) of ``KL(p_k || p_n)``, averaged over the batch.

        Args:
            expert_logits (torch.Tensor): Each expert's token through the
                shared classifier, shape (B, N, K), N >= 2.

        Returns:
            torch.Tensor: Scalar, float32.
        """
        num_experts = expert_logits.shape[1]
        teachers = [
            teacher_distribution(
                logits.detach() if self.detach_teacher else logits)
            for logits in expert_logits.unbind(1)
        ]
        divergences = [
            softmax_kl_divergence(student, teacher.logits, teacher).mean()
            for n, student in enumerate(expert_logits.unbind(1))
            for k, teacher in enumerate(teachers) if k != n
        ]
        return torch.stack(divergences).sum() / (
            num_experts * (num_experts - 1))

    def forward(self,
                block_cls_tokens: Sequence[Sequence[torch.Tensor]],
                block_st_tokens: Sequence[Sequence[torch.Tensor]],
                expert_outputs: torch.Tensor,
                labels: Optional[torch.Tensor] = None,
                expert_logits: Optional[torch.Tensor] = None
                ) -> Dict[str, torch.Tensor]:
        """Compute the HTL losses.

        Args:
            block_cls_tokens: List over experts (N) of lists over blocks (L,
                shallow to deep, the last is the teacher) of class tokens of
                shape (B, C).
            block_st_tokens: Same nesting of ST tokens, (B, T, HW, C) views
                from the tap or (B, M, C) with M = T*HW (any (B, ...) layout
                with the same entries gives the same loss).
            expert_outputs (torch.Tensor): The experts' final class tokens of
                shape (B, N, C).
            labels (torch.Tensor, optional): Unused; accepted for the common
                expert-loss call contract.
            expert_logits (torch.Tensor, optional): Each expert's token
                through the shared classifier, (B, N, K); needed with
                ``inter_target='predictions'``, unused otherwise.

        Returns:
            dict[str, torch.Tensor]: ``loss_htl_intra`` (alpha * L_intra),
            ``loss_htl_inter`` (beta * L_inter, only when N > 1) and the
            logged, non-loss ``htl_block_weight_{l}`` for l = 1..L-1 (and
            ``htl_inter_beta`` with a beta warm-up).
        """
        check_expert_outputs(expert_outputs)
        num_experts, batch_size = expert_outputs.shape[1], \
            expert_outputs.shape[0]
        check_block_tokens(block_cls_tokens, 'block_cls_tokens',
                           self.num_blocks, num_experts, batch_size)
        if block_st_tokens is None:
            raise ValueError('HTLLoss needs block_st_tokens (it has '
                             'requires_st_tokens=True), got None')
        check_block_tokens(block_st_tokens, 'block_st_tokens', self.num_blocks,
                           num_experts, batch_size)
        cls_shape = tuple(block_cls_tokens[0][-1].shape)
        if self.intra_cls_teacher == 'expert_output' and \
                cls_shape != (batch_size, expert_outputs.shape[2]):
            raise ValueError(
                "HTLLoss(intra_cls_teacher='expert_output') teaches the "
                'block class tokens with the expert outputs, so both need '
                f'one width: class tokens {cls_shape}, expert outputs '
                f"{tuple(expert_outputs.shape)}; use 'last_block' for a "
                'backbone whose output width differs from its blocks\'')

        block_weights = self.block_weights.to(expert_outputs.device)
        divergences = self.intra_block_divergences(block_cls_tokens,
                                                   block_st_tokens,
                                                   expert_outputs)  # (N, L-1)
        intra = (divergences * block_weights).sum() / (
            num_experts * (self.num_blocks - 1))
        losses = dict(loss_htl_intra=self.alpha * intra)
        if num_experts > 1:
            losses['loss_htl_inter'] = self.inter_beta * (
                self.inter_prediction_divergence(
                    self._checked_expert_logits(expert_logits, expert_outputs))
                if self.inter_target == 'predictions' else
                self.inter_expert_distance(expert_outputs))
        if self.beta_warmup_iters > 0:
            losses['htl_inter_beta'] = torch.tensor(self.inter_beta)
            if self.training:
                self.beta_warmup_steps += 1
        for block_index, weight in enumerate(block_weights.detach(), 1):
            losses[f'htl_block_weight_{block_index}'] = weight
        return losses

    @staticmethod
    def _checked_expert_logits(expert_logits: Optional[torch.Tensor],
                               expert_outputs: torch.Tensor) -> torch.Tensor:
        """``expert_logits``, or a ``ValueError`` saying what was expected."""
        batch_size, num_experts = expert_outputs.shape[:2]
        if expert_logits is None or expert_logits.dim() != 3 or \
                tuple(expert_logits.shape[:2]) != (batch_size, num_experts):
            got = None if expert_logits is None else tuple(expert_logits.shape)
            raise ValueError(
                "HTLLoss(inter_target='predictions') needs expert_logits of "
                f'shape ({batch_size}, {num_experts}, K), each expert\'s '
                'token through the shared classifier (MoMERecognizer passes '
                f'them from the head\'s expert_logits), got {got}')
        return expert_logits
