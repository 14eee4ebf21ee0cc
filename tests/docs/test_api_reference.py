"""The API reference documents every class ``mome_mmaction`` registers.

The registered classes are read from MMAction2's and mmengine's registries;
the documented ones from the ``.. autoclass::`` and ``.. automodule::``
entries of ``docs/api/*.md`` (a package's entry documents its ``__all__``)
and, where ``bash tools/build_docs.sh`` has built the pages (CI builds them
before the tests), from the generated index (``objects.inv``).
"""
import importlib
import mmaction.registry
import mmengine.registry
import pytest
import re
import zlib
from mmengine.registry import Registry
from pathlib import Path
from typing import Dict, Set

import mome_mmaction  # noqa: F401  (registers the components)

ROOT = Path(__file__).resolve().parents[2]
API_DIR = ROOT / 'docs' / 'api'
INVENTORY = ROOT / 'docs' / '_build' / 'html' / 'objects.inv'
AUTODOC = re.compile(r'^\.\. (autoclass|automodule):: (\S+)\n((?:   :.*\n)*)',
                     re.MULTILINE)


def import_object(dotted: str):
    """The object a dotted name (module, or module attribute) names."""
    try:
        return importlib.import_module(dotted)
    except ImportError:
        module, _, attribute = dotted.rpartition('.')
        return getattr(importlib.import_module(module), attribute)


def registered_classes() -> Dict[type, str]:
    """Class -> registry name of every class of ours in a registry."""
    found = {}
    for module in (mmaction.registry, mmengine.registry):
        for registry_name in dir(module):
            registry = getattr(module, registry_name)
            if not isinstance(registry, Registry):
                continue
            for cls in registry.module_dict.values():
                if cls.__module__.startswith('mome_mmaction.'):
                    found[cls] = registry_name
    return found


def documented_classes() -> Dict[type, str]:
    """Class -> API page of every class an autodoc entry documents."""
    found = {}
    for page in sorted(API_DIR.glob('*.md')):
        for kind, dotted, options in AUTODOC.findall(page.read_text()):
            target = import_object(dotted)
            if kind == 'autoclass':
                found[target] = page.name
                continue
            excluded = re.findall(r':exclude-members: (.*)', options)
            excluded = {
                name.strip()
                for line in excluded
                for name in line.split(',')
            }
            names = getattr(target, '__all__', None)
            if names is None:  # no __all__: what the module itself defines
                names = [
                    name for name, value in vars(target).items()
                    if getattr(value, '__module__', None) == dotted
                ]
            for name in set(names) - excluded:
                if isinstance(getattr(target, name), type):
                    found[getattr(target, name)] = page.name
    return found


def qualified(cls: type) -> str:
    return f'{cls.__module__}.{cls.__qualname__}'


def inventory_classes(inventory: Path) -> Set[str]:
    """The ``py:class`` entries of a Sphinx ``objects.inv`` (version 2)."""
    raw = inventory.read_bytes()
    body = raw.split(b'\n', 4)[4]  # four header lines, then zlib
    entries = zlib.decompress(body).decode().splitlines()
    return {
        line.split(' ', 2)[0]
        for line in entries if line.split(' ', 2)[1:2] == ['py:class']
    }


def test_registries_have_our_components():
    registries = set(registered_classes().values())
    assert {
        'MODELS', 'DATASETS', 'TRANSFORMS', 'HOOKS', 'METRICS', 'RUNNERS',
        'DATA_SAMPLERS', 'OPTIM_WRAPPERS'
    } <= registries


def test_every_registered_class_has_an_api_entry():
    registered = registered_classes()
    documented = documented_classes()
    missing = sorted(f'{qualified(cls)} ({registered[cls]})'
                     for cls in set(registered) - set(documented))
    assert not missing, (
        'registered but on no page of docs/api/ (export it in its '
        "package's __all__, or add an autoclass entry): " + ', '.join(missing))


def test_generated_index_lists_every_registered_class():
    if not INVENTORY.exists():
        pytest.skip('docs not built: bash tools/build_docs.sh')
    sources = list((ROOT / 'docs').rglob('*.md')) + list(
        (ROOT / 'mome_mmaction').rglob('*.py'))
    if INVENTORY.stat().st_mtime < max(path.stat().st_mtime
                                       for path in sources):
        pytest.skip('docs/_build is older than the sources: '
                    'bash tools/build_docs.sh')
    indexed = {import_object(name) for name in inventory_classes(INVENTORY)}
    missing = sorted(
        qualified(cls) for cls in set(registered_classes()) - indexed)
    assert not missing, ('registered but not in the built API index: ' +
                         ', '.join(missing))


def test_inventory_reader_on_a_probe(tmp_path):
    body = ('mome_mmaction.A py:class 1 api/x.html#$ -\n'
            'mome_mmaction.f py:function 1 api/x.html#$ -\n')
    probe = tmp_path / 'objects.inv'
    probe.write_bytes(b'# Sphinx inventory version 2\n# Project: p\n'
                      b'# Version: 0\n# The remainder is compressed\n' +
                      zlib.compress(body.encode()))
    assert inventory_classes(probe) == {'mome_mmaction.A'}
