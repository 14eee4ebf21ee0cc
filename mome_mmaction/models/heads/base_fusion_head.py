"""Base of the heads over stacked expert outputs (B, N, C)."""
import torch
from mmaction.models.heads import BaseHead
from mmaction.utils import ConfigType, SampleList
from typing import Dict, Optional


class BaseFusionHead(BaseHead):
    """MMAction2's :class:`BaseHead` over the outputs of N experts.

    Holds what every fusion head shares: ``num_experts`` (checked >= 1),
    the defaults (cross-entropy, clip scores averaged as probabilities,
    truncated-normal Linear init), the shape check of the stacked expert
    outputs, and a classification loss on float32 scores (see
    :meth:`loss_by_feat`).

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Width C of the expert outputs.
        num_experts (int): Number of experts N.
        loss_cls (dict): Classification loss. Defaults to
            ``dict(type='CrossEntropyLoss')``.
        average_clips (str, optional): How clip scores are averaged at test
            time ('score', 'prob' or None). Defaults to 'prob'.
        init_cfg (dict, optional): Initialization config. Defaults to
            truncated normal (std 0.02) for every Linear.
        **kwargs: Other :class:`BaseHead` arguments.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int,
                 loss_cls: ConfigType = dict(type='CrossEntropyLoss'),
                 average_clips: Optional[str] = 'prob',
                 init_cfg: Optional[ConfigType] = dict(
                     type='TruncNormal', layer='Linear', std=0.02, bias=0.),
                 **kwargs) -> None:
        super().__init__(
            num_classes,
            in_channels,
            loss_cls=loss_cls,
            average_clips=average_clips,
            init_cfg=init_cfg,
            **kwargs)
        if num_experts < 1:
            raise ValueError(f'num_experts must be >= 1, got {num_experts}')
        self.num_experts = num_experts

    def check_expert_outputs(self, expert_outputs: torch.Tensor) -> None:
        """Raise a ``ValueError`` unless the shape is (B, N, C)."""
        if expert_outputs.dim() != 3 or expert_outputs.shape[1:] != (
                self.num_experts, self.in_channels):
            raise ValueError(
                f'{type(self).__name__} expects expert outputs of shape '
                f'(B, {self.num_experts}, {self.in_channels}), got '
                f'{tuple(expert_outputs.shape)}')

    def loss_by_feat(self, cls_scores: torch.Tensor,
                     data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """:meth:`BaseHead.loss_by_feat` on float32 scores.

        Under bfloat16 autocast (``AutocastOptimWrapper``) the scores are
        bfloat16, which MMAction2's accuracy (through numpy) cannot read;
        cross-entropy in float32 is also what autocast itself would choose.

        Args:
            cls_scores (torch.Tensor): Class scores of shape (B, K).
            data_samples (list[ActionDataSample]): With ``gt_label``.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls`` and the top-k accuracies.
        """
        return super().loss_by_feat(cls_scores.float(), data_samples)
