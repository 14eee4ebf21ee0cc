"""MMAction2 plugin: Mixture-of-Modality-Experts with Holistic Token Learning.

``import mome_mmaction`` (or, in a config,
``custom_imports = dict(imports=['mome_mmaction'])``) fixes the shipped
stack, makes checkpoint loading weights-only with an allow-list, makes
mmengine's ``.pkl`` loading (prediction dumps) refuse anything but data,
writes local files (checkpoints) atomically, and registers our components
into MMAction2's registries.
"""
from .utils import (apply_stack_fixes, register_atomic_local_backend,
                    register_safe_pickle_handler, register_weights_only_loader)

# Before anything below imports mmaction.models.
apply_stack_fixes()
register_weights_only_loader()
register_safe_pickle_handler()
register_atomic_local_backend()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
