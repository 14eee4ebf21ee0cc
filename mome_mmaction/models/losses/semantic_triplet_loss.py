import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import nn

from .loss_inputs import check_labels


@MODELS.register_module()
class SemanticTripletLoss(nn.Module):
    """Triplet loss between fused embeddings and class descriptions.

    The semantic synchronization of A-MESS (Shen et al., 2025): a sample's
    fused embedding (anchor) is pulled toward the embedding of its own
    label's description (positive) and pushed from the closest description
    of another label (the hardest negative)::

        d(a, b) = 1 - cos(a, b)
        loss = loss_weight * mean_i relu(d(z_i, e_{y_i})
                                         - min_{k != y_i} d(z_i, e_k)
                                         + margin)

    Distances are computed in float32.

    Args:
        margin (float): Margin between the positive and the hardest
            negative distance. Defaults to 0.2.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, margin: float = 0.2, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.margin = margin
        self.loss_weight = loss_weight

    def forward(self, embeddings: torch.Tensor,
                description_embeddings: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Weighted mean triplet loss over the batch.

        Args:
            embeddings (torch.Tensor): Anchors z (B, D).
            description_embeddings (torch.Tensor): One per class (K, D),
                K >= 2.
            labels (torch.Tensor): Class ids (B,), integers in [0, K).

        Returns:
            torch.Tensor: Scalar loss.
        """
        if embeddings.dim() != 2 or description_embeddings.dim() != 2 or \
                embeddings.shape[1] != description_embeddings.shape[1]:
            raise ValueError(
                'SemanticTripletLoss expects embeddings (B, D) and '
                'description_embeddings (K, D) of the same D, got '
                f'{tuple(embeddings.shape)} and '
                f'{tuple(description_embeddings.shape)}')
        num_classes = description_embeddings.shape[0]
        if num_classes < 2:
            raise ValueError('SemanticTripletLoss needs descriptions of at '
                             'least 2 classes (a negative for every sample), '
                             f'got {num_classes}')
        labels = check_labels(labels, embeddings.shape[0],
                              'SemanticTripletLoss').long()
        if labels.numel() and (labels.min() < 0
                               or labels.max() >= num_classes):
            raise ValueError(
                f'SemanticTripletLoss: labels must be in [0, {num_classes}) '
                f'(one per description), got {labels.tolist()}')
        # 1 - cosine similarity of every (sample, class) pair: (B, K)
        distances = 1 - F.normalize(
            embeddings.float(), dim=1) @ F.normalize(
                description_embeddings.float(), dim=1).t()
        own_label = F.one_hot(labels, num_classes).bool()  # (B, K)
        positive = distances[own_label]  # (B, )
        hardest_negative = distances.masked_fill(own_label,
                                                 float('inf')).amin(dim=1)
        return self.loss_weight * F.relu(positive - hardest_negative +
                                         self.margin).mean()
