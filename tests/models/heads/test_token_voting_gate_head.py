import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS

import mome_mmaction  # noqa: F401
from mome_mmaction.models.heads import TokenVotingGateHead
from tests.conftest import labelled_samples


def build_head(**overrides):
    torch.manual_seed(0)
    cfg = dict(
        type='TokenVotingGateHead',
        num_classes=5,
        in_channels=8,
        num_experts=3,
        gate_channels=4,
        mlp_channels=6,
        dropout_ratio=0.,
        average_clips='prob')
    head = MODELS.build({**cfg, **overrides})
    head.init_weights()
    return head.eval()


def test_forward_shapes_weights_and_fusion():
    head = build_head()
    expert_outputs = torch.randn(4, 3, 8)
    logits, weights = head(expert_outputs)
    assert logits.shape == (4, 5)
    assert weights.shape == (4, 3)
    torch.testing.assert_close(weights.sum(1), torch.ones(4))
    assert (weights > 0).all()
    # joint gate: w = softmax(MLP([LN(x_1); ...; LN(x_N)])); z = sum w_n x_n
    scores = head.gate(
        F.layer_norm(expert_outputs, (8, ), head.token_norm.weight,
                     head.token_norm.bias).reshape(4, 24))
    torch.testing.assert_close(weights, F.softmax(scores, dim=1))
    assert head.gate[0].in_features == 3 * 8
    fused = (weights[..., None] * expert_outputs).sum(1)
    torch.testing.assert_close(logits, head.classifier(fused))


def test_per_expert_gate_scores_each_token_plus_prior():
    head = build_head(gate_type='per_expert')
    expert_outputs = torch.randn(4, 3, 8)
    logits, weights = head(expert_outputs)
    scores = head.gate(expert_outputs).squeeze(-1) + head.expert_prior
    torch.testing.assert_close(weights, F.softmax(scores, dim=1))
    fused = (weights[..., None] * expert_outputs).sum(1)
    torch.testing.assert_close(logits, head.classifier(fused))


def log_weight_ratio(head, expert_outputs, n=0, k=2):
    _, weights = head(expert_outputs)
    return (weights[:, n] / weights[:, k]).log()


@pytest.mark.parametrize('gate_type', ['joint', 'per_expert'])
def test_third_expert_moves_the_ratio_of_two_only_in_the_joint_gate(gate_type):
    """Changing only expert 1's token: log(w_0 / w_2) moves iff joint."""
    head = build_head(gate_type=gate_type, gate_channels=16)
    with torch.no_grad():  # a gate that is not near-uniform
        for param in head.gate.parameters():
            param.normal_(0, 1)
    expert_outputs = torch.randn(8, 3, 8)
    changed = expert_outputs.clone()
    changed[:, 1] = torch.randn(8, 8) * 3
    shift = (log_weight_ratio(head, changed) -
             log_weight_ratio(head, expert_outputs)).abs()
    if gate_type == 'joint':
        assert shift.min() > 1e-2
    else:
        torch.testing.assert_close(shift, torch.zeros(8), atol=1e-5, rtol=0)


def test_joint_gate_is_invariant_to_a_token_scale():
    """Tokens are normalized first: scaling one expert's token by 10 (and
    shifting it) leaves the scores unchanged."""
    head = build_head()
    expert_outputs = torch.randn(4, 3, 8)
    scaled = expert_outputs.clone()
    scaled[:, 0] = scaled[:, 0] * 10 + 3
    torch.testing.assert_close(
        head.gate_scores(scaled),
        head.gate_scores(expert_outputs),
        atol=1e-4,
        rtol=1e-4)


def test_unknown_gate_type():
    with pytest.raises(ValueError, match="'joint' or 'per_expert'.*'mean'"):
        build_head(gate_type='mean')


