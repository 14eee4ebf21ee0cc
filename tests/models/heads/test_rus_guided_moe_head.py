import math
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS

from mome_mmaction.models.heads.rus_guided_moe_head import \
    jensen_shannon_divergence
from mome_mmaction.models.utils import save_temporal_rus
from tests.conftest import TINY_EXPERT, labelled_samples

MODALITIES = ('rgb', 'ir', 'depth')


def write_rus(path, num_modalities=3, num_frames=4, u=0., r=0., s=0.):
    return save_temporal_rus(
        path,
        dict(
            U=torch.full((num_modalities, num_frames), u),
            R=torch.full((num_modalities, num_modalities, num_frames), r),
            S=torch.full((num_modalities, num_modalities, num_frames), s)),
        MODALITIES[:num_modalities])


def build_head(rus_file, **overrides):
    torch.manual_seed(0)
    cfg = dict(
        type='RUSGuidedMoEHead',
        num_classes=5,
        in_channels=16,
        num_experts=3,
        rus_file=str(rus_file),
        hidden_channels=16,
        num_moe_experts=4,
        num_synergy_experts=1,
        top_k=2,
        synergy_heads=2,
        router_channels=8,
        attention_channels=4,
        gru_channels=8)
    head = MODELS.build({**cfg, **overrides})
    head.init_weights()
    return head


@pytest.fixture
def rus_file(tmp_path):
    generator = torch.Generator().manual_seed(0)
    return save_temporal_rus(
        tmp_path / 'rus.npz',
        dict(
            U=torch.rand(3, 4, generator=generator),
            R=torch.rand(3, 3, 4, generator=generator),
            S=torch.rand(3, 3, 4, generator=generator)), MODALITIES)


def test_shapes_top_k_and_routing_weight_normalization(rus_file):
    head = build_head(rus_file).eval()
    frame_tokens = torch.randn(2, 3, 4, 16)
    logits, routing_weights = head(
        torch.randn(2, 3, 16), frame_tokens=frame_tokens)
    assert logits.shape == (2, 5)
    assert routing_weights.shape == (2, 3, 4, 4)  # (B, N, T, E)
    assert ((routing_weights > 0).sum(-1) == 2).all()
    torch.testing.assert_close(routing_weights.sum(-1), torch.ones(2, 3, 4))
    # Frame tokens can also come as feats.
    torch.testing.assert_close(head(frame_tokens)[0], logits)
    predictions = head.predict(
        torch.randn(4, 3, 16),
        labelled_samples(range(2)),
        frame_tokens=torch.randn(4, 3, 4, 16))  # 2 samples x 2 clips
    assert predictions[0].routing_weights.shape == (3, 4, 4)
    torch.testing.assert_close(predictions[0].routing_weights.sum(-1),
                               torch.ones(3, 4))


def test_load_balance_loss_is_weighted_in_the_losses(rus_file):
    head = build_head(rus_file, top_k=1)
    # Token 0 -> expert 0, token 1 -> expert 1: unweighted loss 1.6
    # (tests/models/utils/test_token_routing.py).
    probs = torch.tensor([[.7, .1, .1, .1], [.1, .7, .1, .1]])
    # Weighted by load_balance_weight in the losses.
    # (B, N, T, E) = (1, 3, 4, 4): tokens alternate experts 0 and 1.
    losses = head.rus_losses(probs.log().repeat(6, 1).view(1, 3, 4, 4))
    assert set(losses) == {
        'loss_rus_uniqueness', 'loss_rus_redundancy', 'loss_rus_synergy',
        'loss_load_balance'
    }
    torch.testing.assert_close(losses['loss_load_balance'],
                               torch.tensor(0.02 * 1.6))


def test_jensen_shannon_divergence_is_stable():
    uniform = torch.full((4, ), 0.25).log()
    torch.testing.assert_close(
        jensen_shannon_divergence(uniform, uniform), torch.tensor(0.))
    one_hot = torch.tensor([0., -math.inf, -math.inf, -math.inf])
    other_hot = torch.tensor([-math.inf, 0., -math.inf, -math.inf])
    torch.testing.assert_close(
        jensen_shannon_divergence(one_hot, other_hot),
        torch.tensor(math.log(2)))
    logits = torch.tensor([5., -30., 0., 1.], requires_grad=True)
    divergence = jensen_shannon_divergence(
        torch.log_softmax(logits, 0), other_hot)
    divergence.backward()
    assert torch.isfinite(divergence) and torch.isfinite(logits.grad).all()


