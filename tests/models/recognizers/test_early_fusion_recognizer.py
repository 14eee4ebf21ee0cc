import copy
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from pathlib import Path
from unittest import mock

import mome_mmaction  # noqa: F401
from mome_mmaction.models.utils import tile_input_channels

MODEL_CONFIG_DIR = str(
    Path(__file__).resolve().parents[3] / 'configs' / '_base_' / 'models')

MODALITIES = ('rgb', 'ir', 'depth')
TINY_EARLY_FUSION = Config.fromfile(
    MODEL_CONFIG_DIR + '/early_fusion_uniformerv2_tiny.py').model.to_dict()


def build_model(**backbone_overrides):
    torch.manual_seed(0)
    cfg = copy.deepcopy(TINY_EARLY_FUSION)
    cfg['backbone'].update(backbone_overrides)
    cfg['cls_head']['dropout_ratio'] = 0.
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def save_single_modality_checkpoint(path):
    """A 3-channel tiny Recognizer3D checkpoint (like the K710 release)."""
    torch.manual_seed(7)
    init_default_scope('mmaction')
    single = MODELS.build(
        Config.fromfile(MODEL_CONFIG_DIR + '/uniformerv2_tiny.py').model)
    single.cls_head.dropout = torch.nn.Identity()
    torch.save(dict(state_dict=single.state_dict()), path)
    return single.eval()


def make_inputs(batch_size=2, num_clips=1):
    return {
        name: torch.randn(batch_size, num_clips, 3, 4, 32, 32)
        for name in MODALITIES
    }


def test_patch_embedding_is_inflated_to_all_modalities():
    model = build_model()
    assert model.backbone.conv1.in_channels == 9
    assert model.backbone.conv1.weight.shape == (64, 9, 1, 16, 16)
    per_modality = model.backbone.conv1.weight.split(3, dim=1)
    for weights in per_modality[1:]:
        torch.testing.assert_close(weights, per_modality[0])


def test_pretrained_kernel_is_tiled_not_reinitialized(tmp_path):
    checkpoint = tmp_path / 'tiny_k710.pth'
    single = save_single_modality_checkpoint(checkpoint)
    init_cfg = [
        dict(
            type='Pretrained', checkpoint=str(checkpoint), prefix='backbone.')
    ]
    with mock.patch('mome_mmaction.models.utils.pretrained.print_log') as log:
        model = build_model(init_cfg=init_cfg).eval()
    torch.testing.assert_close(
        model.backbone.conv1.weight,
        tile_input_channels(single.backbone.conv1.weight, 3))
    report = log.call_args_list[-1].args[0]
    assert report.startswith("Load report of early-fusion backbone "
                             "(UniFormerV2): 0 missing keys [], 0 unexpected")
    # Identical modalities reproduce the pretrained single-modality model.
    clip = torch.randn(1, 1, 3, 4, 32, 32)
    with torch.no_grad():
        fused = model({name: clip for name in MODALITIES}, mode='tensor')
        reference = single(clip, mode='tensor')
    torch.testing.assert_close(fused, reference, rtol=1e-4, atol=1e-5)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    missing = str(tmp_path / 'k710.pth')
    with pytest.raises(FileNotFoundError, match='early-fusion backbone'):
        build_model(
            init_cfg=dict(
                type='Pretrained', checkpoint=missing, prefix='backbone.'))


def test_loss_predict_and_optimizer_steps():
    model = build_model()
    samples = [ActionDataSample().set_gt_label(i) for i in (1, 2)]
    losses = model(make_inputs(), samples, mode='loss')
    assert set(losses) == {'loss_cls', 'top1_acc', 'top5_acc'}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.backbone.conv1.weight.detach().clone()
    for _ in range(2):
        optimizer.zero_grad()
        model(make_inputs(), samples, mode='loss')['loss_cls'].backward()
        optimizer.step()
    assert not torch.equal(before, model.backbone.conv1.weight)
    model.eval()
    predictions = model(make_inputs(num_clips=2), samples, mode='predict')
    assert predictions[0].pred_score.shape == (4, )


def test_bad_inputs():
    model = build_model()
    with pytest.raises(KeyError, match=r"expects input keys \['depth', 'ir'"):
        model({'rgb': torch.randn(1, 1, 3, 4, 32, 32)}, mode='tensor')
    inputs = make_inputs()
    inputs['ir'] = torch.randn(2, 1, 3, 2, 32, 32)
    with pytest.raises(ValueError, match='same .B, num_clips, T, H, W.'):
        model(inputs, mode='tensor')