def test_weights_move_to_the_expert_whose_token_the_gate_votes_for():
    """A joint gate set to score expert n by channel 0 of its normalized
    token: raising that channel in expert 1's output token moves weight to
    expert 1 and off the others, by exactly softmax(GELU(LN(T_n)[0]))."""
    head = build_head(gate_channels=3)
    with torch.no_grad():
        first, last = head.gate[0], head.gate[2]
        first.weight.zero_()
        first.bias.zero_()
        for expert in range(3):
            first.weight[expert, expert * 8] = 1.
        last.weight.copy_(torch.eye(3))
        last.bias.zero_()
    expert_outputs = torch.randn(2, 3, 8)
    changed = expert_outputs.clone()
    changed[:, 1, 0] = changed[:, 1, 1:].max(dim=1).values + 5.

    def expected(tokens):
        return F.softmax(F.gelu(F.layer_norm(tokens, (8, ))[..., 0]), dim=1)

    _, weights = head(expert_outputs)
    _, changed_weights = head(changed)
    torch.testing.assert_close(weights, expected(expert_outputs))
    torch.testing.assert_close(changed_weights, expected(changed))
    assert (changed_weights[:, 1] > weights[:, 1]).all()
    assert (changed_weights[:, [0, 2]] < weights[:, [0, 2]]).all()
    assert (changed_weights.argmax(dim=1) == 1).all()


def test_prior_biases_weights():
    head = build_head(gate_type='per_expert')
    with torch.no_grad():
        head.gate[-1].weight.zero_()
        head.gate[-1].bias.zero_()
        head.expert_prior.copy_(
            torch.tensor([0., 0., torch.log(torch.tensor(2.))]))
    _, weights = head(torch.randn(3, 3, 8))
    torch.testing.assert_close(weights,
                               torch.tensor([[.25, .25, .5]]).expand(3, 3))


def test_joint_gate_last_bias_is_the_prior():
    head = build_head()
    with torch.no_grad():
        head.gate[-1].weight.zero_()
        head.gate[-1].bias.copy_(
            torch.tensor([0., 0., torch.log(torch.tensor(2.))]))
    _, weights = head(torch.randn(3, 3, 8))
    torch.testing.assert_close(weights,
                               torch.tensor([[.25, .25, .5]]).expand(3, 3))


@pytest.mark.parametrize('gate_type', ['joint', 'per_expert'])
def test_loss_keys_and_gradients(gate_type):
    head = build_head(gate_type=gate_type)
    head.train()
    expert_outputs = torch.randn(4, 3, 8, requires_grad=True)
    losses = head.loss(expert_outputs, labelled_samples([0, 1, 2, 3]))
    assert set(losses) == {'loss_cls', 'top1_acc', 'top5_acc', 'gate_entropy'}
    assert 0 < losses['gate_entropy'] <= torch.log(torch.tensor(3.)) + 1e-6
    assert not losses['gate_entropy'].requires_grad
    losses['loss_cls'].backward()
    for name, param in head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    assert expert_outputs.grad.abs().sum() > 0


def test_predict_carries_clip_averaged_gate_weights():
    head = build_head()
    expert_outputs = torch.randn(2 * 3, 3, 8)  # 2 samples x 3 clips
    logits, weights = head(expert_outputs)
    predictions = head.predict(expert_outputs, labelled_samples([0, 1]))
    for index, prediction in enumerate(predictions):
        clip_weights = weights[index * 3:(index + 1) * 3]
        torch.testing.assert_close(prediction.gate_weights,
                                   clip_weights.mean(0))
        assert prediction.gate_weights.shape == (3, )
        torch.testing.assert_close(
            prediction.pred_score,
            F.softmax(logits[index * 3:(index + 1) * 3], 1).mean(0))
        assert 'gate_weights' in prediction.to_dict()


def test_predict_without_clip_averaging_keeps_clip_weights():
    head = build_head(average_clips=None)
    predictions = head.predict(torch.randn(4, 3, 8), labelled_samples([0, 1]))
    assert predictions[0].gate_weights.shape == (2, 3)


def test_bad_expert_outputs_shape():
    head = build_head()
    with pytest.raises(ValueError, match=r'\(B, 3, 8\), got \(2, 2, 8\)'):
        head(torch.randn(2, 2, 8))


@pytest.mark.parametrize('gate_type', ['joint', 'per_expert'])
def test_masked_expert_gets_exactly_zero_weight_and_others_renormalize(
        gate_type):
    head = build_head(gate_type=gate_type)
    expert_outputs = torch.randn(4, 3, 8)
    mask = torch.tensor([[True, True, True], [False, True, True],
                         [True, False, True], [False, False, True]])
    logits, weights = head(expert_outputs, modality_mask=mask)
    assert (weights[~mask] == 0).all()
    torch.testing.assert_close(weights.sum(1), torch.ones(4))
    assert weights[3, 2] == 1
    # The offline token does not matter at all, not even through the gate.
    garbage = expert_outputs.clone()
    garbage[~mask] = float('nan')
    logits_garbage, weights_garbage = head(garbage, modality_mask=mask)
    torch.testing.assert_close(logits_garbage, logits)
    torch.testing.assert_close(weights_garbage, weights)
    # An all-online mask is the unmasked gate.
    torch.testing.assert_close(head(expert_outputs)[0][0], logits[0])
    with pytest.raises(ValueError, match=r'bool tensor of shape \(B, 3\)'):
        head(expert_outputs, modality_mask=mask.float())