def test_rus_losses_follow_thresholds(tmp_path):
    # Redundant pairs only: routing pulled together, zero when identical.
    head = build_head(write_rus(tmp_path / 'r.npz', r=1.))
    same = torch.randn(1, 1, 4, 4).expand(2, 3, 4, 4)
    losses = head.rus_losses(same)
    torch.testing.assert_close(losses['loss_rus_redundancy'], torch.tensor(0.))
    assert losses['loss_rus_uniqueness'] == 0 == losses['loss_rus_synergy']
    apart = torch.full((2, 3, 4, 4), -50.)
    for modality in range(3):
        apart[:, modality, :, modality] = 50.  # one-hot on different experts
    losses = head.rus_losses(apart)
    torch.testing.assert_close(losses['loss_rus_redundancy'],
                               torch.tensor(0.1 * math.log(2)))
    # Unique modalities: pushed apart (negative JSD).
    head = build_head(write_rus(tmp_path / 'u.npz', u=1.))
    losses = head.rus_losses(apart)
    torch.testing.assert_close(losses['loss_rus_uniqueness'],
                               torch.tensor(-0.1 * math.log(2)))
    assert losses['loss_rus_redundancy'] == 0
    # Synergistic pairs: toward the synergy expert (index 0).
    head = build_head(write_rus(tmp_path / 's.npz', s=1.))
    on_synergy = torch.full((2, 3, 4, 4), -50.)
    on_synergy[..., 0] = 50.
    torch.testing.assert_close(
        head.rus_losses(on_synergy)['loss_rus_synergy'], torch.tensor(0.))
    torch.testing.assert_close(
        head.rus_losses(apart)['loss_rus_synergy'],
        torch.tensor(0.1 * math.log(2) * 2 / 3))  # 2 of 3 modalities off
    # Below the thresholds nothing is active.
    head = build_head(
        write_rus(tmp_path / 'all.npz', u=1., r=1., s=1.),
        threshold_uniqueness=2.,
        threshold_redundancy=2.,
        threshold_synergy=2.)
    losses = head.rus_losses(apart)
    for key in ('loss_rus_uniqueness', 'loss_rus_redundancy',
                'loss_rus_synergy'):
        assert losses[key] == 0, key


def test_head_builds_before_its_rus_file_and_reads_it_at_first_forward(
        tmp_path):
    path = tmp_path / 'later.npz'
    with pytest.raises(
            ValueError, match='later.npz does not exist yet.*'
            'num_frames'):
        build_head(path)
    head = build_head(path, num_frames=4)
    tokens = torch.randn(2, 3, 4, 16)
    with pytest.raises(
            FileNotFoundError,
            match='later.npz not found; write it with '
            'tools/analysis/compute_temporal_rus.py'):
        head(tokens.mean(2), frame_tokens=tokens)
    write_rus(path, u=0.3)
    head(tokens.mean(2), frame_tokens=tokens)
    assert torch.equal(head.rus_U, torch.full((3, 4), 0.3))
    with pytest.raises(ValueError, match='T=5'):
        build_head(path, num_frames=5)


def test_head_refuses_missing_or_malformed_rus_files(tmp_path):
    with pytest.raises(ValueError, match=r'two\.npz.*N=3'):
        build_head(write_rus(tmp_path / 'two.npz', num_modalities=2))
    np.savez(tmp_path / 'no_s.npz', U=np.zeros((3, 4)), R=np.zeros((3, 3, 4)))
    with pytest.raises(ValueError, match=r"no_s\.npz lacks \['S'\]"):
        build_head(tmp_path / 'no_s.npz')
    np.savez(
        tmp_path / 'frames.npz',
        U=np.zeros((3, 4)),
        R=np.zeros((3, 3, 5)),
        S=np.zeros((3, 3, 4)))
    with pytest.raises(ValueError, match='frames.npz has shapes'):
        build_head(tmp_path / 'frames.npz')
    (tmp_path / 'text.npz').write_text('not an archive')
    with pytest.raises(ValueError, match='text.npz is not a readable'):
        build_head(tmp_path / 'text.npz')
    head = build_head(write_rus(tmp_path / 'ok.npz'))
    with pytest.raises(ValueError, match=r'\(B, 3, 4, 16\).*ok\.npz'):
        head(torch.randn(2, 3, 16), frame_tokens=torch.randn(2, 3, 8, 16))


