"""Every model config builds; tiny baselines train; the full-size MoME runs."""
import glob
import os.path as osp
import pytest
import time
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from pathlib import Path

import mome_mmaction  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_CONFIG_DIR = str(REPO_ROOT / 'configs' / '_base_' / 'models')

MODEL_BASES = sorted(glob.glob(MODEL_CONFIG_DIR + '/*.py'))
#: The bases that define a model (tiny_pretrained_expert.py only names the
#: pretrained tiny expert's backbone for others to use).
MODEL_CONFIGS = [
    path for path in MODEL_BASES if 'model' in Config.fromfile(path)
]
TINY_MULTIMODAL_CONFIGS = [
    MODEL_CONFIG_DIR + '/mome_uniformerv2_tiny.py',
    MODEL_CONFIG_DIR + '/early_fusion_uniformerv2_tiny.py',
    MODEL_CONFIG_DIR + '/late_fusion_uniformerv2_tiny.py',
    MODEL_CONFIG_DIR + '/input_gated_moe_uniformerv2_tiny.py',
    MODEL_CONFIG_DIR + '/interaction_experts_uniformerv2_tiny.py',
    MODEL_CONFIG_DIR + '/asymmetric_moe_uniformerv2_tiny.py',
    MODEL_CONFIG_DIR + '/anchor_semantic_uniformerv2_tiny.py',
]
MODALITIES = ('rgb', 'ir', 'depth')


@pytest.mark.parametrize('path', MODEL_CONFIGS, ids=osp.basename)
def test_model_config_parses_to_registered_types(path):
    model = Config.fromfile(path).model
    for part in ('type', 'backbone', 'cls_head', 'data_preprocessor'):
        assert part in model, part
    assert model.type in MODELS.module_dict
    assert model.cls_head.type in MODELS.module_dict
    if model.type != 'Recognizer3D':
        assert tuple(model.modalities) == MODALITIES
        assert model.data_preprocessor.type == 'MultiModalDataPreprocessor'
    if 'b16' in path:
        backbone = model.backbone
        assert (backbone.width, backbone.layers, backbone.patch_size,
                backbone.t_size, backbone.input_resolution,
                backbone.clip_pretrained) == (768, 12, 16, 8, 224, False)
        pretrained, = [
            cfg for cfg in backbone.init_cfg if cfg.type == 'Pretrained'
        ]
        assert pretrained.prefix == 'backbone.'
        assert pretrained.checkpoint.endswith(
            'uniformerv2-base-p16-res224_clip-pre_u8_kinetics710-rgb_'
            '20221219-77d34f81.pth')
        assert '://' not in pretrained.checkpoint


@pytest.mark.parametrize('path', MODEL_BASES, ids=osp.basename)
def test_model_base_combines_with_a_dataset_base(path, tmp_path):
    """Model bases define no top-level names that dataset bases use."""
    (tmp_path / 'dataset.py').write_text(
        "modalities = dict(rgb='kinect_color')\nnum_classes = 5\n"
        "collect_keys = ('rgb', 'ir', 'depth')\ndataset_type = 'X'\n")
    (tmp_path / 'combined.py').write_text(
        f"_base_ = [{osp.abspath(path)!r}, './dataset.py']\n"
        'model = dict(cls_head=dict(num_classes={{_base_.num_classes}}))\n')
    cfg = Config.fromfile(str(tmp_path / 'combined.py'))
    assert cfg.model.cls_head.num_classes == 5


def train_batch(batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    return dict(
        inputs={
            name: [
                torch.randint(0, 256, (1, 3, 4, 32, 32),
                              generator=generator).float()
                for _ in range(batch_size)
            ]
            for name in MODALITIES
        },
        data_samples=[
            ActionDataSample().set_gt_label(index % 4)
            for index in range(batch_size)
        ])


@pytest.mark.parametrize('path', TINY_MULTIMODAL_CONFIGS, ids=osp.basename)
def test_tiny_baselines_train_and_predict(path):
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(path).model)
    model.init_weights()
    optim_wrapper = OptimWrapper(torch.optim.AdamW(model.parameters(), 1e-3))
    weights_before = {
        name: param.detach().clone()
        for name, param in model.named_parameters()
    }
    for step in range(3):
        log_vars = model.train_step(train_batch(2, step), optim_wrapper)
        assert torch.isfinite(log_vars['loss'])
    changed = [
        name for name, param in model.named_parameters()
        if not torch.equal(param, weights_before[name])
    ]
    assert any(name.startswith('cls_head.') for name in changed)
    assert any(name.startswith('backbone.') for name in changed)
    model.eval()
    predictions = model.test_step(train_batch(2, seed=9))
    assert [p.pred_score.shape for p in predictions] == [(4, )] * 2
    if model.cls_head.__class__.__name__ in ('TokenVotingGateHead',
                                             'InputGatedMoEHead'):
        assert predictions[0].gate_weights.shape == (3, )
    if model.cls_head.__class__.__name__ == 'InteractionExpertsHead':
        assert predictions[0].interaction_weights.shape == (5, )
    if model.cls_head.__class__.__name__ == 'AsymmetricMoEHead':
        assert predictions[0].group_weights.shape == (3, )
    if model.cls_head.__class__.__name__ == 'AnchorSemanticHead':
        assert predictions[0].anchor_attention.shape == (4, 3, 4)


@pytest.mark.slow
def test_full_size_mome_b16_forward():
    """configs/mome_htl_driveact.py: 3 x UniFormerV2-B16 (no weights), one
    CPU forward at 8x224x224."""
    torch.manual_seed(0)
    model = MODELS.build(
        Config.fromfile(REPO_ROOT / 'configs' / 'mome_htl_driveact.py').model)
    model.eval()
    expert_params = [
        sum(p.numel() for p in expert.parameters())
        for expert in model.backbone.experts.values()
    ]
    assert len(expert_params) == 3
    for count in expert_params:
        assert 113e6 < count < 116e6  # UniFormerV2-B16: 114.2M
    head_params = sum(p.numel() for p in model.cls_head.parameters())
    # joint gate: LayerNorm(768) + Linear(3*768, 192) + Linear(192, 3);
    # classifier: Linear(768, 768) + Linear(768, 34)
    assert head_params == (2 * 768) + (2304 * 192 + 192) + (192 * 3 + 3) + (
        768 * 768 + 768) + (768 * 34 + 34) == 1_061_413
    inputs = {name: torch.randn(1, 1, 3, 8, 224, 224) for name in MODALITIES}
    start = time.perf_counter()
    with torch.no_grad():
        predictions = model(
            inputs, [ActionDataSample().set_gt_label(0)], mode='predict')
    elapsed = time.perf_counter() - start
    assert predictions[0].pred_score.shape == (34, )
    assert predictions[0].gate_weights.shape == (3, )
    torch.testing.assert_close(predictions[0].gate_weights.sum(),
                               torch.tensor(1.))
    print(f'MoME B16 params per expert {expert_params}, gate head '
          f'{head_params}; CPU forward {elapsed:.2f} s')