def test_masked_input_gate_reads_the_offline_clip_as_zeros():
    head = build_head(
        type='InputGatedMoEHead',
        modality_channels=1,
        gate_input_size=(1, 2, 2),
        gate_channels=4)
    clips = [torch.randn(2, 1, 2, 4, 4) for _ in range(3)]
    mask = torch.tensor([[False, True, True], [True, True, True]])
    _, weights = head(
        torch.randn(2, 3, 8), modality_inputs=clips, modality_mask=mask)
    assert weights[0, 0] == 0 and (weights[1] > 0).all()
    zeroed = [clips[0] * 0] + clips[1:]
    _, weights_zeroed = head(
        torch.randn(2, 3, 8), modality_inputs=zeroed, modality_mask=mask)
    torch.testing.assert_close(weights_zeroed[0], weights[0])


# -- training stabilizers (off by default) ------------------------------------


def one_hot_classifier(head):
    """Replace the classifier by a bias-free Linear whose logits are a
    token's first 5 entries, for hand-computed values."""
    head.classifier = torch.nn.Linear(8, 5, bias=False)
    with torch.no_grad():
        head.classifier.weight.copy_(torch.eye(5, 8))
    return head


def test_expert_logits_are_each_token_through_the_shared_classifier():
    head = build_head()
    expert_outputs = torch.randn(4, 3, 8)
    logits = head.expert_logits(expert_outputs)
    assert logits.shape == (4, 3, 5)
    for n in range(3):
        torch.testing.assert_close(logits[:, n],
                                   head.classifier(expert_outputs[:, n]))


def test_expert_classification_loss_by_hand():
    """Two samples, labels 0 and 1; expert tokens whose logits are their
    first 5 entries: CE = mean of -log softmax(logits)[label]."""
    head = one_hot_classifier(build_head(expert_loss_weight=0.5))
    expert_outputs = torch.zeros(2, 3, 8)
    expert_outputs[0, 0, 0] = 2.  # sample 0, expert 0: right and confident
    expert_outputs[1, 2, 3] = 1.  # sample 1, expert 2: wrong class 3
    uniform = torch.log(torch.tensor(5.))
    confident = -F.log_softmax(torch.tensor([2., 0, 0, 0, 0]), 0)[0]
    wrong = -F.log_softmax(torch.tensor([0., 0, 0, 1, 0]), 0)[1]
    expected = (confident + 4 * uniform + wrong) / 6
    samples = labelled_samples([0, 1])
    torch.testing.assert_close(
        head.expert_classification_loss(expert_outputs, samples), expected)
    losses = head.train().loss(expert_outputs, samples)
    torch.testing.assert_close(losses['loss_expert_cls'], 0.5 * expected)
    # An offline expert is left out of the mean.
    mask = torch.tensor([[True, True, True], [True, True, False]])
    torch.testing.assert_close(
        head.expert_classification_loss(expert_outputs, samples, mask),
        (confident + 4 * uniform) / 5)
    assert 'loss_expert_cls' not in build_head().loss(expert_outputs, samples)


