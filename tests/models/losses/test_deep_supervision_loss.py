import math
import pytest
import torch
from mmaction.registry import MODELS

import mome_mmaction  # noqa: F401


def build_deep_sup(**kwargs):
    cfg = dict(
        type='DeepSupervisionLoss',
        in_channels=2,
        num_classes=2,
        num_blocks=3,
        num_experts=2)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_two_class_case_by_hand():
    deep_sup = build_deep_sup(loss_weight=2.)
    assert deep_sup.requires_st_tokens is False
    assert len(deep_sup.block_classifiers) == 2
    assert all(len(blocks) == 2 for blocks in deep_sup.block_classifiers)
    with torch.no_grad():
        for blocks in deep_sup.block_classifiers:
            for classifier in blocks:
                classifier.weight.copy_(torch.eye(2))
                classifier.bias.zero_()
    # Block tokens are the logits: (0, 0) -> CE ln 2; (ln 3, 0) with label 0
    # -> CE -ln(3/4). The deepest block is not supervised here.
    uniform = torch.zeros(1, 2)
    confident = torch.tensor([[math.log(3.), 0.]])
    block_cls = [[uniform, confident,
                  torch.full((1, 2), 9.)],
                 [confident, confident,
                  torch.full((1, 2), 9.)]]
    losses = deep_sup(block_cls, None, None, labels=torch.tensor([0]))
    assert list(losses) == ['loss_deep_sup']
    expected = (math.log(2.) - 3 * math.log(0.75)) / 4
    assert losses['loss_deep_sup'].item() == pytest.approx(2. * expected)


def test_gradients_reach_shallow_blocks_only():
    deep_sup = build_deep_sup(in_channels=8, num_classes=5)
    block_cls = [[torch.randn(3, 8, requires_grad=True) for _ in range(3)]
                 for _ in range(2)]
    losses = deep_sup(block_cls, None, None, labels=torch.tensor([0, 4, 1]))
    losses['loss_deep_sup'].backward()
    for n in range(2):
        assert block_cls[n][-1].grad is None
        for layer in range(2):
            assert block_cls[n][layer].grad.abs().sum() > 0
            classifier = deep_sup.block_classifiers[n][layer]
            assert classifier.weight.grad.abs().sum() > 0


def test_bad_inputs_raise_clear_errors():
    deep_sup = build_deep_sup()
    block_cls = [[torch.randn(2, 2) for _ in range(3)] for _ in range(2)]
    with pytest.raises(ValueError, match='needs labels'):
        deep_sup(block_cls, None, None)
    with pytest.raises(ValueError, match='block_cls_tokens has 1 experts'):
        deep_sup(block_cls[:1], None, None, labels=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r'must be \(B, 2\)'):
        deep_sup(
            [[torch.randn(2, 3) for _ in range(3)]] * 2,
            None,
            None,
            labels=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='num_blocks >= 2'):
        build_deep_sup(num_blocks=1)
