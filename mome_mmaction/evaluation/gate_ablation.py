"""What a trained token voting gate adds: the same experts and classifier
under other weightings."""
import torch
import torch.nn.functional as F
from typing import Dict, Optional, Sequence, Union

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


def working_experts(conditions: Sequence[str],
                    views: Sequence[str]) -> torch.Tensor:
    """Which experts' cameras work in each sample, from its sensing
    condition as the synthetic data records it
    (:func:`mome_mmaction.datasets.synthetic.chunk_condition`: ``'clean'``,
    ``'<view>:<failure>'`` or ``'<view>+<view>:<failure>'``).

    Args:
        conditions (Sequence[str]): One condition per sample.
        views (Sequence[str]): Each expert's camera view, e.g.
            ``('kinect_color', 'kinect_ir', 'kinect_depth')``.

    Returns:
        torch.Tensor: Bool of shape (B, N), False where the camera fails.
    """
    working = torch.ones(len(conditions), len(views), dtype=torch.bool)
    for index, condition in enumerate(conditions):
        if condition == 'clean':
            continue
        failing = condition.split(':')[0].split('+')
        unknown = sorted(set(failing) - set(views))
        if ':' not in condition or unknown:
            raise ValueError(
                f'sample {index}: condition {condition!r} is not "clean" or '
                f'"<view>[+<view>]:<failure>" with views among {tuple(views)}')
        working[index] = torch.tensor([view not in failing for view in views])
    return working


@torch.no_grad()
def gate_ablation_top1(head: Union[TokenVotingGateHead, LateFusionHead],
                       expert_outputs: torch.Tensor,
                       labels: torch.Tensor,
                       modalities: Sequence[str],
                       working: Optional[torch.Tensor] = None
                       ) -> Dict[str, float]:
    """Top-1 (%) of a trained head with its learned gate, with uniform
    weights (the gate replaced by the plain mean), with each expert alone
    (weight 1 on it) and, given which cameras work, with a gate that knows
    it (uniform weights over the working cameras: how much a gate that
    moves weight off failing cameras can add), the experts and the
    classifier unchanged. Clips are averaged as probabilities. A
    :class:`LateFusionHead` has no gate: its own prediction is ``uniform``.

    Args:
        head (TokenVotingGateHead | LateFusionHead): A trained head, in eval
            mode.
        expert_outputs (torch.Tensor): Shape (B, K, N, C): B samples of K
            clips each.
        labels (torch.Tensor): Class indices of shape (B,).
        modalities (Sequence[str]): The N experts' names.
        working (torch.Tensor, optional): Bool of shape (B, N), whether
            each sample's camera of each expert works
            (:func:`working_experts`); at least one per sample.

    A token-fusion head is also scored as late fusion combines: its gate's
    weights (``learned gate, probabilities``) and uniform weights
    (``uniform, probabilities``) averaging each expert's probabilities
    through the shared classifier instead of summing the tokens.

    Returns:
        dict[str, float]: ``learned gate`` (not for late fusion), for
        ``fusion='token'`` ``learned gate, probabilities`` and ``uniform,
        probabilities``,
        ``uniform``, ``working cameras`` (given ``working``),
        ``<modality> alone`` and ``some expert right`` (the clips at least
        one expert alone gets right, the ensemble's oracle accuracy: the
        higher it is above each expert alone, the more the experts err on
        different clips).
    """
    if expert_outputs.dim() != 4 or expert_outputs.shape[2] != len(
            modalities) or len(labels) != len(expert_outputs):
        raise ValueError(
            'gate_ablation_top1 needs expert outputs (B, K, N, C) with N = '
            f'{len(modalities)} modalities {tuple(modalities)} and B labels, '
            f'got outputs {tuple(expert_outputs.shape)} and '
            f'{len(labels)} labels')
    num_samples, num_clips, num_experts = expert_outputs.shape[:3]
    if working is not None and working.shape != (num_samples, num_experts):
        raise ValueError(f'working must be ({num_samples}, {num_experts}), '
                         f'got {tuple(working.shape)}')
    if working is not None and not working.any(1).all():
        raise ValueError('working: samples '
                         f'{(~working.any(1)).nonzero().flatten().tolist()} '
                         'have no working camera')
    tokens = expert_outputs.flatten(0, 1)  # (B*K, N, C)

    def right(probabilities: torch.Tensor) -> torch.Tensor:
        """(B*K, ..., classes) -> (B, ...): the clip-averaged prediction
        is the label."""
        predicted = probabilities.view(
            num_samples, num_clips,
            *probabilities.shape[1:]).mean(1).argmax(-1)
        return predicted == labels.view(-1, *[1] * (predicted.dim() - 1))

    def top1(probabilities: torch.Tensor) -> float:
        return 100. * right(probabilities).float().mean().item()

    results = {}
    alone = expert_probabilities(head, tokens)  # (B*K, N, num_classes)
    if isinstance(head, TokenVotingGateHead):
        logits, gate_weights = head(tokens)
        results['learned gate'] = top1(F.softmax(logits, -1))
    results['uniform'] = top1(
        weighted_probabilities(
            head, tokens, tokens.new_full(tokens.shape[:2], 1. / num_experts)))
    if working is not None:
        weights = working.float() / working.sum(1, keepdim=True)
        results['working cameras'] = top1(
            weighted_probabilities(
                head, tokens,
                weights.repeat_interleave(num_clips, 0).to(tokens.dtype)))
    if isinstance(head, TokenVotingGateHead) and head.fusion == 'token':
        results['learned gate, probabilities'] = top1(
            (gate_weights.unsqueeze(-1) * alone).sum(1))
        results['uniform, probabilities'] = top1(alone.mean(1))
    for index, modality in enumerate(modalities):
        results[f'{modality} alone'] = top1(alone[:, index])
    results['some expert right'] = 100. * right(alone).any(
        1).float().mean().item()
    return results
