import pytest
import torch

from mome_mmaction.models.utils import expert_state_dict


def test_recognizer3d_and_mome_layouts():
    rgb, ir = torch.zeros(2), torch.ones(2)
    recognizer3d = {'backbone.conv1.weight': ir, 'cls_head.fc_cls.weight': ir}
    weights, prefix = expert_state_dict(
        dict(state_dict=recognizer3d), 'ir', 'a.pth')
    assert (weights, prefix) == ({'conv1.weight': ir}, 'backbone.')
    mome = {
        'backbone.experts.rgb.conv1.weight': rgb,
        'backbone.experts.ir.conv1.weight': ir,
        'cls_head.gate.0.weight': ir
    }
    weights, prefix = expert_state_dict(mome, 'ir', 'b.pth')
    assert (weights, prefix) == ({'conv1.weight': ir}, 'backbone.experts.ir.')


def test_ddp_prefix_is_dropped():
    weights, prefix = expert_state_dict(
        dict(state_dict={'module.backbone.conv1.weight': torch.ones(1)}),
        'rgb', 'ddp.pth')
    assert list(weights) == ['conv1.weight'] and prefix == 'backbone.'


def test_a_mome_checkpoint_without_the_modality_is_refused():
    mome = {'backbone.experts.ir.conv1.weight': torch.ones(1)}
    with pytest.raises(
            ValueError,
            match=r"mome_ir.pth is a multimodal checkpoint with experts "
            r"\['ir'\] .*none for modality 'depth'"):
        expert_state_dict(mome, 'depth', 'mome_ir.pth')
