"""Weights-only checkpoint loading with an explicit allow-list.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``, which refuses
the few non-tensor types mmengine writes into every checkpoint (the message
hub's ``HistoryBuffer`` and the numpy arrays inside it), so ``--resume`` and
``load_from`` fail. Instead of falling back to full unpickling (which runs
whatever code a file names), :func:`load_checkpoint_weights_only` keeps
weights-only loading and allows exactly those types.

mmengine's remote schemes (``http(s)://``, ``open-mmlab://``, ``mmcls://``,
``torchvision://``, ``s3://``, ``pavi://``) call torch.hub's loader, which
unpickles fully, or ``torch.load``; :func:`register_weights_only_loader`
wraps them so that they load weights-only with the same allow-list too.
"""
import functools
import numpy as np
import os.path as osp
import pickle
import re
import torch
import zipfile
from contextlib import contextmanager
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader
from typing import Any, Callable, Iterator, Optional, Union

_NUMPY_RECONSTRUCT = np._core.multiarray._reconstruct
_NUMPY_SCALAR = np._core.multiarray.scalar
# HistoryBuffer registers these in ``_statistics_methods`` on first use only.
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_statistic(owner: type, name: str) -> Callable:
    """Resolve ``getattr(HistoryBuffer, name)`` in a pickle, and nothing else.

    mmengine pickles each ``HistoryBuffer``'s statistics methods as
    ``getattr(HistoryBuffer, 'mean')`` and so on. A general ``getattr`` would
    reach any attribute of any allowed type (``ndarray.tofile`` writes files),
    so only registered statistics of ``HistoryBuffer`` resolve.
    """
    allowed = {*_HISTORY_BUFFER_STATISTICS, *HistoryBuffer._statistics_methods}
    if owner is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'getattr({getattr(owner, "__name__", owner)!r}, {name!r}) is not '
            'an allowed checkpoint entry; only HistoryBuffer statistics are')
    return getattr(HistoryBuffer, name)


