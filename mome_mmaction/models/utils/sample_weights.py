"""Attach per-sample fusion weights (gate, interaction, routing) to the
predictions, averaged over clips as the heads average the scores."""
import torch
from mmaction.utils import SampleList
from typing import Optional


def attach_sample_weights(predictions: SampleList, weights: torch.Tensor,
                          field: str,
                          average_clips: Optional[str]) -> SampleList:
    """Set ``weights`` of each sample as the data field ``field``.

    Args:
        predictions (list[ActionDataSample]): B samples, from the head's
            ``predict_by_feat``.
        weights (torch.Tensor): Shape (B*num_clips, ...), sample-major as
            the clips folded into the batch.
        field (str): Name of the field, e.g. ``'gate_weights'``.
        average_clips (str, optional): The head's ``average_clips``: unless
            None, each sample gets the mean over its clips (...), else
            (num_clips, ...) like the scores.

    Returns:
        list[ActionDataSample]: ``predictions``, each with ``field`` set
        (detached).
    """
    num_clips = weights.shape[0] // len(predictions)
    # (B*num_clips, ...) -> (B, num_clips, ...)
    weights = weights.detach().view(
        len(predictions), num_clips, *weights.shape[1:])
    if average_clips is not None:
        weights = weights.mean(dim=1)
    for data_sample, sample_weights in zip(predictions, weights):
        data_sample.set_field(sample_weights, field)
    return predictions
