import math

import pytest
import torch

import mome_mmaction  # noqa: F401
from mmaction.registry import MODELS


def build_self_distill(**kwargs):
    cfg = dict(type='ClassTokenSelfDistillLoss', num_blocks=3)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_two_class_case_by_hand():
    self_distill = build_self_distill(loss_weight=2.)
    assert self_distill.requires_st_tokens is False
    teacher = torch.tensor([[math.log(3.), 0.]])  # P_L = (3/4, 1/4)
    student = torch.zeros(1, 2)  # P_l = (1/2, 1/2)
    block_cls = [[student, teacher.clone(), teacher]]
    losses = self_distill(block_cls, None, None)
    assert list(losses) == ['loss_self_distill']
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    # Two student blocks (the second equals the teacher), one expert.
    assert losses['loss_self_distill'].item() == pytest.approx(2. * kl / 2)


def test_temperature():
    self_distill = build_self_distill(num_blocks=2, temperature=2.)
    teacher = torch.tensor([[2 * math.log(3.), 0.]])
    losses = self_distill([[torch.zeros(1, 2), teacher]], None, None)
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert losses['loss_self_distill'].item() == pytest.approx(4. * kl)


def test_identical_tokens_give_zero():
    tokens = torch.randn(4, 16)
    block_cls = [[tokens.clone() for _ in range(3)] for _ in range(2)]
    losses = build_self_distill()(block_cls, None, None)
    assert losses['loss_self_distill'].item() == 0.


@pytest.mark.parametrize('detach_teacher', [True, False])
def test_gradient_flow(detach_teacher):
    block_cls = [[torch.randn(2, 8, requires_grad=True) for _ in range(3)]
                 for _ in range(2)]
    losses = build_self_distill(detach_teacher=detach_teacher)(
        block_cls, None, None, labels=torch.tensor([0, 1]))
    losses['loss_self_distill'].backward()
    for blocks in block_cls:
        assert all(t.grad.abs().sum() > 0 for t in blocks[:-1])
        if detach_teacher:
            assert blocks[-1].grad is None
        else:
            assert blocks[-1].grad.abs().sum() > 0


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(
            ValueError,
            match=r'block_cls_tokens\[0\] must be a '
            'list of num_blocks=3'):
        build_self_distill()([[torch.randn(2, 4)] * 2], None, None)
    with pytest.raises(ValueError, match='num_blocks >= 2'):
        build_self_distill(num_blocks=1)