def test_gate_responsibility_loss_by_hand():
    """Label 0; the experts' own p(y=0) are 4/8, 1/5 and 1/20, so their
    responsibilities are (2/3, 4/15, 1/15); gate weights (1/4, 1/4, 1/2)
    give -(2/3 + 4/15) ln(1/4) - 1/15 ln(1/2) = 29/15 ln 2."""
    head = one_hot_classifier(build_head(gate_responsibility_weight=0.5))
    with torch.no_grad():
        head.gate[-1].weight.zero_()
        head.gate[-1].bias.copy_(torch.tensor([1., 1., 2.]).log())
    expert_outputs = torch.zeros(1, 3, 8)
    expert_outputs[0, 0, 0] = torch.tensor(4.).log()
    expert_outputs[0, 2, 4] = torch.tensor(16.).log()
    samples = labelled_samples([0])
    ln2 = torch.log(torch.tensor(2.))
    torch.testing.assert_close(
        head.gate_responsibility_loss(expert_outputs, samples), 29 / 15 * ln2)
    # Offline expert 2: responsibilities (5/7, 2/7, 0), weights (1/2, 1/2).
    mask = torch.tensor([[True, True, False]])
    torch.testing.assert_close(
        head.gate_responsibility_loss(expert_outputs, samples, mask), ln2)
    # Weighted in loss(); its gradient reaches the gate alone.
    head.train()
    expert_outputs.requires_grad_()
    losses = head.loss(expert_outputs, samples)
    torch.testing.assert_close(losses['loss_gate_responsibility'],
                               0.5 * 29 / 15 * ln2)
    losses['loss_gate_responsibility'].backward()
    assert expert_outputs.grad is None
    assert head.classifier.weight.grad is None
    assert head.gate[-1].bias.grad.abs().sum() > 0
    assert 'loss_gate_responsibility' not in build_head().loss(
        expert_outputs, samples)
    # Temperature 1/2 squares p_n(y): (1/4, 1/25, 1/400) -> (100, 16, 1) / 117
    head.gate_responsibility_temperature = 0.5
    torch.testing.assert_close(
        head.gate_responsibility_loss(expert_outputs, samples),
        (116 * 2 + 1) / 117 * ln2)
    with pytest.raises(ValueError, match='temperature must be > 0'):
        build_head(gate_responsibility_temperature=0.)


def test_gate_responsibility_loss_moves_weight_to_the_right_expert():
    """Trained on its loss alone, the gate learns which expert is right
    (expert 0 when token feature 5 is positive, expert 1 otherwise): its
    weight goes to the responsibility e^5 / (e^5 + 4) / (that + 2/5)."""
    head = one_hot_classifier(build_head(gate_responsibility_weight=1.))
    head.train()
    optimizer = torch.optim.Adam(head.gate.parameters(), lr=0.05)
    torch.manual_seed(1)
    labels = torch.randint(5, (32, ))
    right = torch.randint(2, (32, ))  # which expert's token is confident
    expert_outputs = torch.zeros(32, 3, 8)
    expert_outputs[torch.arange(32), right, labels] = 5.
    expert_outputs[:, :, 5] = (1 - 2 * right.float())[:, None]
    samples = labelled_samples(labels.tolist())
    for _ in range(100):
        optimizer.zero_grad()
        head.gate_responsibility_loss(expert_outputs, samples).backward()
        optimizer.step()
    _, weights = head.eval()(expert_outputs)
    right_prob = torch.tensor(5.).exp() / (torch.tensor(5.).exp() + 4)
    torch.testing.assert_close(
        weights[torch.arange(32), right],
        (right_prob / (right_prob + 0.4)).expand(32),
        atol=0.01,
        rtol=0)


def test_gate_importance_loss_by_hand():
    # importance (sum over the batch) = (2, 0): mean 1, variance 1 -> CV^2 1
    one_hot = torch.tensor([[1., 0.], [1., 0.]])
    assert TokenVotingGateHead.gate_importance_loss(one_hot).item() == 1.
    balanced = torch.tensor([[0.9, 0.1], [0.1, 0.9]])
    assert TokenVotingGateHead.gate_importance_loss(balanced).item() == 0.
    # (0.5+0.7, 0.5+0.3) = (1.2, 0.8): variance 0.04 / mean^2 1 -> 0.04
    torch.testing.assert_close(
        TokenVotingGateHead.gate_importance_loss(
            torch.tensor([[0.5, 0.5], [0.7, 0.3]])), torch.tensor(0.04))
    head = build_head(gate_balance_weight=2.)
    expert_outputs = torch.randn(4, 3, 8)
    losses = head.loss(expert_outputs, labelled_samples([0, 1, 2, 3]))
    _, weights = head(expert_outputs)
    torch.testing.assert_close(
        losses['loss_gate_balance'],
        2 * TokenVotingGateHead.gate_importance_loss(weights))


