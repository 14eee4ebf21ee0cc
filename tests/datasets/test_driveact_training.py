"""A short real training run through the multimodal Drive&Act pipeline."""
import math
import torch
from mmaction.registry import MODELS, RUNNERS
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import BaseModule
from pathlib import Path
from torch import nn

CONFIGS = Path(__file__).parents[2] / 'configs' / '_base_'


@MODELS.register_module(force=True)
class TinyLateFusion3D(BaseModule):
    """Test-only backbone for ``MMRecognizer3D``: one Conv3d per modality,
    features concatenated along channels.

    Args:
        modalities (Sequence[str]): Input keys.
        channels (int): Output channels per modality.
    """

    def __init__(self, modalities=('rgb', 'ir', 'depth'), channels=8):
        super().__init__()
        self.branches = nn.ModuleDict({
            key:
            nn.Conv3d(3, channels, (1, 4, 4), stride=(1, 4, 4))
            for key in modalities
        })

    def forward(self, **inputs):
        """(N, 3, T, H, W) per modality -> (N, channels * M, T, H/4, W/4)."""
        assert set(inputs) == set(self.branches), set(inputs)
        return torch.cat(
            [self.branches[key](inputs[key]).relu() for key in self.branches],
            dim=1)


def test_mm_recognizer_trains_on_decoded_driveact(synthetic_driveact_root,
                                                  tmp_path):
    config_file = tmp_path / 'mm_recognizer_synthetic_driveact.py'
    config_file.write_text(f"""
_base_ = ['{CONFIGS / 'datasets' / 'synthetic_driveact.py'}',
          '{CONFIGS / 'default_runtime.py'}']
data_root = '{synthetic_driveact_root}'
model = dict(
    type='MMRecognizer3D',
    backbone=dict(type='TinyLateFusion3D', channels=8),
    cls_head=dict(type='I3DHead', num_classes=5, in_channels=24,
                  average_clips='prob'),
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
    assert cfg.runner_type == 'PortableRunner'
    runner = RUNNERS.build(cfg)
    losses = []
    runner.register_hook(_LossRecorder(losses), priority='LOWEST')
    runner.train()
    metrics = runner.val_loop.run()
    num_train = len(runner.train_dataloader.dataset)
    assert len(losses) == math.ceil(num_train / 8) >= 3
    assert all(math.isfinite(loss) for loss in losses)
    assert 0. <= metrics['acc/top1'] <= 1.
    assert (Path(cfg.work_dir) / 'epoch_1.pth').is_file()


class _LossRecorder(Hook):
    """Collects the training loss of every iteration."""

    def __init__(self, losses):
        self.losses = losses

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.losses.append(outputs['loss'].item())
