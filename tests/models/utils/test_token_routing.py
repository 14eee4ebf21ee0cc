import torch

from mome_mmaction.models.utils.token_routing import (load_balance_loss,
                                                      top_k_routing)


def test_top_k_routing_keeps_top_k_with_renormalized_weights():
    weights, indices = top_k_routing(torch.tensor([[3., 1., 2., 0.]]), 2)
    assert indices.tolist() == [[0, 2]]
    top = torch.softmax(torch.tensor([3., 2.]), dim=0)
    torch.testing.assert_close(weights, torch.tensor([[top[0], 0., top[1],
                                                       0.]]))


def test_top_k_routing_never_picks_a_forbidden_expert():
    logits = torch.tensor([[5., -torch.inf, 1., 0.]])
    weights, indices = top_k_routing(logits, 3)
    assert 1 not in indices.tolist()[0]
    assert weights[0, 1] == 0
    torch.testing.assert_close(weights.sum(), torch.tensor(1.))


def test_load_balance_loss_on_known_cases():
    # Token 0 -> expert 0, token 1 -> expert 1: f = (.5, .5, 0, 0),
    # P = (.4, .4, .1, .1): 4 * (.5 * .4 + .5 * .4) = 1.6.
    probs = torch.tensor([[.7, .1, .1, .1], [.1, .7, .1, .1]])
    torch.testing.assert_close(
        load_balance_loss(probs.log(), 1), torch.tensor(1.6))
    # Uniform probabilities, every expert chosen once: exactly 1.
    balanced = torch.eye(4) * 1e-3  # argmax e for token e, ~uniform probs
    torch.testing.assert_close(
        load_balance_loss(balanced, 1), torch.tensor(1.), atol=1e-3, rtol=0)
