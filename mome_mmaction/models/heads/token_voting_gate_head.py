from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from mmaction.utils import ConfigType, SampleList


@MODELS.register_module()
class TokenVotingGateHead(BaseHead):
    """Token voting gate over modality experts, then an MLP classifier.

    Every expert's output token votes for itself: a scorer shared by all
    tokens (LayerNorm -> Linear -> GELU -> Linear) plus a learnable
    per-expert prior gives N scores, ``w = softmax(scores)`` over the
    experts, the fused embedding is ``z = sum_n w_n * x_n`` and an MLP
    (Linear -> GELU -> Dropout -> Linear) gives the logits. The gate looks at
    the experts' outputs, not at the raw inputs.

    ``forward`` returns the logits and the gate weights; :meth:`predict`
    stores the weights (averaged over clips like the scores) on each data
    sample as ``gate_weights`` (N,), ordered as the recognizer's modalities,
    and :meth:`loss` logs the mean gate entropy as ``gate_entropy``.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Width C of the expert outputs.
        num_experts (int): Number of experts N.
        gate_channels (int, optional): Hidden width of the scorer. Defaults
            to ``in_channels // 4``.
        mlp_channels (int, optional): Hidden width of the classifier MLP.
            Defaults to ``in_channels``.
        dropout_ratio (float): Dropout before the last classifier layer.
            Defaults to 0.5.
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
                 gate_channels: Optional[int] = None,
                 mlp_channels: Optional[int] = None,
                 dropout_ratio: float = 0.5,
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
        self.gate_channels = gate_channels or max(in_channels // 4, 1)
        self.mlp_channels = mlp_channels or in_channels
        self.dropout_ratio = dropout_ratio
        self.init_gate()
        self.classifier = nn.Sequential(
            nn.Linear(in_channels, self.mlp_channels), nn.GELU(),
            nn.Dropout(p=dropout_ratio),
            nn.Linear(self.mlp_channels, num_classes))

    def init_gate(self) -> None:
        """Build the gate: a shared token scorer and per-expert priors."""
        self.gate = nn.Sequential(
            nn.LayerNorm(self.in_channels),
            nn.Linear(self.in_channels, self.gate_channels), nn.GELU(),
            nn.Linear(self.gate_channels, 1))
        self.expert_prior = nn.Parameter(torch.zeros(self.num_experts))

    def gate_scores(self, expert_outputs: torch.Tensor,
                    **kwargs) -> torch.Tensor:
        """Gate scores of the experts.

        Args:
            expert_outputs (torch.Tensor): Shape (B, N, C).

        Returns:
            torch.Tensor: Scores of shape (B, N), before the softmax.
        """
        return self.gate(expert_outputs).squeeze(-1) + self.expert_prior

    def forward(self, expert_outputs: torch.Tensor,
                **kwargs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Gate, fuse and classify.

        Args:
            expert_outputs (torch.Tensor): Expert output tokens of shape
                (B, N, C).

        Returns:
            Tuple[torch.Tensor, torch.Tensor]: Logits (B, num_classes) and
            gate weights (B, N) that sum to 1 over N.
        """
        if expert_outputs.dim() != 3 or expert_outputs.shape[1:] != (
                self.num_experts, self.in_channels):
            raise ValueError(
                f'{type(self).__name__} expects expert outputs of shape '
                f'(B, {self.num_experts}, {self.in_channels}), got '
                f'{tuple(expert_outputs.shape)}')
        scores = self.gate_scores(expert_outputs, **kwargs)  # (B, N)
        gate_weights = F.softmax(scores, dim=1)
        # (B, N, 1) * (B, N, C) summed over N -> (B, C)
        fused = (gate_weights.unsqueeze(-1) * expert_outputs).sum(dim=1)
        return self.classifier(fused), gate_weights

    def loss(self, feats: torch.Tensor, data_samples: SampleList,
             **kwargs) -> Dict[str, torch.Tensor]:
        """Classification loss of the fused prediction.

        Args:
            feats (torch.Tensor): Expert outputs of shape (B, N, C).
            data_samples (list[ActionDataSample]): Samples with ``gt_label``.

        Returns:
            dict[str, torch.Tensor]: ``loss_cls``, top-k accuracies and
            ``gate_entropy`` (mean entropy of the gate weights, logged only).
        """
        logits, gate_weights = self(feats, **kwargs)
        losses = self.loss_by_feat(logits, data_samples)
        entropy = -(gate_weights * gate_weights.clamp_min(1e-12).log()).sum(1)
        losses['gate_entropy'] = entropy.mean().detach()
        return losses

    def predict(self, feats: torch.Tensor, data_samples: SampleList,
                **kwargs) -> SampleList:
        """Predict scores and attach the gate weights.

        Args:
            feats (torch.Tensor): Expert outputs of shape (B*num_clips, N, C).
            data_samples (list[ActionDataSample]): B samples.

        Returns:
            list[ActionDataSample]: Samples with ``pred_score``,
            ``pred_label`` and ``gate_weights`` (N,) -- or (num_clips, N)
            when ``average_clips`` is None, like the scores.
        """
        logits, gate_weights = self(feats, **kwargs)
        predictions = self.predict_by_feat(logits, data_samples)
        num_clips = gate_weights.shape[0] // len(data_samples)
        # (B*num_clips, N) -> (B, num_clips, N)
        gate_weights = gate_weights.detach().view(
            len(data_samples), num_clips, self.num_experts)
        if self.average_clips is not None:
            gate_weights = gate_weights.mean(dim=1)
        for data_sample, weights in zip(predictions, gate_weights):
            data_sample.set_field(weights, 'gate_weights')
        return predictions
