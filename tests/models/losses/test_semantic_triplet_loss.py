import math
import pytest
import torch
from mmaction.registry import MODELS

import mome_mmaction  # noqa: F401
from mome_mmaction.models.losses.semantic_triplet_loss import \
    SemanticTripletLoss

# Unit-free directions in 2-D (cosine does not see the lengths):
# cos(z, e0) = 1/2, cos(z, e1) = 1/sqrt(2), cos(z, e2) = 0 for z = (1, 0).
DESCRIPTIONS = torch.tensor([[0.5, math.sqrt(3) / 2], [3., 3.], [0., -1.]])


def build_loss(**kwargs) -> SemanticTripletLoss:
    return MODELS.build(dict(type='SemanticTripletLoss', **kwargs))


def test_zero_when_positive_is_closer_than_every_negative_by_the_margin():
    loss = build_loss(margin=0.2)
    embeddings = torch.tensor([[2., 0.], [0., 5.]])
    descriptions = torch.tensor([[1., 0.], [0., 1.], [-1., 0.]])
    # d_pos = 0, hardest d_neg = 1 for both samples: 0 - 1 + 0.2 < 0.
    value = loss(embeddings, descriptions, torch.tensor([0, 1]))
    assert value.item() == 0.


def test_two_samples_worked_out_by_hand():
    loss = build_loss(margin=0.2, loss_weight=2.)
    embeddings = torch.tensor([[1., 0.], [0., 2.]])
    labels = torch.tensor([0, 2])
    # Sample 0, label 0: d_pos = 1 - 1/2; negatives 1 - 1/sqrt(2) (e1), 1.
    first = 0.5 - (1 - 1 / math.sqrt(2)) + 0.2
    # Sample 1 = (0, 1), label 2: d_pos = 1 - (-1) = 2; negatives
    # 1 - sqrt(3)/2 (e0, the hardest), 1 - 1/sqrt(2).
    second = 2. - (1 - math.sqrt(3) / 2) + 0.2
    value = loss(embeddings, DESCRIPTIONS, labels)
    assert value.item() == pytest.approx(2. * (first + second) / 2)


def test_hardest_negative_is_used_not_the_mean():
    loss = build_loss(margin=0.2)
    embeddings = torch.tensor([[1., 0.]])
    labels = torch.tensor([0])
    hardest = 0.5 - (1 - 1 / math.sqrt(2)) + 0.2
    mean_of_negatives = 0.5 - ((1 - 1 / math.sqrt(2)) + 1.) / 2 + 0.2
    value = loss(embeddings, DESCRIPTIONS, labels)
    assert value.item() == pytest.approx(hardest)
    assert value.item() != pytest.approx(mean_of_negatives)
    # Moving the far negative (e2) changes nothing; moving the nearest does.
    far_moved = DESCRIPTIONS.clone()
    far_moved[2] = torch.tensor([-1., 0.])
    assert loss(embeddings, far_moved, labels).item() == pytest.approx(hardest)
    near_moved = DESCRIPTIONS.clone()
    near_moved[1] = torch.tensor([-1., 1.])
    assert loss(embeddings, near_moved, labels).item() < hardest


def test_gradients_reach_embeddings_positive_and_hardest_negative_only():
    loss = build_loss()
    embeddings = torch.tensor([[1., 0.]], requires_grad=True)
    descriptions = DESCRIPTIONS.clone().requires_grad_()
    loss(embeddings, descriptions, torch.tensor([0])).backward()
    assert embeddings.grad.abs().sum() > 0
    assert descriptions.grad[0].abs().sum() > 0  # positive
    assert descriptions.grad[1].abs().sum() > 0  # hardest negative
    assert descriptions.grad[2].abs().sum() == 0  # not the hardest


def test_low_precision_inputs_give_a_float32_loss():
    loss = build_loss(margin=0.2)
    value = loss(
        torch.tensor([[1., 0.]], dtype=torch.bfloat16),
        DESCRIPTIONS.to(torch.bfloat16), torch.tensor([0]))
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(
        0.5 - (1 - 1 / math.sqrt(2)) + 0.2, abs=1e-2)


BAD_INPUTS = [
    # (embeddings, descriptions, labels, error message)
    (torch.zeros(2, 2), DESCRIPTIONS, torch.tensor([0, 3]), r'\[0, 3\)'),
    (torch.zeros(2, 2), DESCRIPTIONS, torch.tensor([-1, 0]), r'\[0, 3\)'),
    (torch.zeros(2, 2), DESCRIPTIONS, torch.tensor([0., 1.]), 'integer'),
    (torch.zeros(2, 2), DESCRIPTIONS, torch.tensor([0]), r'shape \(2,\)'),
    (torch.zeros(2, 2), DESCRIPTIONS[:1], torch.zeros(2).long(), 'at least 2'),
    (torch.zeros(2, 3), DESCRIPTIONS, torch.tensor([0, 1]), 'same D'),
    (torch.zeros(2, 1, 2), DESCRIPTIONS, torch.tensor([0, 1]), 'same D'),
]


@pytest.mark.parametrize('embeddings, descriptions, labels, message',
                         BAD_INPUTS)
def test_bad_inputs_are_refused(embeddings, descriptions, labels, message):
    with pytest.raises(ValueError, match=message):
        build_loss()(embeddings, descriptions, labels)
