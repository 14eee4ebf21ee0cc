"""Checks and reports around mmengine ``Pretrained`` initialization.

Experts name their checkpoint in the usual mmengine style::

    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/x.pth',
                  prefix='backbone.')

:func:`check_pretrained_files` fails early, with the path and where the file
comes from, when such a local file is missing; :func:`load_report` logs what
each load matched (missing / unexpected keys), also when all keys match.
"""
import os.path as osp
from contextlib import contextmanager
from typing import Dict, Iterator, List

from mmengine.logging import print_log
from torch import nn

#: The MMAction2 model-zoo file every UniFormerV2-B16 expert starts from.
K710_B16_CHECKPOINT_NAME = (
    'uniformerv2-base-p16-res224_clip-pre_u8_kinetics710-rgb_20221219-'
    '77d34f81.pth')
K710_B16_CHECKPOINT_URL = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/uniformerv2/'
    f'kinetics710/{K710_B16_CHECKPOINT_NAME}')


def pretrained_checkpoints(module: nn.Module) -> List[str]:
    """Checkpoint paths of ``Pretrained`` entries in ``module.init_cfg``."""
    init_cfgs = getattr(module, 'init_cfg', None) or []
    if isinstance(init_cfgs, dict):
        init_cfgs = [init_cfgs]
    return [
        cfg['checkpoint'] for cfg in init_cfgs
        if cfg.get('type') == 'Pretrained' and cfg.get('checkpoint')
    ]


def check_pretrained_files(module: nn.Module, owner: str) -> None:
    """Raise if a local ``Pretrained`` checkpoint of ``module`` is missing.

    URLs (``scheme://...``) are left to mmengine.

    Args:
        module (nn.Module): Module whose ``init_cfg`` is checked.
        owner (str): What the module is, for the message (e.g.
            ``"expert 'rgb'"``).

    Raises:
        FileNotFoundError: Names the path and the model-zoo file to put there.
    """
    for checkpoint in pretrained_checkpoints(module):
        if '://' in checkpoint or osp.isfile(osp.expanduser(checkpoint)):
            continue
        raise FileNotFoundError(
            f'Pretrained checkpoint of {owner} not found: {checkpoint!r}. '
            'MoME experts start from MMAction2\'s Kinetics-710 '
            f'UniFormerV2-B16 checkpoint {K710_B16_CHECKPOINT_NAME} '
            '(MMAction2 model zoo, configs/recognition/uniformerv2; '
            f'{K710_B16_CHECKPOINT_URL}). Download it yourself and place it '
            'at that path, or point init_cfg.checkpoint to your copy; '
            'nothing is downloaded automatically.')


@contextmanager
def load_report(module: nn.Module, owner: str) -> Iterator[Dict[str, list]]:
    """Log missing / unexpected keys of every state-dict load into ``module``.

    Registers a load-state-dict post hook on ``module`` while the context is
    open (mmengine's ``load_state_dict`` runs such hooks too) and logs one
    line per load, even when every key matched.

    Args:
        module (nn.Module): The module checkpoints are loaded into.
        owner (str): What the module is, for the log line.

    Yields:
        dict: ``{'missing_keys': [...], 'unexpected_keys': [...]}`` of the
        last load (empty lists if nothing was loaded).
    """
    report: Dict[str, list] = dict(missing_keys=[], unexpected_keys=[])

    def log_incompatible_keys(loaded_module: nn.Module,
                              incompatible_keys) -> None:
        report['missing_keys'] = list(incompatible_keys.missing_keys)
        report['unexpected_keys'] = list(incompatible_keys.unexpected_keys)
        print_log(
            f'Load report of {owner} ({type(loaded_module).__name__}): '
            f'{len(report["missing_keys"])} missing keys '
            f'{report["missing_keys"]}, {len(report["unexpected_keys"])} '
            f'unexpected keys {report["unexpected_keys"]}',
            logger='current')

    handle = module.register_load_state_dict_post_hook(log_incompatible_keys)
    try:
        yield report
    finally:
        handle.remove()
