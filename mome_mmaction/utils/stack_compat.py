"""Fixes for the MMAction2 stack as shipped (``import mome_mmaction``).

The mmaction2 1.2.0 wheel lists ``from .drn.drn import DRN`` in
``mmaction/models/localizers/__init__.py`` but does not ship the ``drn``
package, so ``import mmaction.models`` fails. Where (and only where) that
package is really missing, a stand-in module is registered whose ``DRN``
raises a clear error when used; a complete install is left untouched.
"""
import importlib.util
import sys
import types
from mmengine.logging import print_log
from pathlib import Path
from typing import List

DRN_MODULE = 'mmaction.models.localizers.drn'


class MissingDRN:
    """Stand-in for ``mmaction.models.localizers.DRN`` (not in the wheel)."""

    def __init__(self, *args, **kwargs) -> None:
        raise ImportError(
            'DRN is not shipped in the installed mmaction2 wheel '
            f'(no package {DRN_MODULE}); install mmaction2 from source to '
            'use it.')


def _drn_package_missing() -> bool:
    """Whether the installed mmaction lacks ``models/localizers/drn``.

    Looks at the files, not at ``import``: importing the localizers package
    is exactly what fails.
    """
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        return False
    return not any((Path(root) / 'models' / 'localizers' / 'drn').is_dir()
                   for root in spec.submodule_search_locations)


def patch_missing_drn() -> bool:
    """Register stand-in ``drn`` modules if the wheel lacks them.

    Returns:
        bool: Whether a stand-in was registered.
    """
    if DRN_MODULE in sys.modules or not _drn_package_missing():
        return False
    package = types.ModuleType(DRN_MODULE)
    package.__path__ = []  # a package, so ``drn.drn`` resolves below it
    module = types.ModuleType(f'{DRN_MODULE}.drn')
    module.DRN = MissingDRN
    package.drn = module
    sys.modules[DRN_MODULE] = package
    sys.modules[f'{DRN_MODULE}.drn'] = module
    return True


def apply_stack_fixes() -> List[str]:
    """Apply every fix the installed stack needs; log one line if any.

    Returns:
        list[str]: Names of the fixes applied (empty on a complete install).
    """
    applied = []
    if patch_missing_drn():
        applied.append(f'{DRN_MODULE} (missing from the mmaction2 wheel; '
                       'DRN raises if used)')
    if applied:
        print_log(
            'mome_mmaction patched the installed stack: ' + '; '.join(applied),
            logger='current')
    return applied