def test_gate_warmup_gives_uniform_weights_for_its_passes_then_the_gate():
    head = build_head(gate_warmup_iters=2).train()
    expert_outputs = torch.randn(4, 3, 8)
    samples = labelled_samples([0, 1, 2, 3])
    for _ in range(2):
        _, weights = head(expert_outputs)
        torch.testing.assert_close(weights, torch.full((4, 3), 1 / 3))
        losses = head.loss(expert_outputs, samples)
        losses['loss_cls'].backward()  # the gate stays in the graph
        assert head.gate[-1].weight.grad is not None
    assert int(head.gate_warmup_steps) == 2
    _, weights = head(expert_outputs)
    assert not torch.allclose(weights, torch.full((4, 3), 1 / 3))
    # the count is a buffer: a resumed run continues it
    assert 'gate_warmup_steps' in head.state_dict()
    fresh = build_head(gate_warmup_iters=2).train()
    fresh.load_state_dict(head.state_dict())
    torch.testing.assert_close(fresh(expert_outputs)[1], weights)
    # evaluation never warms up
    head = build_head(gate_warmup_iters=2).eval()
    assert not torch.allclose(
        head(expert_outputs)[1], torch.full((4, 3), 1 / 3))


def test_gate_without_token_norm_reads_the_raw_tokens():
    head = build_head(gate_token_norm=False)
    expert_outputs = torch.randn(4, 3, 8)
    _, weights = head(expert_outputs)
    torch.testing.assert_close(
        weights, F.softmax(head.gate(expert_outputs.reshape(4, 24)), dim=1))
    # a token's scale now moves the weights (LayerNorm hid it)
    scaled = expert_outputs.clone()
    scaled[:, 0] *= 10
    assert not torch.allclose(head(scaled)[1], weights)


def test_prediction_fusion_averages_the_experts_probabilities():
    head = build_head(fusion='prediction')
    expert_outputs = torch.randn(4, 3, 8)
    log_probs, weights = head(expert_outputs)
    expert_probs = F.softmax(head.expert_logits(expert_outputs), dim=-1)
    expected = (weights[..., None] * expert_probs).sum(1)
    torch.testing.assert_close(log_probs.exp(), expected)
    # cross-entropy of the log-probabilities is -log p[label]
    losses = head.loss(expert_outputs, labelled_samples([0, 1, 2, 3]))
    torch.testing.assert_close(
        losses['loss_cls'],
        -expected[torch.arange(4), [0, 1, 2, 3]].log().mean())
    # predict: average_clips='prob' gives the fused probabilities back
    samples = head.predict(expert_outputs, labelled_samples([0, 1, 2, 3]))
    torch.testing.assert_close(
        torch.stack([sample.pred_score for sample in samples]), expected)
    with pytest.raises(ValueError, match="fusion must be 'token' or"):
        build_head(fusion='logits')


@pytest.mark.parametrize('fusion', ['token', 'prediction'])
def test_fused_loss_kept_from_the_experts(fusion):
    """fused_loss_to_experts=False: loss_cls trains the gate and the
    classifier, not the experts; their gradient is loss_expert_cls's."""
    samples = labelled_samples([0, 1, 2, 3])
    tokens = torch.randn(4, 3, 8)
    head = build_head(
        fusion=fusion, expert_loss_weight=1., fused_loss_to_experts=False)
    head.train()

    expert_outputs = tokens.clone().requires_grad_()
    losses = head.loss(expert_outputs, samples)
    losses['loss_cls'].backward()
    assert expert_outputs.grad is None  # nothing of loss_cls reaches them
    for name, param in head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name

    expert_outputs = tokens.clone().requires_grad_()
    total = sum(value
                for key, value in head.loss(expert_outputs, samples).items()
                if key.startswith('loss'))
    total.backward()
    alone = tokens.clone().requires_grad_()
    head.expert_classification_loss(alone, samples).backward()
    torch.testing.assert_close(expert_outputs.grad, alone.grad)

    with pytest.raises(ValueError, match='needs expert_loss_weight > 0'):
        build_head(fused_loss_to_experts=False)


def test_mlp_channels_zero_gives_a_linear_classifier():
    """z through Dropout -> Linear: the logits are W z + b exactly."""
    head = build_head(mlp_channels=0)
    assert [type(layer) for layer in head.classifier
            ] == [torch.nn.Dropout, torch.nn.Linear]
    expert_outputs = torch.randn(4, 3, 8)
    logits, weights = head(expert_outputs)
    fused = (weights[..., None] * expert_outputs).sum(1)
    linear = head.classifier[1]
    torch.testing.assert_close(logits, fused @ linear.weight.T + linear.bias)
    assert head.expert_logits(expert_outputs).shape == (4, 3, 5)
