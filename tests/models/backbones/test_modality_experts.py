import copy
from pathlib import Path
from unittest import mock

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mome_mmaction  # noqa: F401
from mmaction.registry import MODELS

MODEL_CONFIG_DIR = str(
    Path(__file__).resolve().parents[3] / 'configs' / '_base_' / 'models')

TINY_EXPERT = Config.fromfile(MODEL_CONFIG_DIR +
                              '/uniformerv2_tiny.py').model.backbone.to_dict()


def save_tiny_k710_like_checkpoint(path, extra_keys=()):
    """A Recognizer3D checkpoint laid out like MMAction2's release files."""
    torch.manual_seed(123)
    init_default_scope('mmaction')
    recognizer = MODELS.build(
        Config.fromfile(MODEL_CONFIG_DIR + '/uniformerv2_tiny.py').model)
    state_dict = recognizer.state_dict()
    for key in extra_keys:
        state_dict[key] = torch.zeros(1)
    torch.save(dict(state_dict=state_dict, meta=dict(epoch=1)), path)
    return {
        key[len('backbone.'):]: value
        for key, value in state_dict.items() if key.startswith('backbone.')
    }


def pretrained_expert(checkpoint):
    expert = copy.deepcopy(TINY_EXPERT)
    expert['init_cfg'] = [
        dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
        dict(
            type='Pretrained', checkpoint=str(checkpoint), prefix='backbone.')
    ]
    return expert


def test_one_config_builds_independent_experts():
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=TINY_EXPERT,
            modalities=('rgb', 'ir', 'depth')))
    assert list(experts.experts) == ['rgb', 'ir', 'depth']
    rgb, ir = experts.experts['rgb'], experts.experts['ir']
    assert rgb is not ir
    assert rgb.conv1.weight.data_ptr() != ir.conv1.weight.data_ptr()
    assert not torch.equal(rgb.conv1.weight, ir.conv1.weight)
    outputs = experts({
        name: torch.randn(2, 3, 4, 32, 32)
        for name in ('rgb', 'ir', 'depth')
    })
    assert outputs.shape == (2, 3, 64)


def test_shared_init_starts_experts_equal_but_untied():
    """shared_init copies the first expert's initial weights into the
    others (tensor for tensor) without tying them: training moves each
    expert on its own."""
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=TINY_EXPERT,
            modalities=('rgb', 'ir', 'depth'),
            shared_init=True))
    experts.init_weights()
    rgb, ir, depth = experts.experts.values()
    for name, value in rgb.state_dict().items():
        assert torch.equal(value, ir.state_dict()[name]), name
        assert torch.equal(value, depth.state_dict()[name]), name
    assert rgb.conv1.weight.data_ptr() != ir.conv1.weight.data_ptr()
    with torch.no_grad():
        rgb.conv1.weight.add_(1.)
    assert not torch.equal(rgb.conv1.weight, ir.conv1.weight)


def test_per_modality_configs_and_key_errors():
    wide = {**TINY_EXPERT, 'width': 32, 'n_dim': 32}
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=dict(rgb=TINY_EXPERT, ir=wide),
            modalities=('rgb', 'ir')))
    assert experts.experts['ir'].conv1.out_channels == 32
    with pytest.raises(ValueError, match="one width.*'rgb': 64, 'ir': 32"):
        experts(
            dict(
                rgb=torch.randn(1, 3, 4, 32, 32),
                ir=torch.randn(1, 3, 4, 32, 32)))
    with pytest.raises(KeyError, match=r"one config per modality \['rgb', "):
        MODELS.build(
            dict(
                type='ModalityExperts',
                backbone=dict(rgb=TINY_EXPERT),
                modalities=('rgb', 'ir')))
    with pytest.raises(ValueError, match='distinct'):
        MODELS.build(
            dict(
                type='ModalityExperts',
                backbone=TINY_EXPERT,
                modalities=('rgb', 'rgb')))


def test_every_expert_loads_the_checkpoint_and_logs_a_report(tmp_path):
    checkpoint = tmp_path / 'tiny_k710.pth'
    expected = save_tiny_k710_like_checkpoint(
        checkpoint, extra_keys=['backbone.unused_buffer'])
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=pretrained_expert(checkpoint),
            modalities=('rgb', 'ir', 'depth')))
    with mock.patch('mome_mmaction.models.utils.pretrained.print_log') as log:
        experts.init_weights()
    for name, expert in experts.experts.items():
        for key, value in expert.state_dict().items():
            torch.testing.assert_close(value, expected[key], msg=key)
    reports = [call.args[0] for call in log.call_args_list]
    assert len(reports) == 3
    for name, report in zip(['rgb', 'ir', 'depth'], reports):
        assert report.startswith(f"Load report of expert '{name}' "
                                 '(UniFormerV2): 0 missing keys [], 1 '
                                 "unexpected keys ['unused_buffer']")


def test_missing_checkpoint_names_path_and_source(tmp_path):
    missing = tmp_path / 'nowhere' / 'k710.pth'
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=pretrained_expert(missing),
            modalities=('rgb', )))
    with pytest.raises(FileNotFoundError) as error:
        experts.init_weights()
    message = str(error.value)
    assert str(missing) in message and "expert 'rgb'" in message
    assert 'uniformerv2-base-p16-res224_clip-pre_u8_kinetics710-rgb' in message
    assert 'model zoo' in message
