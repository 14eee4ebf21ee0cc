import copy
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from pathlib import Path
from unittest import mock

import mome_mmaction  # noqa: F401

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


def save_recognizer3d_checkpoint(path, seed, **backbone_overrides):
    """A tiny stage-1 Recognizer3D checkpoint; returns its backbone."""
    torch.manual_seed(seed)
    init_default_scope('mmaction')
    model_cfg = Config.fromfile(MODEL_CONFIG_DIR +
                                '/uniformerv2_tiny.py').model
    model_cfg.backbone.update(backbone_overrides)
    recognizer = MODELS.build(model_cfg)
    torch.save(dict(state_dict=recognizer.state_dict()), path)
    return recognizer.backbone


def assert_same_weights(module, reference):
    for key, value in module.state_dict().items():
        torch.testing.assert_close(value, reference.state_dict()[key], msg=key)


def test_expert_checkpoints_load_each_expert_from_its_own_file(tmp_path):
    """rgb and ir load their own Recognizer3D files after the normal init
    (and shared_init); their missing K710-style Pretrained file is not
    read; depth keeps its normal init."""
    rgb = save_recognizer3d_checkpoint(tmp_path / 'rgb.pth', seed=1)
    ir = save_recognizer3d_checkpoint(tmp_path / 'ir.pth', seed=2)
    missing_k710 = tmp_path / 'no_k710.pth'
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=dict(
                rgb=pretrained_expert(missing_k710),
                ir=pretrained_expert(missing_k710),
                depth=TINY_EXPERT),
            modalities=('rgb', 'ir', 'depth'),
            shared_init=True,
            expert_checkpoints=dict(
                rgb=str(tmp_path / 'rgb.pth'), ir=tmp_path / 'ir.pth')))
    with mock.patch('mome_mmaction.models.utils.pretrained.print_log') as \
            pretrained_log, mock.patch(
                'mome_mmaction.models.utils.expert_checkpoint.print_log'
            ) as expert_log:
        experts.init_weights()
    assert_same_weights(experts.experts['rgb'], rgb)
    assert_same_weights(experts.experts['ir'], ir)
    assert not torch.equal(experts.experts['depth'].conv1.weight,
                           rgb.conv1.weight)
    # init_cfg is restored: Pretrained is skipped only for this init.
    assert pretrained_expert(missing_k710)['init_cfg'] == [
        dict(cfg) for cfg in experts.experts['rgb'].init_cfg
    ]
    lines = [call.args[0] for call in pretrained_log.call_args_list]
    assert any(f"{str(missing_k710)!r} of expert 'rgb': skipped, the expert "
               f"loads its stage-1 checkpoint {tmp_path / 'rgb.pth'}" in line
               for line in lines)
    assert any(
        line.startswith("Load report of expert 'ir' (UniFormerV2): 0 missing "
                        'keys [], 0 unexpected keys []') for line in lines)
    assert [call.args[0][:47] for call in expert_log.call_args_list] == [
        "Expert 'rgb' initialized from stage-1 checkpoin",
        "Expert 'ir' initialized from stage-1 checkpoint"
    ]


def test_without_expert_checkpoints_the_missing_k710_file_still_fails(
        tmp_path):
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=pretrained_expert(tmp_path / 'no_k710.pth'),
            modalities=('rgb', 'ir'),
            expert_checkpoints=dict(rgb=str(tmp_path / 'missing_rgb.pth'))))
    with pytest.raises(
            FileNotFoundError,
            match=r"Stage-1 checkpoint of expert 'rgb' not found: "
            f"'{tmp_path}/missing_rgb.pth'"):
        experts.init_weights()
    (tmp_path / 'missing_rgb.pth').write_bytes(b'')
    with pytest.raises(FileNotFoundError, match="expert 'ir'.*no_k710.pth"):
        experts.init_weights()


@pytest.mark.parametrize('checkpoint, message', [
    (None, r"expert_checkpoints of \['ir'\] are not set \(None\)"),
    ('wide', r"rgb.pth does not fit expert 'rgb' \(UniFormerV2\); its keys "
     r"under 'backbone.': \d+ of another shape \[class_embedding: file "
     r'\(32,\) vs expert \(64,\), '),
    ('deep', r"rgb.pth does not fit expert 'rgb'.* 0 of another shape \[\], "
     r'0 missing \[\], \d+ unexpected \[transformer.resblocks.2.'),
    ('head_only', r"rgb.pth of expert 'rgb' has no backbone weights: "
     r'expected keys backbone.\* .* or backbone.experts.rgb.\* .*found '
     r"top-level keys \['cls_head'\]"),
    ('tensor', r"rgb.pth of expert 'rgb' holds no state dict \(got Tensor\)"),
])
def test_expert_checkpoint_errors_name_the_file(tmp_path, checkpoint, message):
    path = tmp_path / 'rgb.pth'
    if checkpoint == 'wide':
        save_recognizer3d_checkpoint(path, seed=0, width=32, n_dim=32)
    elif checkpoint == 'deep':
        save_recognizer3d_checkpoint(path, seed=0, layers=3)
    elif checkpoint == 'head_only':
        torch.save(
            dict(state_dict={'cls_head.fc_cls.bias': torch.zeros(4)}), path)
    elif checkpoint == 'tensor':
        torch.save(torch.zeros(2), path)
    expert_checkpoints = dict(rgb=str(path))
    if checkpoint is None:
        expert_checkpoints['ir'] = None  # a slot left to fill
    experts = MODELS.build(
        dict(
            type='ModalityExperts',
            backbone=TINY_EXPERT,
            modalities=('rgb', 'ir'),
            expert_checkpoints=expert_checkpoints))
    with pytest.raises(ValueError, match=message):
        experts.init_weights()


def test_expert_checkpoints_must_name_experts():
    with pytest.raises(
            KeyError,
            match=r"modalities \['thermal'\] that have "
            r"no expert; the experts are \['rgb', 'ir'\]"):
        MODELS.build(
            dict(
                type='ModalityExperts',
                backbone=TINY_EXPERT,
                modalities=('rgb', 'ir'),
                expert_checkpoints=dict(thermal='x.pth')))
