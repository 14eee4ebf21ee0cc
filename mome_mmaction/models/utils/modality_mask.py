"""Per-sample modality masks: which cameras of a sample are online.

A modality mask is a bool tensor of shape (B, N), experts in the
recognizer's ``modalities`` order: True where the camera delivered its
clip, False where it is offline (masked). A data sample carries it as
``data_sample.modality_mask`` (a metainfo field, set by
``DropModality(mask=True)`` / ``ModalityDropout(mask=True)`` and packed by
``PackActionInputs(meta_keys=(..., 'modality_mask'))``), either as a dict
``{modality: bool}`` (modalities it does not name are online) or as a
sequence of N values in ``modalities`` order.
"""
import torch
from mmaction.utils import OptSampleList
from typing import Mapping, Optional, Sequence

#: Name of the metainfo field (and of the ONNX input) holding the mask.
MODALITY_MASK_KEY = 'modality_mask'


def sample_modality_mask(data_samples: OptSampleList,
                         modalities: Sequence[str]) -> Optional[torch.Tensor]:
    """The (B, N) mask of a batch, or None when no sample carries one.

    Args:
        data_samples (list[ActionDataSample], optional): The batch.
        modalities (Sequence[str]): The recognizer's modalities (N).

    Returns:
        torch.Tensor, optional: Bool of shape (B, N), True = online.

    Raises:
        ValueError: A mask names a modality the model does not have, has the
            wrong length, or leaves a sample with no camera online.
    """
    if not data_samples or not any(MODALITY_MASK_KEY in sample
                                   for sample in data_samples):
        return None
    rows = []
    for index, sample in enumerate(data_samples):
        value = sample.get(MODALITY_MASK_KEY, None)
        if value is None:
            rows.append([True] * len(modalities))
        elif isinstance(value, Mapping):
            unknown = sorted(set(value) - set(modalities))
            if unknown:
                raise ValueError(
                    f'modality_mask of sample {index} names {unknown}, which '
                    f'are not modalities of the model {list(modalities)}')
            rows.append([bool(value.get(name, True)) for name in modalities])
        else:
            row = torch.as_tensor(value).flatten().bool().tolist()
            if len(row) != len(modalities):
                raise ValueError(
                    f'modality_mask of sample {index} has {len(row)} values, '
                    f'expected one per modality {list(modalities)}')
            rows.append(row)
    mask = torch.tensor(rows, dtype=torch.bool)
    check_modality_mask(mask, len(modalities))
    check_some_modality_online(mask)
    return mask


def check_modality_mask(mask: torch.Tensor, num_experts: int) -> None:
    """Raise a ``ValueError`` unless ``mask`` is a (B, N) bool tensor.

    Only the dtype and shape are read, so this is safe while a model is
    traced for export.
    """
    if mask.dtype != torch.bool or mask.dim() != 2 or \
            mask.shape[1] != num_experts:
        raise ValueError(
            f'modality_mask must be a bool tensor of shape (B, {num_experts})'
            f', got {mask.dtype} of shape {tuple(mask.shape)}')


def check_some_modality_online(mask: torch.Tensor) -> None:
    """Raise a ``ValueError`` if a sample of ``mask`` (B, N) has no camera
    online: the gate's softmax over no expert at all is undefined."""
    offline = (~mask.any(dim=1)).nonzero().flatten().tolist()
    if offline:
        raise ValueError(
            f'modality_mask leaves samples {offline} without any online '
            'camera; at least one modality per sample must be True')
