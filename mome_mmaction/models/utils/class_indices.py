"""A batch's ground truth, hard or soft: as given, or as class indices."""
import torch
from mmaction.utils import SampleList


def class_indices(data_samples: SampleList,
                  device: torch.device) -> torch.Tensor:
    """One class index per sample: the label itself, or the argmax of a
    soft label (K,) (e.g. after mixup).

    Args:
        data_samples (list[ActionDataSample]): Samples with ``gt_label``,
            (1,) class indices or (K,) soft labels.
        device (torch.device): Where the result goes.

    Returns:
        torch.Tensor: (B,) long class indices.
    """
    labels = torch.stack(
        [sample.gt_label.reshape(-1) for sample in data_samples]).to(device)
    return labels.argmax(dim=1) if labels.shape[1] > 1 else labels[:, 0]


def batch_labels(data_samples: SampleList) -> torch.Tensor:
    """The batch's labels as given: class indices, or soft labels (e.g.
    after mixup), the two forms ``F.cross_entropy`` takes.

    Args:
        data_samples (list[ActionDataSample]): Samples with ``gt_label``,
            (1,) class indices or (K,) soft labels.

    Returns:
        torch.Tensor: (B,) long class indices, or (B, K) soft labels.
    """
    labels = torch.stack([sample.gt_label for sample in data_samples])
    return labels[:, 0] if labels.dim() == 2 and labels.shape[1] == 1 \
        else labels
