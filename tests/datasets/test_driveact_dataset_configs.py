import pytest
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from pathlib import Path

from mome_mmaction.datasets.synthetic import SYNTHETIC_DRIVEACT_CLASSES

CONFIGS = Path(__file__).parents[2] / 'configs' / '_base_' / 'datasets'


@pytest.mark.parametrize('name, frames, size', [
    ('synthetic_driveact.py', 8, 64),
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


@pytest.mark.parametrize(
    'name', sorted(path.name for path in CONFIGS.glob('*driveact*.py')))
def test_dataset_config_reads_only_the_views_it_packs(name):
    """A single-view Drive&Act base must replace its parent's three views,
    not merge into them: else every sample decodes (and needs) all three
    videos."""
    cfg = Config.fromfile(str(CONFIGS / name))
    assert tuple(cfg.modalities) == tuple(cfg.collect_keys)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.modalities == cfg.modalities, loader


@pytest.mark.parametrize('prefix, frames, size', [
    ('synthetic_driveact', 8, 64),
    ('driveact', 8, 224),
])
@pytest.mark.parametrize('modality, view', [('rgb', 'kinect_color'),
                                            ('ir', 'kinect_ir'),
                                            ('depth', 'kinect_depth')])
def test_recognizer3d_base_packs_one_clip_tensor(synthetic_driveact_root,
                                                 prefix, frames, size,
                                                 modality, view):
    """The single-view bases for Recognizer3D give MMAction2's plain
    (B, num_clips, C, T, H, W) batch, normalized with the view's
    statistics."""
    cfg = Config.fromfile(
        str(CONFIGS / f'{prefix}_{modality}_recognizer3d.py'))
    multimodal = Config.fromfile(str(CONFIGS / f'{prefix}_{modality}.py'))
    assert cfg.driveact_data_preprocessor == dict(
        multimodal.driveact_data_preprocessor.preprocessors[modality])
    dataset_cfg = cfg.train_dataloader.dataset
    assert dataset_cfg.modalities == dict(imgs=view)
    dataset_cfg.data_root = str(synthetic_driveact_root)
    dataset_cfg.classes = SYNTHETIC_DRIVEACT_CLASSES
    dataset = DATASETS.build(dataset_cfg)
    batch = pseudo_collate([dataset[0], dataset[1]])
    data = MODELS.build(cfg.driveact_data_preprocessor)(batch)
    assert data['inputs'].shape == (2, 1, 3, frames, size, size)


def test_test4x3_protocol_gives_twelve_views_per_camera(
        synthetic_driveact_root):
    """4 clips x 3 crops with the same boxes in every view (the sync
    transform raises on different crop boxes); the paper configs keep 1
    clip, centre crop, and the same model."""
    root = CONFIGS.parents[1]
    cfg = Config.fromfile(str(root / 'mome_htl_driveact_test4x3.py'))
    paper = Config.fromfile(str(root / 'mome_htl_driveact.py'))
    assert cfg.model == paper.model
    assert cfg.val_dataloader == paper.val_dataloader
    assert [t['type'] for t in paper.test_pipeline[0]['transforms']
            ][-2:] == ['CenterCrop', 'FormatShape']
    assert cfg.test_dataloader.batch_size == 1
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = str(synthetic_driveact_root)
    dataset_cfg.classes = SYNTHETIC_DRIVEACT_CLASSES
    dataset = DATASETS.build(dataset_cfg)
    sample = dataset[0]
    metas = dataset.pipeline.transforms[0](
        dataset.get_data_info(0))['modality_metas']
    assert len({str(meta['crop_bbox']) for meta in metas.values()}) == 1
    assert len(metas['rgb']['crop_bbox']) == 3 * 4 * 8
    data = MODELS.build(cfg.driveact_data_preprocessor)(
        pseudo_collate([sample]))
    for inputs in data['inputs'].values():
        assert inputs.shape == (1, 12, 3, 8, 224, 224)
