import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS

import mome_mmaction  # noqa: F401
from mome_mmaction.evaluation import (gate_ablation_top1,
                                      weighted_probabilities, working_experts)


def build_head(**overrides):
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='TokenVotingGateHead',
            num_classes=3,
            in_channels=4,
            num_experts=2,
            mlp_channels=0,
            dropout_ratio=0.,
            **overrides))
    head.init_weights()
    return head.eval()


def identity_classifier(head):
    """Logits = the first 3 channels of the (fused) token."""
    linear = head.classifier[1]
    with torch.no_grad():
        linear.weight.copy_(torch.eye(3, 4))
        linear.bias.zero_()


def test_by_hand_each_expert_alone_and_uniform():
    """Two samples, one clip, identity classifier. Expert a says class 0
    for both, expert b class 1 then class 2; their mean follows b
    (larger logits). Labels (0, 2): a alone 50%, b alone 50%, uniform
    50%."""
    head = build_head()
    identity_classifier(head)
    a = torch.tensor([[1., 0., 0., 0.], [1., 0., 0., 0.]])
    b = torch.tensor([[0., 3., 0., 0.], [0., 0., 3., 0.]])
    outputs = torch.stack([a, b], 1).unsqueeze(1)  # (B=2, K=1, N=2, C=4)
    results = gate_ablation_top1(head, outputs, torch.tensor([0, 2]),
                                 ('a', 'b'))
    assert results['a alone'] == 50. and results['b alone'] == 50.
    assert results['some expert right'] == 100.  # a on sample 0, b on 1
    assert results['uniform'] == 50.
    logits, _ = head(outputs[:, 0])
    expected = 100. * (logits.argmax(-1) == torch.tensor([0, 2])).float()
    assert results['learned gate'] == expected.mean().item()


def test_clips_are_averaged_as_probabilities():
    """One sample of two clips: expert a alone is sure of class 0 in clip 1
    and mildly for class 1 in clip 2; the mean probability picks class 0."""
    head = build_head()
    identity_classifier(head)
    a = torch.tensor([[5., 0., 0., 0.], [0., 1., 0., 0.]])
    outputs = torch.stack([a, torch.zeros(2, 4)], 1).unsqueeze(0)
    results = gate_ablation_top1(head, outputs, torch.tensor([0]), ('a', 'b'))
    assert results['a alone'] == 100.


def test_prediction_fusion_averages_each_experts_probabilities():
    head = build_head(fusion='prediction')
    tokens = torch.randn(5, 2, 4)
    weights = torch.softmax(torch.randn(5, 2), -1)
    expected = (weights[..., None] *
                F.softmax(head.classifier(tokens), -1)).sum(1)
    torch.testing.assert_close(
        weighted_probabilities(head, tokens, weights), expected)
    # with the head's own weights it is the head's own prediction
    logits, gate_weights = head(tokens)
    torch.testing.assert_close(
        weighted_probabilities(head, tokens, gate_weights),
        logits.exp(),
        rtol=1e-5,
        atol=1e-6)


def test_bad_shapes_name_what_was_expected():
    head = build_head()
    with pytest.raises(ValueError, match=r'\(B, K, N, C\).*\(2, 3, 4\)'):
        gate_ablation_top1(head, torch.zeros(2, 3, 4), torch.zeros(2),
                           ('a', 'b'))


def test_late_fusion_has_no_learned_gate_and_uniform_is_its_prediction():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='LateFusionHead',
            num_classes=3,
            in_channels=4,
            num_experts=2,
            dropout_ratio=0.)).eval()
    outputs = torch.randn(6, 1, 2, 4)
    labels = torch.randint(0, 3, (6, ))
    results = gate_ablation_top1(head, outputs, labels, ('a', 'b'))
    assert list(results) == [
        'uniform', 'a alone', 'b alone', 'some expert right'
    ]
    predicted = F.softmax(head(outputs[:, 0]), -1).mean(1).argmax(-1)
    assert results['uniform'] == 100. * (predicted
                                         == labels).float().mean().item()
    alone = head.classifiers[1](outputs[:, 0, 1]).argmax(-1)
    assert results['b alone'] == 100. * (alone == labels).float().mean().item()


