"""Fixes for the MMAction2 stack as shipped (``import mome_mmaction``).

The mmaction2 1.2.0 wheel lists ``from .drn.drn import DRN`` in
``mmaction/models/localizers/__init__.py`` but does not ship the ``drn``
package, so ``import mmaction.models`` fails. Where (and only where) that
package is really missing, a stand-in module is registered whose ``DRN``
raises a clear error when used; a complete install is left untouched.

mmengine formats a config's text with yapf (``Config.pretty_text``, about
2 s for one of our synthetic configs on a CPU core) every time a runner
logs or dumps its config and at every checkpoint it saves; the formatting
is memoized, so the same text is formatted once (the output is identical).
"""
import importlib.util
import mmengine.config.config as mmengine_config
import sys
import types
from collections import OrderedDict
from mmengine.logging import print_log
from pathlib import Path
from typing import Callable, List

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


def memoized_format_code(format_code: Callable,
                         max_entries: int = 16) -> Callable:
    """yapf's ``FormatCode`` remembering its last ``max_entries`` results.

    Args:
        format_code (Callable): ``yapf.yapflib.yapf_api.FormatCode``.
        max_entries (int): Results kept. Defaults to 16.

    Returns:
        Callable: Same arguments and results as ``format_code``.
    """
    results: OrderedDict = OrderedDict()

    def format_code_once(text: str, style_config=None, **kwargs):
        key = (text, repr(style_config), repr(sorted(kwargs.items())))
        if key not in results:
            results[key] = format_code(
                text, style_config=style_config, **kwargs)
            if len(results) > max_entries:
                results.popitem(last=False)
        results.move_to_end(key)
        return results[key]

    format_code_once.__wrapped__ = format_code
    return format_code_once


def memoize_config_formatting() -> bool:
    """Memoize the yapf formatting of mmengine's ``Config.pretty_text``.

    Returns:
        bool: Whether it was installed now (False if it already was).
    """
    if hasattr(mmengine_config.FormatCode, '__wrapped__'):
        return False
    mmengine_config.FormatCode = memoized_format_code(
        mmengine_config.FormatCode)
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
    if memoize_config_formatting():
        applied.append('mmengine Config.pretty_text (its yapf formatting '
                       'memoized)')
    if applied:
        print_log(
            'mome_mmaction patched the installed stack: ' + '; '.join(applied),
            logger='current')
    return applied