def test_rus_values_are_buffers_not_checkpoint_entries(rus_file):
    head = build_head(rus_file)
    assert head.rus_U.shape == (3, 4) and head.rus_S.shape == (3, 3, 4)
    assert not any(key.startswith('rus_') for key in head.state_dict())


def test_gradients_reach_head_and_experts(rus_file):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MoMERecognizer',
            backbone=TINY_EXPERT,
            modalities=MODALITIES,
            cls_head=dict(
                type='RUSGuidedMoEHead',
                num_classes=5,
                in_channels=64,
                num_experts=3,
                rus_file=str(rus_file),
                hidden_channels=16,
                synergy_heads=2,
                router_channels=8,
                attention_channels=4,
                gru_channels=8,
                threshold_uniqueness=0.,
                threshold_redundancy=0.,
                threshold_synergy=0.)))
    model.init_weights()
    inputs = {name: torch.randn(2, 1, 3, 4, 32, 32) for name in MODALITIES}
    losses = model(inputs, labelled_samples(range(2)), mode='loss')
    total = sum(value for key, value in losses.items() if 'loss' in key)
    total.backward()
    for name, expert in model.backbone.experts.items():
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in expert.parameters()), name
    head = model.cls_head
    for module in (head.token_proj, head.router.scorer[-1], head.fc_cls):
        assert module.weight.grad.abs().sum() > 0
    assert head.router.gru.weight_ih_l0.grad.abs().sum() > 0
    routed_experts = [
        expert for expert in head.moe_experts
        if any(p.grad is not None and p.grad.abs().sum() > 0
               for p in expert.parameters())
    ]
    assert routed_experts


def test_router_attends_only_to_other_modalities(tmp_path):
    generator = torch.Generator().manual_seed(0)
    rus = dict(
        U=torch.rand(3, 4, generator=generator),
        R=torch.rand(3, 3, 4, generator=generator),
        S=torch.rand(3, 3, 4, generator=generator))
    changed_self = {key: value.clone() for key, value in rus.items()}
    changed_self['R'][1, 1] += 5.
    changed_other = {key: value.clone() for key, value in rus.items()}
    changed_other['S'][1, 2] += 5.
    tokens = torch.randn(2, 3, 4, 16)
    router_logits = []
    for name, values in [('base', rus), ('self', changed_self),
                         ('other', changed_other)]:
        head = build_head(
            save_temporal_rus(tmp_path / f'{name}.npz', values, MODALITIES),
            expert_dropout=0.).eval()
        router_logits.append(head._forward(tokens, None)[2])
    torch.testing.assert_close(router_logits[0], router_logits[1])
    assert not torch.allclose(router_logits[0][:, 1], router_logits[2][:, 1])


@pytest.mark.parametrize('pooling, order_matters', [('mean', False),
                                                    ('gru', True)])
def test_temporal_pooling_sees_frame_order(rus_file, pooling, order_matters):
    """One FFN expert (routing weight 1 everywhere) and zero frame
    embeddings: with a mean over frames a clip and its time reverse (down
    vs. up, opening vs. closing) get the same logits; the GRU tells them
    apart."""
    head = build_head(
        rus_file,
        num_moe_experts=1,
        num_synergy_experts=0,
        top_k=1,
        temporal_pooling=pooling).eval()
    frame_tokens = torch.randn(2, 3, 4, 16)
    logits = head(frame_tokens)[0]
    reversed_logits = head(frame_tokens.flip(2))[0]
    assert torch.allclose(
        logits, reversed_logits, atol=1e-5) is not order_matters


def test_unknown_temporal_pooling_is_refused(rus_file):
    with pytest.raises(ValueError, match="'gru' or 'mean'"):
        build_head(rus_file, temporal_pooling='max')
