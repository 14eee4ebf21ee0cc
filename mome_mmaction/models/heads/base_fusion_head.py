"""Base of the heads over stacked expert outputs (B, N, C)."""
import torch
from mmaction.models.heads import BaseHead
from mmaction.utils import ConfigType
from typing import Optional


class BaseFusionHead(BaseHead):
    """MMAction2's :class:`BaseHead` over the outputs of N experts.

    Holds what every fusion head shares: ``num_experts`` (checked >= 1),
    the defaults (cross-entropy, clip scores averaged as probabilities,
    truncated-normal Linear init) and the shape check of the stacked expert
    outputs.

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
