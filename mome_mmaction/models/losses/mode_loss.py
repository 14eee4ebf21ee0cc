import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from typing import Dict, Optional, Sequence

from ..utils.per_expert_classifiers import PerExpertClassifiers
from .loss_inputs import check_expert_outputs, check_labels


@MODELS.register_module()
class MoDELoss(BaseModule):
    """MoDE-style mutual distillation among experts (Xie et al., 2024).

    The baseline compared with HTL: each expert gets its own linear
    classifier on its final class token, is trained with cross-entropy on
    the labels, and the experts' softened predictions are distilled into each
    other with a symmetric KL::

        z_n = classifier_n(T_cls,L,n),  p_n = softmax(z_n / tau)
        loss_mode_cls = cls_weight * mean_n CE(z_n, y)
        loss_mode_distill = distill_weight * tau^2 / (N (N-1))
                            * sum_n sum_{k!=n} KL(p_k || p_n)

    KL is summed over classes and averaged over the batch. Summing over
    ordered pairs makes each pair's term symmetric,
    ``KL(p_k || p_n) + KL(p_n || p_k)``. No ST tokens are needed.

    Args:
        in_channels (int): Channels C of the expert outputs.
        num_classes (int): Number of classes.
        num_experts (int): Number of experts N (>= 2).
        temperature (float): Softening temperature tau. Defaults to 1.0.
        cls_weight (float): Weight of the experts' cross-entropy.
            Defaults to 1.0.
        distill_weight (float): Weight of the mutual distillation.
            Defaults to 1.0.
        detach_target (bool): Stop gradients through the target side
            ``p_k`` of each KL (deep mutual learning style). Defaults to
            False (both sides of the symmetric KL are trained).
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    #: This loss uses only class tokens / expert outputs.
    requires_st_tokens = False

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 num_experts: int,
                 temperature: float = 1.0,
                 cls_weight: float = 1.0,
                 distill_weight: float = 1.0,
                 detach_target: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_experts < 2:
            raise ValueError('MoDELoss distills among experts and needs '
                             f'num_experts >= 2, got {num_experts}')
        if temperature <= 0:
            raise ValueError(
                f'MoDELoss temperature must be > 0, got {temperature}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.num_experts = num_experts
        self.temperature = temperature
        self.cls_weight = cls_weight
        self.distill_weight = distill_weight
        self.detach_target = detach_target
        self.expert_classifiers = PerExpertClassifiers(in_channels,
                                                       num_classes,
                                                       num_experts)

    def expert_logits(self, expert_outputs: torch.Tensor) -> torch.Tensor:
        """Each expert's class scores.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).

        Returns:
            torch.Tensor: Logits of shape (B, N, num_classes).
        """
        return self.expert_classifiers(expert_outputs)

    def mutual_distillation(self, expert_logits: torch.Tensor) -> torch.Tensor:
        """Mean symmetric KL between the experts' softened predictions.

        Args:
            expert_logits (torch.Tensor): Shape (B, N, K).

        Returns:
            torch.Tensor: Scalar, float32, already multiplied by tau^2.
        """
        log_probs = F.log_softmax(
            expert_logits.float() / self.temperature, dim=-1)  # (B, N, K)
        target_log_probs = (
            log_probs.detach() if self.detach_target else log_probs)
        num_experts = log_probs.shape[1]
        # kl[b, k, n] = KL(p_k || p_n): targets on dim 1, inputs on dim 2.
        kl = (target_log_probs.exp().unsqueeze(2) *
              (target_log_probs.unsqueeze(2) - log_probs.unsqueeze(1))).sum(-1)
        pair_sum = kl.sum((1, 2)).mean()  # the diagonal KL(p_n || p_n) is 0
        return self.temperature**2 * pair_sum / (
            num_experts * (num_experts - 1))

    def forward(self,
                block_cls_tokens: Optional[Sequence] = None,
                block_st_tokens: Optional[Sequence] = None,
                expert_outputs: Optional[torch.Tensor] = None,
                labels: Optional[torch.Tensor] = None
                ) -> Dict[str, torch.Tensor]:
        """Compute the MoDE losses.

        Args:
            block_cls_tokens: Unused (common expert-loss call contract).
            block_st_tokens: Unused.
            expert_outputs (torch.Tensor): The experts' final class tokens of
                shape (B, N, C).
            labels (torch.Tensor): Class ids of shape (B,).

        Returns:
            dict[str, torch.Tensor]: ``loss_mode_cls`` and
            ``loss_mode_distill``.
        """
        check_expert_outputs(expert_outputs, self.num_experts)
        if expert_outputs.shape[2] != self.in_channels:
            raise ValueError(f'MoDELoss: expert_outputs have '
                             f'{expert_outputs.shape[2]} channels, expected '
                             f'in_channels={self.in_channels}')
        labels = check_labels(labels, expert_outputs.shape[0], 'MoDELoss')
        logits = self.expert_logits(expert_outputs)  # (B, N, K)
        expert_ce = F.cross_entropy(logits.float().flatten(0, 1),
                                    labels.repeat_interleave(self.num_experts))
        return dict(
            loss_mode_cls=self.cls_weight * expert_ce,
            loss_mode_distill=self.distill_weight *
            self.mutual_distillation(logits))