#: Every non-tensor global an mmengine/MMAction2 checkpoint of ours needs,
#: under the names numpy 1.x and 2.x pickle them with.
CHECKPOINT_SAFE_GLOBALS = [
    HistoryBuffer,
    (history_buffer_statistic, 'builtins.getattr'),
    np.ndarray,
    np.dtype,
    (_NUMPY_RECONSTRUCT, 'numpy._core.multiarray._reconstruct'),
    (_NUMPY_RECONSTRUCT, 'numpy.core.multiarray._reconstruct'),
    (_NUMPY_SCALAR, 'numpy._core.multiarray.scalar'),
    (_NUMPY_SCALAR, 'numpy.core.multiarray.scalar'),
    # dtype classes for numeric, bool, bytes, str and datetime arrays; not
    # object ('O') or void ('V') arrays.
    *{
        type(np.dtype(code))
        for code in np.typecodes['All'] if code not in 'OV'
    },
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs a type outside :data:`CHECKPOINT_SAFE_GLOBALS`."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is empty, truncated or not a torch checkpoint."""


#: How the two formats of ``torch.save`` start: zip (torch >= 1.6) and the
#: legacy pickle stream (protocol 2).
_ZIP_MAGIC, _LEGACY_MAGIC = b'PK\x03\x04', b'\x80\x02'


def check_checkpoint_file(filename: str) -> None:
    """Raise :class:`CorruptCheckpointError`, naming ``filename``, if it
    cannot be a complete ``torch.save`` file.

    A zip checkpoint is complete when its central directory (written last)
    is there, which a save killed midway never leaves.
    """
    with open(filename, 'rb') as stream:
        start = stream.read(4)
    problem = None
    if not start:
        problem = 'is empty'
    elif start == _ZIP_MAGIC and not zipfile.is_zipfile(filename):
        problem = 'is truncated (its zip directory is missing)'
    elif start != _ZIP_MAGIC and not start.startswith(_LEGACY_MAGIC):
        problem = 'is not a torch checkpoint'
    if problem:
        raise CorruptCheckpointError(
            f'Checkpoint {filename} {problem}: it was not written completely '
            '(e.g. a save that was killed) or is another kind of file. '
            'Resume from an earlier checkpoint (--resume CKPT) or write it '
            'again.')


def _refused_global(error: Exception) -> str:
    """The global torch's weights-only unpickler refused: ``module.name``."""
    found = re.search(r"GLOBAL ([\w.]+)|got <class '([\w.]+)'>", str(error))
    return (found.group(1) or found.group(2)) if found else str(error)


def load_checkpoint_weights_only(
        filename: str,
        map_location: Optional[Union[str, Callable,
                                     torch.device]] = None) -> Any:
    """Load a local checkpoint weights-only, allowing our checkpoint types.

    Registered as mmengine's loader for local paths, so ``load_from``,
    ``--resume`` and ``init_cfg=dict(type='Pretrained', ...)`` all use it.

    Args:
        filename (str): Path of the checkpoint file.
        map_location: As for :func:`torch.load`.

    Returns:
        The unpickled checkpoint (usually a dict).

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        CorruptCheckpointError: The file is empty, truncated or not a
            checkpoint (:func:`check_checkpoint_file`).
        UnsafeCheckpointError: The file needs a type that is not allowed,
            e.g. a pickled callable; the message names the file and the type.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    check_checkpoint_file(filename)
    with weights_only_torch_load(filename):
        return torch.load(filename, map_location=map_location)


@contextmanager
def weights_only_torch_load(source: str) -> Iterator[None]:
    """Within it, every ``torch.load`` is weights-only with
    :data:`CHECKPOINT_SAFE_GLOBALS`, whatever its caller asks for.

    Args:
        source (str): The checkpoint being loaded (path or URL), named in
            the error when a type is refused.

    Raises:
        UnsafeCheckpointError: A file needs a type that is not allowed.
    """
    torch_load = torch.load

    @functools.wraps(torch_load)
    def load_weights_only(*args, **kwargs):
        kwargs['weights_only'] = True
        try:
            with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
                return torch_load(*args, **kwargs)
        except pickle.UnpicklingError as error:
            raise UnsafeCheckpointError(
                f'Refused to load checkpoint {source}: it contains '
                f'`{_refused_global(error)}`, which is not among the types '
                'mome_mmaction allows in a checkpoint (tensors, numpy '
                'arrays, mmengine HistoryBuffer and plain Python '
                'containers). Checkpoints are always loaded weights-only so '
                'that a file can never run code; re-save its tensors (e.g. '
                'its state_dict) in a trusted environment to use it.'
            ) from error

    torch.load = load_weights_only
    try:
        yield
    finally:
        torch.load = torch_load


def _weights_only_scheme(loader: Callable) -> Callable:
    """An mmengine scheme loader whose ``torch.load`` is weights-only."""

    @functools.wraps(loader)
    def load(filename: str, *args, **kwargs) -> Any:
        with weights_only_torch_load(filename):
            return loader(filename, *args, **kwargs)

    return load


#: mmengine's remote checkpoint schemes: (prefixes, loader).
REMOTE_SCHEMES = (
    (('http://', 'https://'), mmengine_checkpoint.load_from_http),
    (('open-mmlab://', 'openmmlab://'),
     mmengine_checkpoint.load_from_openmmlab),
    (('mmcls://', ), mmengine_checkpoint.load_from_mmcls),
    (('modelzoo://', 'torchvision://'),
     mmengine_checkpoint.load_from_torchvision),
    (('pavi://', ), mmengine_checkpoint.load_from_pavi),
    ((r'(\S+\:)?s3://', r'(\S+\:)?petrel://'),
     mmengine_checkpoint.load_from_ceph),
)


def register_weights_only_loader() -> None:
    """Make :func:`load_checkpoint_weights_only` mmengine's local loader and
    every remote scheme of :data:`REMOTE_SCHEMES` weights-only."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_checkpoint_weights_only, force=True)
    for prefixes, loader in REMOTE_SCHEMES:
        CheckpointLoader.register_scheme(
            prefixes=prefixes, loader=_weights_only_scheme(loader), force=True)
