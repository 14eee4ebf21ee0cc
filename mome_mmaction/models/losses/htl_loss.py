from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmaction.registry import MODELS
from .token_distributions import (check_block_tokens, check_expert_outputs,
                                  softmax_kl_divergence, teacher_distribution)


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
        L_inter = sum_n sum_{k!=n} ||T_cls,L,n - T_cls,L,k||^2 / (N (N-1))

    KL divergences are summed over the distribution and averaged over the
    batch; ``L_inter`` is averaged over the batch. The block weights are
    ``w = (L-1) * softmax(theta)`` with learnable ``theta`` (zeros at start,
    so every ``w_l = 1``): positive, summing to ``L-1``, so they cannot
    collapse to zero.

    Memory: the teacher's softmax is reduced once per expert (its float32
    probabilities are the only new token-sized tensor kept for backward, one
    per expert and token kind); each student block is streamed through a
    fused softmax-KL that keeps only the student tokens themselves for
    backward (any layout, strided views included, is used without copying)
    and accumulates in float32 whatever the tokens' dtype under AMP.

    With one expert (HTL-) ``L_inter`` is identically zero and is not
    returned.

    Args:
        num_blocks (int): Number of tapped blocks L per expert (>= 2); the
            last one is the teacher.
        alpha (float): Weight of ``L_intra``. Defaults to 0.01.
        beta (float): Weight of ``L_inter``. Defaults to 1.0.
        detach_teacher (bool): Stop gradients at the teacher (deepest
            block) tokens. Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    #: The recognizer passes block ST tokens to this loss.
    requires_st_tokens = True

    def __init__(self,
                 num_blocks: int,
                 alpha: float = 0.01,
                 beta: float = 1.0,
                 detach_teacher: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(num_blocks, int) or num_blocks < 2:
            raise ValueError('HTLLoss needs num_blocks >= 2 (a teacher and '
                             f'at least one student block), got {num_blocks}')
        self.num_blocks = num_blocks
        self.alpha = alpha
        self.beta = beta
        self.detach_teacher = detach_teacher
        # theta of w = (L-1) * softmax(theta); zeros -> every w_l = 1.
        self.block_weight_logits = nn.Parameter(torch.zeros(num_blocks - 1))

    @property
    def block_weights(self) -> torch.Tensor:
        """torch.Tensor: Current block weights w_l of shape (L-1,)."""
        return (self.num_blocks - 1) * torch.softmax(
            self.block_weight_logits, dim=0)

    def intra_block_divergences(
            self, block_cls_tokens: Sequence[Sequence[torch.Tensor]],
            block_st_tokens: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
        """Batch-averaged ``KL_cls + KL_st`` of each student block.

        Args:
            block_cls_tokens: List over experts (N) of lists over blocks (L)
                of class tokens (B, C).
            block_st_tokens: Same nesting of ST tokens (B, M, C).

        Returns:
            torch.Tensor: Shape (N, L-1), float32.
        """
        expert_divergences: List[torch.Tensor] = []
        for cls_tokens, st_tokens in zip(block_cls_tokens, block_st_tokens):
            teacher_cls, teacher_st = cls_tokens[-1], st_tokens[-1]
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

    @staticmethod
    def inter_expert_distance(expert_outputs: torch.Tensor) -> torch.Tensor:
        """``L_inter``: mean squared L2 distance over ordered expert pairs.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C), N >= 2.

        Returns:
            torch.Tensor: Scalar, float32.
        """
        num_experts = expert_outputs.shape[1]
        outputs = expert_outputs.float()
        # (B, N, 1, C) - (B, 1, N, C) -> (B, N, N); the diagonal is zero.
        pair_distances = (outputs.unsqueeze(2) -
                          outputs.unsqueeze(1)).pow(2).sum(-1)
        return pair_distances.sum((1, 2)).mean() / (
            num_experts * (num_experts - 1))

    def forward(
            self,
            block_cls_tokens: Sequence[Sequence[torch.Tensor]],
            block_st_tokens: Sequence[Sequence[torch.Tensor]],
            expert_outputs: torch.Tensor,
            labels: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Compute the HTL losses.

        Args:
            block_cls_tokens: List over experts (N) of lists over blocks (L,
                shallow to deep, the last is the teacher) of class tokens of
                shape (B, C).
            block_st_tokens: Same nesting of ST tokens of shape (B, M, C)
                (M = T*HW; any (B, ...) layout with the same entries works).
            expert_outputs (torch.Tensor): The experts' final class tokens of
                shape (B, N, C).
            labels (torch.Tensor, optional): Unused; accepted for the common
                expert-loss call contract.

        Returns:
            dict[str, torch.Tensor]: ``loss_htl_intra`` (alpha * L_intra),
            ``loss_htl_inter`` (beta * L_inter, only when N > 1) and the
            logged, non-loss ``htl_block_weight_{l}`` for l = 1..L-1.
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

        block_weights = self.block_weights
        divergences = self.intra_block_divergences(block_cls_tokens,
                                                   block_st_tokens)  # (N, L-1)
        intra = (divergences * block_weights).sum() / (
            num_experts * (self.num_blocks - 1))
        losses = dict(loss_htl_intra=self.alpha * intra)
        if num_experts > 1:
            losses['loss_htl_inter'] = self.beta * self.inter_expert_distance(
                expert_outputs)
        for block_index, weight in enumerate(block_weights.detach(), 1):
            losses[f'htl_block_weight_{block_index}'] = weight
        return losses
