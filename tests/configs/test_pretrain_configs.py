"""configs/pretrain/: the tiny expert's motion pretraining."""
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from pathlib import Path

from mome_mmaction.datasets.synthetic import MOTION_PRETRAINING_CLASSES
from tests.conftest import REPO_ROOT

CONFIG = REPO_ROOT / 'configs/pretrain/uniformerv2_tiny_motion_pretrain.py'
STAGE2 = (
    REPO_ROOT /
    'configs/pretrain/uniformerv2_tiny_motion_pretrain_continued.py')
SHIPPED = 'checkpoints/uniformerv2_tiny_motion_pretrain.pth'
MODEL_BASE = REPO_ROOT / 'configs/_base_/models/uniformerv2_tiny_p16_w128.py'


def test_pretraining_matches_the_corpus_and_the_shared_backbone():
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.type == 'Recognizer3D'
    backbone = cfg.model.backbone
    expert = Config.fromfile(MODEL_BASE).model.backbone
    # The tiny expert's architecture, trained from scratch: no Pretrained
    # init here (this run makes the file the expert's init_cfg loads).
    assert {
        k: v
        for k, v in backbone.items() if k != 'init_cfg'
    } == {
        k: v
        for k, v in expert.items() if k != 'init_cfg'
    }
    assert [init.type
            for init in backbone.init_cfg] == ['TruncNormal', 'Constant']
    pretrained = expert.init_cfg[-1]
    assert (pretrained.type, pretrained.prefix) == ('Pretrained', 'backbone.')
    assert Path(pretrained.checkpoint).resolve() == (
        REPO_ROOT / 'checkpoints/uniformerv2_tiny_motion_pretrain.pth')
    assert (backbone.input_resolution, backbone.patch_size, backbone.width,
            backbone.layers, backbone.t_size) == (64, 16, 128, 4, 8)
    assert len(backbone.mlp_dropout) == backbone.n_layers == len(
        backbone.return_list)
    assert not backbone.clip_pretrained
    assert cfg.model.cls_head.num_classes == len(MOTION_PRETRAINING_CLASSES)
    assert cfg.model.cls_head.in_channels == backbone.n_dim == backbone.width
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.ann_file.startswith('data/motion_pretraining/')
        pipeline = [step.type for step in dataset.pipeline]
        # Left / right, clockwise / anticlockwise are different classes.
        assert not any('Flip' in step for step in pipeline), loader
        sample_frames, = [
            step for step in dataset.pipeline if step.type == 'SampleFrames'
        ]
        assert sample_frames.clip_len == backbone.t_size
    assert cfg.default_hooks.checkpoint.save_best == 'acc/top1'


def test_stage_two_continues_stage_one_and_one_stage_makes_the_shipped_file():
    stage1, stage2 = Config.fromfile(CONFIG), Config.fromfile(STAGE2)
    *fresh_init, pretrained = stage2.model.backbone.init_cfg
    assert fresh_init == stage1.model.backbone.init_cfg
    assert (pretrained.type, pretrained.prefix) == ('Pretrained', 'backbone.')
    # Stage 2 reads exactly the file stage 1 exports.
    assert pretrained.checkpoint == stage1.backbone_export
    # One stage exports the shipped expert, the other a work_dirs file.
    exports = sorted([stage1.backbone_export, stage2.backbone_export])
    assert SHIPPED in exports and exports[0] != exports[1]
    assert all(
        export in (SHIPPED, f'work_dirs/{Path(config).stem}/backbone.pth')
        for config, export in ((CONFIG, stage1.backbone_export),
                               (STAGE2, stage2.backbone_export)))
    # Same model, corpus and optimizer: only the start differs.
    for key in ('train_dataloader', 'val_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg'):
        assert stage2[key] == stage1[key], key
    assert {
        k: v
        for k, v in stage2.model.backbone.items() if k != 'init_cfg'
    } == {
        k: v
        for k, v in stage1.model.backbone.items() if k != 'init_cfg'
    }


def test_pretraining_trains_on_a_mini_corpus(motion_pretraining_root,
                                             monkeypatch, tmp_path):
    monkeypatch.chdir(motion_pretraining_root.parents[1])
    cfg = Config.fromfile(CONFIG)
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].batch_size = 4
        cfg[loader].dataset.indices = 4
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    before = {
        name: param.detach().clone()
        for name, param in runner.model.named_parameters()
    }
    runner.train()
    parameters = dict(runner.model.named_parameters())
    assert all(torch.isfinite(p).all() for p in parameters.values())
    changed = [
        name for name, param in parameters.items()
        if not torch.equal(param, before[name])
    ]
    assert any(
        name.startswith('backbone.transformer.dec.') for name in changed)
    assert any(name.startswith('cls_head.') for name in changed)
    assert (tmp_path / 'best_acc_top1_epoch_1.pth').is_file()
