import torch
from mmaction.registry import MODELS
from mmaction.utils import SampleList
from torch import nn
from typing import Dict

from ..utils.per_expert_classifiers import PerExpertClassifiers
from .base_fusion_head import BaseFusionHead


@MODELS.register_module()
class LateFusionHead(BaseFusionHead):
    """Late fusion: a classifier per expert, scores averaged.

    Each expert output goes through its own Dropout -> Linear classifier.
    Training: every classifier is trained on its own prediction;
    ``loss_cls`` is the mean of the N per-expert losses (and the top-k
    accuracies the mean of theirs). Testing: the N experts' scores are
    averaged together with the clips, the way ``average_clips`` says
    ('prob': mean of softmax, 'score': mean of logits; None: experts'
    logits averaged, clips kept).

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Width C of the expert outputs.
        num_experts (int): Number of experts N.
        dropout_ratio (float): Dropout before each classifier. Defaults to
            0.5.
        **kwargs: :class:`BaseFusionHead` arguments (``loss_cls``,
            ``average_clips``, ``init_cfg``) and other :class:`BaseHead`
            arguments.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int,
                 dropout_ratio: float = 0.5,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, num_experts, **kwargs)
        self.dropout = nn.Dropout(p=dropout_ratio)
        self.classifiers = PerExpertClassifiers(in_channels, num_classes,
                                                num_experts)

    def forward(self, expert_outputs: torch.Tensor, **kwargs) -> torch.Tensor:
        """Classify every expert output with its own classifier.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).

        Returns:
            torch.Tensor: Per-expert logits of shape (B, N, num_classes).
        """
        self.check_expert_outputs(expert_outputs)
        return self.classifiers(self.dropout(expert_outputs))

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Mean of the per-expert losses and accuracies.

        Args:
            feats (torch.Tensor): Expert outputs of shape (B, N, C).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls`` and top-k accuracies.
        """
        logits = self(feats, **kwargs)
        per_expert = [
            self.loss_by_feat(logits[:, index], data_samples)
            for index in range(self.num_experts)
        ]
        return {
            key: torch.stack([losses[key] for losses in per_expert]).mean()
            for key in per_expert[0]
        }

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        """Average the experts' scores (and the clips') into one prediction.

        Args:
            feats (torch.Tensor): Expert outputs of shape (B*num_clips, N, C).
            data_samples (list[ActionDataSample]): B samples.

        Returns:
            list[ActionDataSample]: Samples with ``pred_score`` and
            ``pred_label``.
        """
        logits = self(feats, **kwargs)  # (B*num_clips, N, K)
        if self.average_clips is None:
            return self.predict_by_feat(logits.mean(dim=1), data_samples)
        # Experts become extra clips: (B*num_clips*N, K), sample-major.
        return self.predict_by_feat(logits.flatten(0, 1), data_samples)
