from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModule

from mmaction.registry import MODELS
from .token_distributions import (check_block_tokens, softmax_kl_divergence,
                                  teacher_distribution)


@MODELS.register_module()
class ClassTokenSelfDistillLoss(BaseModule):
    """Class-token self-distillation: the deepest class token teaches.

    The HTL ablation without ST tokens, block weights or inter-expert term::

        P_l,n = softmax(T_cls,l,n / tau)     over the C channels
        loss_self_distill = loss_weight * tau^2 / (N (L-1))
                            * sum_n sum_{l<L} KL(P_L,n || P_l,n)

    KL is summed over channels and averaged over the batch.

    Args:
        num_blocks (int): Number of tapped blocks L per expert (>= 2); the
            last one is the teacher.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        temperature (float): Softening temperature tau. Defaults to 1.0.
        detach_teacher (bool): Stop gradients at the teacher class token.
            Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    #: This loss uses only class tokens.
    requires_st_tokens = False

    def __init__(self,
                 num_blocks: int,
                 loss_weight: float = 1.0,
                 temperature: float = 1.0,
                 detach_teacher: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 2:
            raise ValueError('ClassTokenSelfDistillLoss needs num_blocks >= '
                             f'2 (a teacher and a student), got {num_blocks}')
        if temperature <= 0:
            raise ValueError('ClassTokenSelfDistillLoss temperature must be '
                             f'> 0, got {temperature}')
        self.num_blocks = num_blocks
        self.loss_weight = loss_weight
        self.temperature = temperature
        self.detach_teacher = detach_teacher

    def forward(
            self,
            block_cls_tokens: Sequence[Sequence[torch.Tensor]],
            block_st_tokens: Optional[Sequence] = None,
            expert_outputs: Optional[torch.Tensor] = None,
            labels: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Compute the self-distillation loss.

        Args:
            block_cls_tokens: List over experts (N) of lists over blocks (L,
                shallow to deep) of class tokens of shape (B, C).
            block_st_tokens: Unused (common expert-loss call contract).
            expert_outputs: Unused.
            labels: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_self_distill``.
        """
        num_experts, _ = check_block_tokens(block_cls_tokens,
                                            'block_cls_tokens',
                                            self.num_blocks)
        total = 0.
        for cls_tokens in block_cls_tokens:
            teacher = cls_tokens[-1] / self.temperature
            if self.detach_teacher:
                teacher = teacher.detach()
            distribution = teacher_distribution(teacher)
            for student in cls_tokens[:-1]:
                total = total + softmax_kl_divergence(
                    student / self.temperature, teacher, distribution).mean()
        loss = self.temperature**2 * total / (
            num_experts * (self.num_blocks - 1))
        return dict(loss_self_distill=self.loss_weight * loss)
