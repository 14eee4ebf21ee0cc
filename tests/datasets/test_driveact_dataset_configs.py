from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmaction.registry import DATASETS, MODELS
from mome_mmaction.datasets import SYNTHETIC_DRIVEACT_CLASSES

CONFIGS = Path(__file__).parents[2] / 'configs' / '_base_' / 'datasets'


@pytest.mark.parametrize('name, frames, size', [
    ('synthetic_driveact.py', 4, 32),
    ('driveact_rgb_ir_depth.py', 8, 224),
])
@pytest.mark.parametrize('loader', ['train_dataloader', 'test_dataloader'])
def test_dataset_config_feeds_preprocessor(synthetic_driveact_root, name,
                                           frames, size, loader):
    cfg = Config.fromfile(str(CONFIGS / name))
    dataset_cfg = cfg[loader].dataset
    dataset_cfg.data_root = str(synthetic_driveact_root)
    dataset_cfg.classes = SYNTHETIC_DRIVEACT_CLASSES  # the data's classes
    dataset = DATASETS.build(dataset_cfg)
    assert tuple(cfg.collect_keys) == tuple(cfg.modalities)
    batch = pseudo_collate([dataset[0], dataset[1]])
    data = MODELS.build(cfg.driveact_data_preprocessor)(batch)
    assert set(data['inputs']) == {'rgb', 'ir', 'depth'}
    for inputs in data['inputs'].values():
        assert inputs.shape == (2, 1, 3, frames, size, size)


@pytest.mark.parametrize('name', sorted(path.name
                                        for path in CONFIGS.glob('*.py')))
def test_dataset_config_reads_only_the_views_it_packs(name):
    """A single-view base must replace its parent's three views, not merge
    into them: else every sample decodes (and needs) all three videos."""
    cfg = Config.fromfile(str(CONFIGS / name))
    assert tuple(cfg.modalities) == tuple(cfg.collect_keys)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.modalities == cfg.modalities, loader
