"""Modality keys, the arrays behind them, and the default preprocessor.

Shared by the data pipeline (transforms that act on one view) and the
models (recognizers over a dict of clips, one key per modality).
"""
import numpy as np
import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmaction.utils import OptConfigType
from typing import Dict, List, Sequence


def normalize_modalities(modalities: Sequence[str]) -> List[str]:
    """Check ``modalities`` is a non-empty sequence of distinct names."""
    if isinstance(modalities, str) or not modalities:
        raise ValueError('modalities must be a non-empty sequence of input '
                         f'keys such as ("rgb", "ir", "depth"), got '
                         f'{modalities!r}')
    names = list(modalities)
    if len(set(names)) != len(names) or not all(
            isinstance(name, str) for name in names):
        raise ValueError(
            f'modalities must be distinct strings, got {modalities!r}')
    return names


def check_input_keys(inputs: Dict[str, torch.Tensor],
                     modalities: Sequence[str], owner: str) -> None:
    """Raise a ``KeyError`` unless ``inputs`` has exactly ``modalities``."""
    if not isinstance(inputs, dict):
        raise TypeError(
            f'{owner} expects a dict of modality tensors with '
            f'keys {list(modalities)}, got {type(inputs).__name__}')
    if set(inputs) != set(modalities):
        raise KeyError(f'{owner} expects input keys {sorted(modalities)} (its '
                       f'`modalities`), got {sorted(inputs)}; missing '
                       f'{sorted(set(modalities) - set(inputs))}, unexpected '
                       f'{sorted(set(inputs) - set(modalities))}.')


def modality_array(results: Dict, modality: str, transform: str) -> np.ndarray:
    """``results[modality]`` of a pipeline sample, or a clear error naming
    the modalities the sample has."""
    if modality not in results:
        raise KeyError(
            f"{transform}: the sample has no modality '{modality}' (keys: "
            f'{sorted(key for key in results if not key.startswith("_"))}); '
            'put it after SynchronizedModalityTransforms and name a key of '
            'its modalities')
    return results[modality]


def build_data_preprocessor(data_preprocessor: OptConfigType,
                            modalities: Sequence[str]) -> nn.Module:
    """The recognizer's data preprocessor, built with MMAction2's registry.

    Args:
        data_preprocessor (dict | nn.Module, optional): A config or a built
            preprocessor; None gives MMAction2's
            ``MultiModalDataPreprocessor`` that only stacks each modality
            (``ActionDataPreprocessor(format_shape='NCTHW')`` per key).
        modalities (Sequence[str]): The recognizer's input keys.

    Returns:
        nn.Module: The preprocessor (built here, so no default scope is
        needed).
    """
    if data_preprocessor is None:
        data_preprocessor = dict(
            type='MultiModalDataPreprocessor',
            preprocessors={
                name:
                dict(type='ActionDataPreprocessor', format_shape='NCTHW')
                for name in modalities
            })
    if isinstance(data_preprocessor, dict):
        data_preprocessor = MODELS.build(data_preprocessor)
    return data_preprocessor


def mark_offline(results: Dict, modality: str) -> None:
    """Mark ``modality`` offline in the sample's ``results['modality_mask']``
    (a dict ``{modality: bool}``, True = online; created if absent)."""
    results['modality_mask'] = dict(
        results.get('modality_mask', {}), **{modality: False})


def check_modality_mask_packed(pipeline: Sequence, owner: str) -> None:
    """Raise a ``ValueError`` if a step of ``pipeline`` (config dicts or
    transforms) sets ``modality_mask`` (``mask=True``) but no
    ``PackActionInputs`` step after it keeps the key in its ``meta_keys``:
    the mask would be dropped silently."""
    setter = None
    for step in pipeline:
        config = step if isinstance(step, dict) else vars(step)
        name = step.get('type') if isinstance(step,
                                              dict) else type(step).__name__
        if config.get('mask') is True:
            setter = name
        elif setter and name == 'PackActionInputs' and \
                'modality_mask' not in config.get('meta_keys', ()):
            raise ValueError(
                f'{owner}: the pipeline step {setter}(mask=True) sets '
                "'modality_mask', but PackActionInputs does not keep it: add "
                "'modality_mask' to its meta_keys")
