"""Each tiny model trains through the real multimodal Drive&Act pipeline."""
import math
from pathlib import Path

import pytest
from mmengine.config import Config

from mmaction.registry import RUNNERS

CONFIGS = Path(__file__).parents[2] / 'configs' / '_base_'


@pytest.mark.parametrize('model_base', [
    'mome_uniformerv2_tiny.py', 'early_fusion_uniformerv2_tiny.py',
    'late_fusion_uniformerv2_tiny.py', 'input_gated_moe_uniformerv2_tiny.py'
])
def test_tiny_model_trains_on_synthetic_driveact(model_base,
                                                 synthetic_driveact_root,
                                                 tmp_path):
    config_file = tmp_path / 'cfg.py'
    config_file.write_text(f"""
_base_ = ['{CONFIGS / 'models' / model_base}',
          '{CONFIGS / 'datasets' / 'synthetic_driveact.py'}',
          '{CONFIGS / 'default_runtime.py'}']
data_root = '{synthetic_driveact_root}'
model = dict(cls_head=dict(num_classes={{{{_base_.num_classes}}}}),
             data_preprocessor={{{{_base_.driveact_data_preprocessor}}}})
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3))
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
""")
    cfg = Config.fromfile(str(config_file))
    cfg.work_dir = str(tmp_path / 'work_dir')
    runner = RUNNERS.build(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    assert 0. <= metrics['acc/top1'] <= 1.
    if 'mome' in model_base or 'gated' in model_base:
        predictions = runner.model.test_step(
            next(iter(runner.test_dataloader)))
        assert predictions[0].gate_weights.shape == (3, )
        evaluator = runner.build_evaluator([
            dict(type='AccMetric'),
            dict(type='GateWeightMetric', modalities=('rgb', 'ir', 'depth')),
            dict(type='DumpResults', out_file_path=str(tmp_path / 'd.pkl'))
        ])
        runner.test_loop.evaluator = evaluator
        test_metrics = runner.test_loop.run()
        print(test_metrics)
        assert abs(sum(test_metrics[f'gate/{m}']
                       for m in ('rgb', 'ir', 'depth')) - 1) < 1e-5
        import pickle
        dumped = pickle.load(open(tmp_path / 'd.pkl', 'rb'))
        assert dumped[0]['gate_weights'].shape == (3, )
