"""Pickle files (``tools/test.py --dump`` predictions) loaded without code.

``pickle.load`` calls whatever a file names, so a predictions dump that
carries a pickled callable runs it when it is read. MMAction2's dumps hold
only dicts, lists and tuples of tensors, numpy arrays and scalars, strings
and numbers; :class:`RestrictedUnpickler` resolves exactly those types and
refuses any other global with :class:`UnsafePickleError`. Tensor storages
inside a pickle are torch-serialized bytes: they are read weights-only.
:func:`register_safe_pickle_handler` makes it mmengine's ``.pkl`` / ``.pickle``
loader, so ``mmengine.load`` in our tools and in MMAction2's analysis tools
run through ours (``tools/analysis/mmaction_tool.py``) is safe too.
"""
import codecs
import collections
import io
import pickle
import torch
from mmengine.fileio import PickleHandler, register_handler
from typing import Any, Callable, Dict, Union

from .safe_checkpoint import CHECKPOINT_SAFE_GLOBALS


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle file needs a type outside :data:`PICKLE_SAFE_GLOBALS`."""


def load_storage_weights_only(data: bytes) -> Any:
    """``torch.storage._load_from_bytes``, weights-only."""
    return torch.load(io.BytesIO(data), weights_only=True)


def _qualified_name(entry: Union[Callable, tuple]) -> tuple:
    if isinstance(entry, tuple):  # (object, 'module.name')
        return entry[1], entry[0]
    return f'{entry.__module__}.{entry.__qualname__}', entry


#: ``'module.name'`` -> object: everything an MMAction2 predictions dump
#: holds (tensors, numpy arrays, dtypes and scalars, containers; bytes under
#: pickle protocol 2 come as ``_codecs.encode``), and the checkpoint types.
PICKLE_SAFE_GLOBALS: Dict[str, Any] = dict(
    map(_qualified_name, [
        *CHECKPOINT_SAFE_GLOBALS,
        (torch._utils._rebuild_tensor_v2, 'torch._utils._rebuild_tensor_v2'),
        (load_storage_weights_only, 'torch.storage._load_from_bytes'),
        (codecs.encode, '_codecs.encode'),
        (collections.OrderedDict, 'collections.OrderedDict'),
        (set, 'builtins.set'),
        (frozenset, 'builtins.frozenset'),
        (complex, 'builtins.complex'),
        (slice, 'builtins.slice'),
    ]))


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`PICKLE_SAFE_GLOBALS`.

    Args:
        file: A binary file object.
        source (str): What the file is, for error messages (its path).
    """

    def __init__(self, file, source: str) -> None:
        super().__init__(file)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        """Resolve an allowed global; refuse everything else."""
        qualified = f'{module}.{name}'
        if qualified not in PICKLE_SAFE_GLOBALS:
            raise UnsafePickleError(
                f'Refused to load {self.source}: it contains `{qualified}`, '
                'which is not among the types mome_mmaction allows in a '
                'pickle (tensors, numpy arrays and scalars, plain Python '
                'containers): unpickling it could run code. Re-dump it with '
                'tools/test.py --dump in a trusted environment.')
        return PICKLE_SAFE_GLOBALS[qualified]


def load_pickle_safely(path: str) -> Any:
    """Unpickle the file at ``path`` with :class:`RestrictedUnpickler`.

    Raises:
        UnsafePickleError: The file names a type that is not allowed; the
            message names the file and the type.
    """
    with open(path, 'rb') as stream:
        return RestrictedUnpickler(stream, str(path)).load()


class SafePickleHandler(PickleHandler):
    """mmengine's pickle handler, loading with :class:`RestrictedUnpickler`
    (mmengine reads the file into memory first, so the message can name the
    file only when it has one)."""

    def load_from_fileobj(self, file, **kwargs) -> Any:
        source = getattr(file, 'name', 'a pickle (.pkl) file')
        return RestrictedUnpickler(file, source).load()


def register_safe_pickle_handler() -> None:
    """Make :class:`SafePickleHandler` mmengine's ``.pkl`` loader."""
    register_handler(['pkl', 'pickle'])(SafePickleHandler)