def test_working_experts_from_the_recorded_conditions():
    views = ('kinect_color', 'kinect_ir', 'kinect_depth')
    working = working_experts(
        ['clean', 'kinect_ir:noise', 'kinect_color+kinect_depth:replay'],
        views)
    assert working.tolist() == [[True, True, True], [True, False, True],
                                [False, True, False]]


@pytest.mark.parametrize('condition', ['kinect_rear:dark', 'dark'])
def test_working_experts_names_a_condition_it_cannot_read(condition):
    with pytest.raises(ValueError, match=f'sample 1: condition .{condition}'):
        working_experts(['clean', condition], ('kinect_color', 'kinect_ir'))


def test_working_cameras_weights_only_the_working_experts_by_hand():
    """Identity classifier; expert a says class 0, expert b class 1 with
    larger logits, so the plain mean says 1 for both samples. Sample 0's
    camera b fails: the working-cameras gate takes a alone (class 0);
    sample 1 is clean: the mean (class 1). Labels (0, 0): uniform 0%,
    working cameras 50%."""
    head = build_head()
    identity_classifier(head)
    a = torch.tensor([[1., 0., 0., 0.]]).expand(2, 4)
    b = torch.tensor([[0., 3., 0., 0.]]).expand(2, 4)
    outputs = torch.stack([a, b], 1).unsqueeze(1)  # (B=2, K=1, N=2, C=4)
    working = torch.tensor([[True, False], [True, True]])
    results = gate_ablation_top1(head, outputs, torch.tensor([0, 0]),
                                 ('a', 'b'), working)
    assert list(results) == [
        'learned gate', 'uniform', 'working cameras',
        'learned gate, probabilities', 'uniform, probabilities', 'a alone',
        'b alone', 'some expert right'
    ]
    assert results['uniform'] == 0. and results['working cameras'] == 50.


def test_working_cameras_needs_one_working_camera_per_sample():
    head = build_head()
    outputs = torch.zeros(2, 1, 2, 4)
    with pytest.raises(ValueError, match=r'samples \[1\] have no working'):
        gate_ablation_top1(head, outputs, torch.zeros(2), ('a', 'b'),
                           torch.tensor([[True, False], [False, False]]))
    with pytest.raises(ValueError, match=r'working must be \(2, 2\)'):
        gate_ablation_top1(head, outputs, torch.zeros(2), ('a', 'b'),
                           torch.ones(2, 3, dtype=torch.bool))


def test_token_fusion_is_also_scored_averaging_probabilities():
    """Expert a says class 0 (logits 2, 0, 0), expert b hesitates between
    classes 1 and 2 (0, 2.5, 2.4). Summed tokens: (1, 1.25, 1.2) -> class
    1. Averaged probabilities: a (0.787, 0.107, 0.107), b (0.041, 0.503,
    0.455), mean (0.414, 0.305, 0.281) -> class 0, the label."""
    head = build_head()
    identity_classifier(head)
    a = torch.tensor([[2., 0., 0., 0.]])
    b = torch.tensor([[0., 2.5, 2.4, 0.]])
    outputs = torch.stack([a, b], 1).unsqueeze(1)  # (B=1, K=1, N=2, C=4)
    results = gate_ablation_top1(head, outputs, torch.tensor([0]), ('a', 'b'))
    assert results['uniform'] == 0.
    assert results['uniform, probabilities'] == 100.
    _, gate_weights = head(outputs[:, 0])
    expected = (gate_weights.unsqueeze(-1) *
                F.softmax(head.classifier(outputs[:, 0]), -1)).sum(1)
    assert results['learned gate, probabilities'] == 100. * float(
        expected.argmax(-1).item() == 0)
    assert 'uniform, probabilities' not in gate_ablation_top1(
        build_head(fusion='prediction'), outputs, torch.tensor([0]),
        ('a', 'b'))
