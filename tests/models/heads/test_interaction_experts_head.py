import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

from tests.conftest import TINY_EXPERT, labelled_samples

MODALITIES = ('rgb', 'ir', 'depth')


def build_head(**overrides):
    torch.manual_seed(0)
    cfg = dict(
        type='InteractionExpertsHead',
        num_classes=5,
        in_channels=16,
        num_experts=3,
        hidden_channels=16,
        num_heads=2,
        reweight_channels=16)
    head = MODELS.build({**cfg, **overrides})
    head.init_weights()
    return head


@pytest.mark.parametrize('shape', [(4, 3, 16), (4, 3, 6, 16)])
def test_shapes_and_weight_normalization(shape):
    head = build_head().eval()
    logits, weights = head(torch.randn(*shape))
    assert logits.shape == (4, 5)
    assert weights.shape == (4, 5)  # N + 2 fusion experts
    assert (weights > 0).all()
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(4))
    expert_logits = head.expert_logits(
        head.token_norm(torch.randn(*shape).view(4, 3, -1, 16)),
        perturbed=True)
    assert expert_logits.shape == (5, 4, 4, 5)  # (N+2, 1+N, B, K)


def test_logits_are_the_weighted_sum_of_expert_logits():
    head = build_head().eval()
    feats = torch.randn(2, 3, 16)
    logits, weights = head(feats)
    expert_logits = head.expert_logits(
        head.token_norm(feats.unsqueeze(2)), perturbed=False)[:, 0]
    torch.testing.assert_close(
        logits, torch.einsum('be,ebk->bk', weights, expert_logits))


def test_temperature_sharpens_weights():
    feats = torch.randn(2, 3, 16)
    soft = build_head(temperature=10.).eval()(feats)[1]
    sharp = build_head(temperature=0.1).eval()(feats)[1]
    assert sharp.max() > soft.max()


def test_loss_keys_and_predict_fields():
    head = build_head()
    losses = head.loss(torch.randn(4, 3, 16), labelled_samples(range(4)))
    assert set(losses) == {
        'loss_cls', 'top1_acc', 'top5_acc', 'loss_interaction',
        'interaction_uniqueness', 'interaction_synergy',
        'interaction_redundancy'
    }
    assert losses['loss_interaction'].requires_grad
    assert not losses['interaction_synergy'].requires_grad
    head.eval()
    # 2 samples x 3 clips
    predictions = head.predict(
        torch.randn(6, 3, 16), labelled_samples(range(2)))
    assert predictions[0].interaction_weights.shape == (5, )
    torch.testing.assert_close(predictions[1].interaction_weights.sum(),
                               torch.tensor(1.))


def hand_made_expert_logits(uniqueness_ok: bool):
    """N = 2: 4 fusion experts x 3 passes x batch 1 x 2 classes.

    Uniqueness expert i: its clean output is (0, 0); replacing its own
    modality moves it by 3 (or 0.1), replacing the other by 0.1 (or 3).
    Synergy expert: perturbed outputs orthogonal to the clean one.
    Redundancy expert: perturbed outputs equal to the clean one.
    """
    far, near = torch.tensor([3., 0.]), torch.tensor([.1, 0.])
    own, other = (far, near) if uniqueness_ok else (near, far)
    clean = torch.zeros(2)
    uniqueness_0 = torch.stack([clean, own, other])
    uniqueness_1 = torch.stack([clean, other, own])
    synergy = torch.tensor([[1., 0.], [0., 1.], [0., 2.]])
    redundancy = torch.tensor([[1., 1.], [2., 2.], [1., 1.]])
    return torch.stack([uniqueness_0, uniqueness_1, synergy,
                        redundancy]).unsqueeze(2)


def test_interaction_losses_on_hand_made_cases():
    head = build_head(num_experts=2, interaction_loss_weight=0.5)
    # Margin met: d(anchor, positive) = 0.1, d(anchor, negative) = 3.
    losses = head.interaction_losses(hand_made_expert_logits(True))
    torch.testing.assert_close(losses['interaction_uniqueness'],
                               torch.tensor(0.))
    torch.testing.assert_close(losses['interaction_synergy'], torch.tensor(0.))
    torch.testing.assert_close(losses['interaction_redundancy'],
                               torch.tensor(0.))
    torch.testing.assert_close(losses['loss_interaction'], torch.tensor(0.))
    # Violated: 3 - 0.1 + margin 1 = 3.9 per uniqueness expert (the
    # pairwise distance adds eps 1e-6 per coordinate).
    losses = head.interaction_losses(hand_made_expert_logits(False))
    torch.testing.assert_close(
        losses['interaction_uniqueness'], torch.tensor(3.9), atol=1e-4, rtol=0)
    # Synergy: clean == perturbed -> cosine 1; redundancy: opposite -> 2.
    expert_logits = hand_made_expert_logits(False)
    expert_logits[2] = torch.tensor([1., 1.])
    expert_logits[3, 1:] = -expert_logits[3, :1]
    losses = head.interaction_losses(expert_logits)
    torch.testing.assert_close(losses['interaction_synergy'], torch.tensor(1.))
    torch.testing.assert_close(losses['interaction_redundancy'],
                               torch.tensor(2.))
    # lambda * (3.9 + 3.9 + 1 + 2) / (N + 2)
    torch.testing.assert_close(
        losses['loss_interaction'],
        torch.tensor(0.5 * 10.8 / 4),
        atol=1e-4,
        rtol=0)


