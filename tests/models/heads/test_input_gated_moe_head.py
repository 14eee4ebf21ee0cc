import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from torch import nn

import mome_mmaction  # noqa: F401


def build_head(**overrides):
    torch.manual_seed(0)
    cfg = dict(
        type='InputGatedMoEHead',
        num_classes=5,
        in_channels=8,
        num_experts=2,
        modality_channels=[3, 1],
        gate_input_size=(1, 2, 2),
        gate_channels=16,
        mlp_channels=8,
        dropout_ratio=0.)
    head = MODELS.build({**cfg, **overrides})
    head.init_weights()
    return head.eval()


def clips():
    return [torch.randn(4, 3, 4, 8, 8), torch.randn(4, 1, 4, 8, 8)]


def test_gate_is_three_linear_layers_on_pooled_inputs():
    head = build_head()
    linears = [m for m in head.gate if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features)
            for m in linears] == [((3 + 1) * 1 * 2 * 2, 16), (16, 16), (16, 2)]
    assert head.uses_modality_inputs


def test_weights_follow_raw_inputs_not_expert_outputs():
    head = build_head()
    modality_inputs = clips()
    expert_outputs = torch.randn(4, 2, 8)
    logits, weights = head(expert_outputs, modality_inputs=modality_inputs)
    assert logits.shape == (4, 5) and weights.shape == (4, 2)
    torch.testing.assert_close(weights.sum(1), torch.ones(4))
    _, same_weights = head(
        torch.randn(4, 2, 8), modality_inputs=modality_inputs)
    torch.testing.assert_close(weights, same_weights)
    other_inputs = [modality_inputs[0] * 5, modality_inputs[1]]
    _, other_weights = head(expert_outputs, modality_inputs=other_inputs)

    def expected(inputs):  # softmax(MLP([pool(x_1); ...; pool(x_N)]))
        pooled = [
            F.adaptive_avg_pool3d(x, (1, 2, 2)).flatten(1) for x in inputs
        ]
        return F.softmax(head.gate(torch.cat(pooled, 1)), 1)

    torch.testing.assert_close(weights, expected(modality_inputs))
    torch.testing.assert_close(other_weights, expected(other_inputs))
    assert (other_weights - weights).abs().max() > 1e-5


def test_loss_and_predict():
    head = build_head()
    data_samples = [ActionDataSample().set_gt_label(i) for i in range(4)]
    losses = head.loss(
        torch.randn(4, 2, 8), data_samples, modality_inputs=clips())
    assert set(losses) == {'loss_cls', 'top1_acc', 'top5_acc', 'gate_entropy'}
    predictions = head.predict(
        torch.randn(4, 2, 8), data_samples, modality_inputs=clips())
    assert predictions[0].gate_weights.shape == (2, )


def test_missing_or_bad_inputs():
    head = build_head()
    with pytest.raises(ValueError, match='needs modality_inputs'):
        head(torch.randn(4, 2, 8))
    with pytest.raises(ValueError, match=r'Clip 1 .* \(B, 1, T, H, W\)'):
        head(torch.randn(4, 2, 8), modality_inputs=[clips()[0]] * 2)
    with pytest.raises(ValueError, match='one channel count per expert'):
        build_head(modality_channels=[3, 3, 3])
