import math
import pytest
import torch
from mmaction.registry import MODELS

import mome_mmaction  # noqa: F401


def build_mode(**kwargs):
    cfg = dict(type='MoDELoss', in_channels=2, num_classes=2, num_experts=2)
    cfg.update(kwargs)
    mode = MODELS.build(cfg)
    # Identity classifiers: logits = expert outputs.
    with torch.no_grad():
        for classifier in mode.expert_classifiers:
            classifier.weight.copy_(torch.eye(2))
            classifier.bias.zero_()
    return mode


def test_two_class_case_by_hand():
    mode = build_mode()
    assert mode.requires_st_tokens is False
    # Expert 1: p1 = (1/2, 1/2); expert 2: p2 = (3/4, 1/4).
    expert_outputs = torch.tensor([[[0., 0.], [math.log(3.), 0.]]])
    losses = mode(None, None, expert_outputs, labels=torch.tensor([0]))
    assert list(losses) == ['loss_mode_cls', 'loss_mode_distill']
    expected_cls = (math.log(2.) - math.log(0.75)) / 2
    kl_12 = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    kl_21 = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    expected_distill = (kl_12 + kl_21) / 2
    assert losses['loss_mode_cls'].item() == pytest.approx(expected_cls)
    assert losses['loss_mode_distill'].item() == pytest.approx(
        expected_distill)


def test_temperature_and_weights():
    mode = build_mode(temperature=2., cls_weight=0.5, distill_weight=3.)
    # With tau = 2 the logits (0, 0) and (2 ln 3, 0) soften to the case above.
    expert_outputs = torch.tensor([[[0., 0.], [2 * math.log(3.), 0.]]])
    losses = mode(None, None, expert_outputs, labels=torch.tensor([1]))
    kl_12 = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    kl_21 = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert losses['loss_mode_distill'].item() == pytest.approx(
        3. * 4. * (kl_12 + kl_21) / 2)
    expected_cls = (math.log(2.) - math.log(0.1)) / 2  # p2(y=1) = 1/10
    assert losses['loss_mode_cls'].item() == pytest.approx(0.5 * expected_cls)


def test_identical_predictions_give_zero_distill():
    mode = MODELS.build(
        dict(type='MoDELoss', in_channels=4, num_classes=5, num_experts=3))
    with torch.no_grad():
        for classifier in mode.expert_classifiers[1:]:
            classifier.load_state_dict(mode.expert_classifiers[0].state_dict())
    expert_outputs = torch.randn(3, 1, 4).expand(-1, 3, -1)
    losses = mode(None, None, expert_outputs, labels=torch.tensor([0, 4, 2]))
    assert losses['loss_mode_distill'].item() == pytest.approx(0., abs=1e-7)
    assert losses['loss_mode_cls'].item() > 0


@pytest.mark.parametrize('detach_target', [False, True])
def test_gradients_reach_classifiers_and_experts(detach_target):
    mode = MODELS.build(
        dict(
            type='MoDELoss',
            in_channels=4,
            num_classes=3,
            num_experts=3,
            detach_target=detach_target))
    expert_outputs = torch.randn(2, 3, 4, requires_grad=True)
    losses = mode(None, None, expert_outputs, labels=torch.tensor([0, 2]))
    losses['loss_mode_distill'].backward(retain_graph=True)
    assert (expert_outputs.grad.abs().sum((0, 2)) > 0).all()
    for classifier in mode.expert_classifiers:
        assert classifier.weight.grad.abs().sum() > 0
    losses['loss_mode_cls'].backward()


def test_bad_inputs_raise_clear_errors():
    mode = build_mode()
    with pytest.raises(ValueError, match='needs labels'):
        mode(None, None, torch.randn(2, 2, 2))
    with pytest.raises(ValueError, match='expert_outputs has 3 experts'):
        mode(None, None, torch.randn(2, 3, 2), labels=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='expected in_channels=2'):
        mode(None, None, torch.randn(2, 2, 5), labels=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r'labels must be .* shape \(2,\)'):
        mode(None, None, torch.randn(2, 2, 2), labels=torch.tensor([0]))
    with pytest.raises(ValueError, match='num_experts >= 2'):
        build_mode(num_experts=1)
