"""Shared fixtures: registries in the mmaction scope, synthetic Drive&Act."""
import pytest
from mmengine.registry import init_default_scope

import mome_mmaction  # noqa: F401  (registers our components)
from mome_mmaction.datasets import make_synthetic_driveact


@pytest.fixture(autouse=True)
def mmaction_scope():
    """Build components from config dicts in MMAction2's scope, as configs
    with ``default_scope = 'mmaction'`` do."""
    init_default_scope('mmaction')


@pytest.fixture(scope='session')
def synthetic_driveact_root(tmp_path_factory):
    """A small synthetic Drive&Act (6 participants, 5 classes, 3 views),
    written once per test session; tests must not modify it (copy first)."""
    root = tmp_path_factory.mktemp('synthetic_driveact')
    make_synthetic_driveact(root, seed=0, annotations_per_class=1)
    return root
