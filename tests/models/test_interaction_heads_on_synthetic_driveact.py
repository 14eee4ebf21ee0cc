"""Both interaction-aware heads train through the real synthetic Drive&Act
pipeline from their runnable configs."""
import pytest
import torch
from mmaction.registry import RUNNERS
from mmengine.config import Config
from pathlib import Path

from mome_mmaction.models.utils import save_temporal_rus

SYNTHETIC_CONFIGS = Path(__file__).parents[2] / 'configs' / 'synthetic'


@pytest.mark.slow
@pytest.mark.parametrize(
    'config_name, loss_keys, prediction_field, shape',
    [
        ('interaction_experts_synthetic.py', ['loss_cls', 'loss_interaction'
                                              ], 'interaction_weights', (5, )),
        ('rus_guided_moe_synthetic.py', [
            'loss_cls', 'loss_rus_uniqueness', 'loss_rus_redundancy',
            'loss_rus_synergy', 'loss_load_balance'
        ], 'routing_weights', (3, 8, 4)),  # 8 frames, 4 routed experts
    ])
def test_head_trains_on_synthetic_driveact(config_name, loss_keys,
                                           prediction_field, shape,
                                           synthetic_driveact_root, tmp_path):
    generator = torch.Generator().manual_seed(0)
    rus_file = save_temporal_rus(
        tmp_path / 'rus.npz',
        dict(
            U=torch.rand(3, 8, generator=generator) * 0.2,
            R=torch.rand(3, 3, 8, generator=generator) * 0.2,
            S=torch.rand(3, 3, 8, generator=generator) * 0.2),
        ('rgb', 'ir', 'depth'))
    cfg = Config.fromfile(str(SYNTHETIC_CONFIGS / config_name))
    if 'rus_file' in cfg.model.cls_head:
        cfg.model.cls_head.rus_file = str(rus_file)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False)
        cfg[loader].dataset.data_root = str(synthetic_driveact_root)
    cfg.train_cfg = dict(
        type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.work_dir = str(tmp_path / 'work_dir')
    runner = RUNNERS.build(cfg)
    runner.train()
    for key in loss_keys:
        history = runner.message_hub.get_scalar(f'train/{key}')
        assert len(history.data[0]) > 0, key
        assert torch.isfinite(torch.tensor(history.current())), key
    metrics = runner.val_loop.run()
    assert 0. <= metrics['acc/top1'] <= 1.
    runner.model.eval()
    predictions = runner.model.test_step(next(iter(runner.test_dataloader)))
    weights = predictions[0].get(prediction_field)
    assert weights.shape == shape
    torch.testing.assert_close(weights.sum(-1), torch.ones(shape[:-1]))
