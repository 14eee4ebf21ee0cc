"""Checks and reports around mmengine ``Pretrained`` initialization.

Experts name their checkpoint in the usual mmengine style::

    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/x.pth',
                  prefix='backbone.')

:func:`check_pretrained_files` fails early, with the path and where the file
comes from, when such a local file is missing; :func:`load_report` logs what
each load matched (missing / unexpected keys), also when all keys match.
:func:`pretrained_init_skipped` and :func:`missing_pretrained_skipped` leave
``Pretrained`` entries out of an initialization whose weights come from
elsewhere (stage-1 expert checkpoints, ``load_from``, ``--resume``).
"""
import os.path as osp
from contextlib import ExitStack, contextmanager
from mmengine.logging import print_log
from torch import nn
from typing import Dict, Iterator, List

#: The MMAction2 model-zoo file every UniFormerV2-B16 expert starts from.
K710_B16_CHECKPOINT_NAME = (
    'uniformerv2-base-p16-res224_clip-pre_u8_kinetics710-rgb_20221219-'
    '77d34f81.pth')
K710_B16_CHECKPOINT_URL = (
    'https://download.openmmlab.com/mmaction/v1.0/recognition/uniformerv2/'
    f'kinetics710/{K710_B16_CHECKPOINT_NAME}')


def _init_cfg_list(module: nn.Module) -> List[dict]:
    """``module.init_cfg`` as a list of entries (empty if there is none)."""
    init_cfgs = getattr(module, 'init_cfg', None) or []
    return [init_cfgs] if isinstance(init_cfgs, dict) else list(init_cfgs)


def _is_pretrained(init_cfg: dict) -> bool:
    return init_cfg.get('type') == 'Pretrained' and bool(
        init_cfg.get('checkpoint'))


def is_missing_local_file(checkpoint: str) -> bool:
    """Whether ``checkpoint`` is a local path (not ``scheme://``) with no
    file behind it."""
    return '://' not in checkpoint and not osp.isfile(
        osp.expanduser(checkpoint))


def pretrained_checkpoints(module: nn.Module) -> List[str]:
    """Checkpoint paths of ``Pretrained`` entries in ``module.init_cfg``."""
    return [
        cfg['checkpoint'] for cfg in _init_cfg_list(module)
        if _is_pretrained(cfg)
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
        if not is_missing_local_file(checkpoint):
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


@contextmanager
def pretrained_init_skipped(module: nn.Module,
                            owner: str,
                            reason: str,
                            missing_only: bool = False) -> Iterator[List[str]]:
    """Leave ``Pretrained`` entries out of ``module.init_cfg`` while open.

    For an ``init_weights()`` whose weights are then loaded from another
    file: the other ``init_cfg`` entries still run, and ``module.init_cfg``
    is restored on exit. Logs one line per skipped checkpoint.

    Args:
        module (nn.Module): Module whose ``init_cfg`` is changed.
        owner (str): What the module is, for the log line.
        reason (str): Where its weights come from instead, for the log line.
        missing_only (bool): Skip only local checkpoints that are missing.
            Defaults to False (skip every ``Pretrained`` entry).

    Yields:
        list[str]: The skipped checkpoint paths.
    """

    def skips(entry: dict) -> bool:
        if not _is_pretrained(entry):
            return False
        return not missing_only or is_missing_local_file(entry['checkpoint'])

    init_cfg = getattr(module, 'init_cfg', None)
    entries = _init_cfg_list(module)
    kept = [entry for entry in entries if not skips(entry)]
    skipped = [entry['checkpoint'] for entry in entries if skips(entry)]
    if not skipped:
        yield skipped
        return
    for checkpoint in skipped:
        state = 'not found, ' if missing_only else ''
        print_log(
            f'Pretrained checkpoint {checkpoint!r} of {owner}: {state}'
            f'skipped, {reason}',
            logger='current')
    module.init_cfg = kept
    try:
        yield skipped
    finally:
        module.init_cfg = init_cfg


@contextmanager
def missing_pretrained_skipped(model: nn.Module,
                               reason: str) -> Iterator[List[str]]:
    """:func:`pretrained_init_skipped` with ``missing_only=True`` for every
    submodule of ``model``.

    Args:
        model (nn.Module): The model about to be initialized.
        reason (str): Where its weights come from instead, for the log.

    Yields:
        list[str]: The skipped (missing) checkpoint paths.
    """
    skipped: List[str] = []
    with ExitStack() as stack:
        for name, module in model.named_modules():
            skipped += stack.enter_context(
                pretrained_init_skipped(
                    module,
                    owner=name or type(model).__name__,
                    reason=reason,
                    missing_only=True))
        yield skipped
