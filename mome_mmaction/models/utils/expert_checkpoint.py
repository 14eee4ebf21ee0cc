"""Start a modality expert from its stage-1 checkpoint (two-stage recipe).

Stage 1 fine-tunes one backbone per modality alone, with MMAction2's
``Recognizer3D`` (state-dict keys ``backbone.*``) or as a single-expert
:class:`MoMERecognizer` (``backbone.experts.<modality>.*``); stage 2 starts
each expert of a multimodal recognizer from its stage-1 backbone. Files are
read weights-only (:func:`load_checkpoint_weights_only`).
"""
import os.path as osp
import re
import torch
from mmengine.logging import print_log
from torch import nn
from typing import Dict, Sequence, Tuple

from ...utils.safe_checkpoint import load_checkpoint_weights_only
from .pretrained import load_report

#: Keys of a multimodal (``ModalityExperts``) checkpoint's experts.
EXPERTS_PREFIX = 'backbone.experts.'
#: Keys of a single-backbone (``Recognizer3D``) checkpoint's backbone.
BACKBONE_PREFIX = 'backbone.'


def _key_list(keys: Sequence[str], limit: int = 8) -> str:
    """``keys`` for a message: the first ``limit``, then how many more."""
    keys = list(keys)
    shown = ', '.join(keys[:limit])
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    return f'[{shown}{more}]'


def check_expert_checkpoint_file(filename: str, modality: str) -> None:
    """Raise ``FileNotFoundError`` naming the file and the modality.

    Args:
        filename (str): The stage-1 checkpoint of the expert.
        modality (str): The expert's modality, e.g. ``'ir'``.
    """
    if not osp.isfile(osp.expanduser(filename)):
        raise FileNotFoundError(
            f'Stage-1 checkpoint of expert {modality!r} not found: '
            f'{filename!r} (model.expert_checkpoints.{modality}). Train the '
            'single-modality stage first (tools/train_two_stage.sh runs '
            'both stages) or point it to your checkpoint of that modality.')


def expert_state_dict(checkpoint: object, modality: str,
                      filename: str) -> Tuple[Dict[str, torch.Tensor], str]:
    """The backbone weights of ``modality``'s expert in a loaded checkpoint.

    Args:
        checkpoint (object): What the file holds: ``{'state_dict': ...}``
            (mmengine) or a bare state dict; a ``module.`` prefix (DDP) is
            dropped.
        modality (str): The expert's modality.
        filename (str): The file, for messages.

    Returns:
        tuple[dict, str]: The weights with the prefix removed, keyed as in
        the expert's own ``state_dict()``, and the prefix they had
        (``'backbone.experts.<modality>.'`` or ``'backbone.'``).

    Raises:
        ValueError: The file holds no state dict, no backbone weights, or
            only other modalities' experts.
    """
    state_dict = checkpoint
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        state_dict = checkpoint['state_dict']
    if not isinstance(state_dict, dict):
        raise ValueError(
            f'Stage-1 checkpoint {filename} of expert {modality!r} holds no '
            f'state dict (got {type(state_dict).__name__})')
    state_dict = {
        re.sub(r'^module\.', '', key): value
        for key, value in state_dict.items()
    }
    experts = sorted({
        key[len(EXPERTS_PREFIX):].split('.', 1)[0]
        for key in state_dict if key.startswith(EXPERTS_PREFIX)
    })
    if experts and modality not in experts:
        raise ValueError(
            f'Stage-1 checkpoint {filename} is a multimodal checkpoint with '
            f'experts {experts} (keys {EXPERTS_PREFIX}<modality>.*), none '
            f'for modality {modality!r}')
    prefix = f'{EXPERTS_PREFIX}{modality}.' if experts else BACKBONE_PREFIX
    weights = {
        key[len(prefix):]: value
        for key, value in state_dict.items() if key.startswith(prefix)
    }
    if not weights:
        found = sorted({key.split('.', 1)[0] for key in state_dict})
        raise ValueError(
            f'Stage-1 checkpoint {filename} of expert {modality!r} has no '
            f'backbone weights: expected keys {BACKBONE_PREFIX}* (a '
            f'Recognizer3D checkpoint) or {EXPERTS_PREFIX}{modality}.* (a '
            f'MoMERecognizer checkpoint), found top-level keys {found}')
    return weights, prefix


def load_expert_checkpoint(expert: nn.Module, filename: str,
                           modality: str) -> None:
    """Load ``expert``'s weights from a stage-1 checkpoint, strictly.

    Every tensor of the expert must come from the file with its shape, and
    the file's backbone must hold nothing else; the load is logged with
    :func:`load_report`.

    Args:
        expert (nn.Module): The backbone of ``modality``.
        filename (str): A ``Recognizer3D`` or ``MoMERecognizer`` checkpoint
            (see :func:`expert_state_dict`).
        modality (str): The expert's modality, for messages.

    Raises:
        FileNotFoundError: No such file.
        ValueError: No backbone weights, or a backbone of another
            architecture (lists the keys that do not fit).
    """
    check_expert_checkpoint_file(filename, modality)
    checkpoint = load_checkpoint_weights_only(filename, map_location='cpu')
    weights, prefix = expert_state_dict(checkpoint, modality, filename)
    expected = expert.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    mismatched = [
        f'{key}: file {tuple(weights[key].shape)} vs expert '
        f'{tuple(expected[key].shape)}' for key in sorted(expected)
        if key in weights and weights[key].shape != expected[key].shape
    ]
    if missing or unexpected or mismatched:
        raise ValueError(
            f'Stage-1 checkpoint {filename} does not fit expert {modality!r} '
            f'({type(expert).__name__}); its keys under {prefix!r}: '
            f'{len(mismatched)} of another shape {_key_list(mismatched)}, '
            f'{len(missing)} missing {_key_list(missing)}, '
            f'{len(unexpected)} unexpected {_key_list(unexpected)}. A stage-2 '
            'expert needs the backbone config of its stage-1 model.')
    with load_report(expert, owner=f'expert {modality!r}'):
        expert.load_state_dict(weights)
    print_log(
        f'Expert {modality!r} initialized from stage-1 checkpoint {filename} '
        f'({len(weights)} tensors under {prefix!r})',
        logger='current')