def test_interaction_losses_reject_wrong_shape():
    head = build_head(num_experts=2)
    with pytest.raises(ValueError, match=r'\(4, 3\)'):
        head.interaction_losses(torch.zeros(4, 2, 1, 5))


@pytest.mark.parametrize('replace', ['noise', 'zero', 'mean'])
def test_replacement_touches_only_that_modality(replace):
    head = build_head(replace=replace)
    tokens = torch.randn(4, 3, 2, 16)
    perturbed = head.replace_modality(tokens, 1)
    assert torch.equal(perturbed[:, [0, 2]], tokens[:, [0, 2]])
    expected = dict(
        zero=torch.zeros(4, 2, 16),
        mean=tokens[:, 1].mean(0, keepdim=True).expand(4, 2, 16))
    if replace in expected:
        torch.testing.assert_close(perturbed[:, 1], expected[replace])
    else:
        assert not torch.allclose(perturbed[:, 1], tokens[:, 1])


def test_bad_arguments_and_inputs_are_clear_errors():
    with pytest.raises(ValueError, match='replace'):
        build_head(replace='drop')
    with pytest.raises(ValueError, match='token_source'):
        build_head(token_source='patch')
    head = build_head()
    with pytest.raises(ValueError, match=r'\(B, 3, 16\)'):
        head(torch.randn(2, 2, 16))
    frame_head = build_head(token_source='frame')
    with pytest.raises(ValueError, match='frame_tokens'):
        frame_head(torch.randn(2, 3, 16))


def build_recognizer(token_source):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MoMERecognizer',
            backbone=TINY_EXPERT,
            modalities=MODALITIES,
            cls_head=dict(
                type='InteractionExpertsHead',
                num_classes=4,
                in_channels=64,
                num_experts=3,
                token_source=token_source,
                num_frames=4 if token_source == 'frame' else None,
                hidden_channels=16,
                num_heads=2,
                reweight_channels=16)))
    model.init_weights()
    return model


def clip_batch(batch_size=2):
    return {
        name: torch.randn(batch_size, 1, 3, 4, 32, 32)
        for name in MODALITIES
    }


@pytest.mark.parametrize('token_source', ['class', 'frame'])
def test_gradients_reach_head_and_experts_in_one_backbone_pass(token_source):
    model = build_recognizer(token_source)
    expert_calls = []
    for name, expert in model.backbone.experts.items():
        expert.register_forward_hook(
            lambda *args, name=name: expert_calls.append(name))
    data_samples = [ActionDataSample().set_gt_label(i) for i in range(2)]
    losses = model(clip_batch(), data_samples, mode='loss')
    assert expert_calls == list(MODALITIES)  # each expert ran once
    assert 'loss_interaction' in losses
    (losses['loss_cls'] + losses['loss_interaction']).backward()
    for name, expert in model.backbone.experts.items():
        grads = [p.grad for p in expert.parameters() if p.requires_grad]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), name
    for index, fusion_expert in enumerate(model.cls_head.fusion_experts):
        grad = fusion_expert.input_proj.weight.grad
        assert grad is not None and grad.abs().sum() > 0, index
    assert model.cls_head.reweight[0].weight.grad.abs().sum() > 0
    # No hooks are left on the blocks.
    for expert in model.backbone.experts.values():
        assert not any(block._forward_hooks
                       for block in expert.transformer.resblocks)


def test_frame_tokens_come_from_the_deepest_block():
    model = build_recognizer('frame').eval()
    clips = clip_batch()
    _, head_kwargs = model.extract_feat(clips)
    frame_tokens = head_kwargs['frame_tokens']
    assert frame_tokens.shape == (2, 3, 4, 64)
    block_outputs = []
    handle = model.backbone.experts['ir'].transformer.resblocks[
        -1].register_forward_hook(lambda m, a, out: block_outputs.append(out))
    model.backbone.experts['ir'](clips['ir'][:, 0])
    handle.remove()
    # (1 + HW, B*T, C) -> class tokens (B, T, C)
    torch.testing.assert_close(frame_tokens[:, 1],
                               block_outputs[0][0].view(2, 4, 64))
    predictions = model.test_step(
        dict(
            inputs={name: list(clips[name])
                    for name in MODALITIES},
            data_samples=[ActionDataSample() for _ in range(2)]))
    assert predictions[0].interaction_weights.shape == (5, )
