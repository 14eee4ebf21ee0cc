"""Every config builds (model and datasets); every synthetic config trains."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmaction.registry import DATASETS, MODELS
from mome_mmaction.models.utils.temporal_rus import save_temporal_rus
from tests.conftest import REPO_ROOT

CONFIGS = sorted(
    path for path in (REPO_ROOT / 'configs').rglob('*.py')
    if '_base_' not in path.parts)
SYNTHETIC_DRIVEACT_CONFIGS = [
    path for path in CONFIGS if path.parent.name == 'synthetic'
    and Config.fromfile(path).train_dataloader.dataset.type ==
    'DriveActDataset'
]


def config_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT / 'configs'))


def use_rus_file(cfg: Config, tmp_path: Path) -> None:
    """Give a RUS-guided head a well-formed RUS file of its shapes (the
    real one is estimated from a trained model, tests/tools/
    test_compute_temporal_rus.py)."""
    head = cfg.model.cls_head
    if 'rus_file' not in head:
        return
    modalities = cfg.model.modalities
    frames = cfg.model.backbone.t_size
    rus = dict(
        U=torch.full((len(modalities), frames), 0.2),
        R=torch.full((len(modalities), len(modalities), frames), 0.1),
        S=torch.full((len(modalities), len(modalities), frames), 0.05))
    head.rus_file = str(save_temporal_rus(tmp_path / 'rus.npz', rus,
                                          modalities))


def use_data_root(cfg: Config, data_root: Path) -> None:
    """Point every split at ``data_root``, in this process (no workers)."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        dataset = cfg[loader].dataset
        if dataset.type == 'DriveActDataset':
            dataset.data_root = str(data_root)


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_builds_model_and_datasets(path, synthetic_driveact_root,
                                          motion_videos_workspace,
                                          motion_pretraining_root,
                                          monkeypatch, tmp_path):
    cfg = Config.fromfile(path)
    use_rus_file(cfg, tmp_path)
    model = MODELS.build(cfg.model)  # full-size: no weights are loaded
    assert sum(p.numel() for p in model.parameters()) > 0
    del model
    # Full-size Drive&Act configs read the synthetic data, which has the
    # same layout and real class names, through their full-size pipelines.
    use_data_root(cfg, synthetic_driveact_root)
    # The smoke and pretraining configs' data/.
    monkeypatch.chdir(motion_videos_workspace)
    crop = cfg.model.backbone.get('input_resolution', 32)
    frames = cfg.model.backbone.get('t_size', 4)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = DATASETS.build(cfg[loader].dataset)
        inputs = dataset[0]['inputs']
        if isinstance(inputs, dict):
            assert tuple(inputs) == tuple(cfg.model.modalities), loader
            shapes = {tuple(value.shape) for value in inputs.values()}
        else:
            shapes = {tuple(inputs.shape)}
        assert shapes == {(1, 3, frames, crop, crop)}, (loader, shapes)


@pytest.mark.parametrize('path', SYNTHETIC_DRIVEACT_CONFIGS, ids=config_id)
def test_synthetic_config_trains(path, synthetic_driveact_root, tmp_path):
    cfg = Config.fromfile(path)
    use_rus_file(cfg, tmp_path)
    use_data_root(cfg, synthetic_driveact_root)
    cfg.train_dataloader.dataset.indices = 16  # 2 iterations of batch 8
    cfg.val_dataloader.dataset.indices = 8
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    assert 0 <= metrics['acc/top1'] <= 1
    gate_keys = [f'gate/{m}' for m in cfg.model.get('modalities', ())]
    if gate_keys and all(key in metrics for key in gate_keys):
        assert sum(metrics[key] for key in gate_keys) == pytest.approx(1)
    parameters = dict(runner.model.named_parameters())
    assert all(torch.isfinite(p).all() for p in parameters.values())
