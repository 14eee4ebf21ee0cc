"""Class indices of a batch's ground truth, hard or soft."""
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
