"""What a trained token voting gate adds: the same experts and classifier
under other weightings."""
import torch
import torch.nn.functional as F
from typing import Dict, Sequence, Union

from ..models.heads import LateFusionHead, TokenVotingGateHead


def expert_probabilities(head: Union[TokenVotingGateHead, LateFusionHead],
                         expert_outputs: torch.Tensor) -> torch.Tensor:
    """Each expert's class probabilities alone: its token through the shared
    classifier (:meth:`TokenVotingGateHead.expert_logits`) or through its
    own classifier (:class:`LateFusionHead`).

    Args:
        head (TokenVotingGateHead | LateFusionHead): A trained head.
        expert_outputs (torch.Tensor): Shape (B, N, C).

    Returns:
        torch.Tensor: Float32 probabilities of shape (B, N, num_classes).
    """
    logits = head(expert_outputs) if isinstance(
        head, LateFusionHead) else head.expert_logits(expert_outputs)
    return F.softmax(logits.float(), -1)


def weighted_probabilities(head: Union[TokenVotingGateHead, LateFusionHead],
                           expert_outputs: torch.Tensor,
                           gate_weights: torch.Tensor) -> torch.Tensor:
    """Class probabilities of ``head`` with the given gate weights in place
    of its own: the weighted sum of the tokens through the classifier
    (``fusion='token'``) or the weighted average of
    :func:`expert_probabilities` (``fusion='prediction'``, and a
    :class:`LateFusionHead`).

    Args:
        head (TokenVotingGateHead | LateFusionHead): A trained head.
        expert_outputs (torch.Tensor): Shape (B, N, C).
        gate_weights (torch.Tensor): Shape (B, N), rows summing to 1.

    Returns:
        torch.Tensor: Probabilities of shape (B, num_classes).
    """
    weights = gate_weights.unsqueeze(-1)  # (B, N, 1)
    if isinstance(head, LateFusionHead) or head.fusion == 'prediction':
        return (weights * expert_probabilities(head, expert_outputs)).sum(1)
    return F.softmax(head.classifier((weights * expert_outputs).sum(1)), -1)


@torch.no_grad()
def gate_ablation_top1(head: Union[TokenVotingGateHead, LateFusionHead],
                       expert_outputs: torch.Tensor, labels: torch.Tensor,
                       modalities: Sequence[str]) -> Dict[str, float]:
    """Top-1 (%) of a trained head with its learned gate, with uniform
    weights (the gate replaced by the plain mean) and with each expert alone
    (weight 1 on it), the experts and the classifier unchanged. Clips are
    averaged as probabilities. A :class:`LateFusionHead` has no gate: its
    own prediction is ``uniform``.

    Args:
        head (TokenVotingGateHead | LateFusionHead): A trained head, in eval
            mode.
        expert_outputs (torch.Tensor): Shape (B, K, N, C): B samples of K
            clips each.
        labels (torch.Tensor): Class indices of shape (B,).
        modalities (Sequence[str]): The N experts' names.

    Returns:
        dict[str, float]: ``learned gate`` (not for late fusion),
        ``uniform`` and ``<modality> alone``.
    """
    if expert_outputs.dim() != 4 or expert_outputs.shape[2] != len(
            modalities) or len(labels) != len(expert_outputs):
        raise ValueError(
            'gate_ablation_top1 needs expert outputs (B, K, N, C) with N = '
            f'{len(modalities)} modalities {tuple(modalities)} and B labels, '
            f'got outputs {tuple(expert_outputs.shape)} and '
            f'{len(labels)} labels')
    num_samples, num_clips, num_experts = expert_outputs.shape[:3]
    tokens = expert_outputs.flatten(0, 1)  # (B*K, N, C)

    def top1(probabilities: torch.Tensor) -> float:
        predicted = probabilities.view(num_samples, num_clips,
                                       -1).mean(1).argmax(-1)
        return 100. * (predicted == labels).float().mean().item()

    results = {}
    if isinstance(head, TokenVotingGateHead):
        logits, _ = head(tokens)
        results['learned gate'] = top1(F.softmax(logits, -1))
    results['uniform'] = top1(
        weighted_probabilities(
            head, tokens, tokens.new_full(tokens.shape[:2], 1. / num_experts)))
    alone = expert_probabilities(head, tokens)  # (B*K, N, num_classes)
    for index, modality in enumerate(modalities):
        results[f'{modality} alone'] = top1(alone[:, index])
    return results
