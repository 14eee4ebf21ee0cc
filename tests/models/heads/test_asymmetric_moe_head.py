import pytest
import torch
from mmaction.registry import MODELS

from tests.conftest import TINY_EXPERT, labelled_samples

MODALITIES = ('rgb', 'ir', 'depth')


def build_head(**overrides):
    torch.manual_seed(0)
    cfg = dict(
        type='AsymmetricMoEHead',
        num_classes=5,
        in_channels=16,
        num_experts=3,
        num_frames=4,
        hidden_channels=16,
        num_heads=2,
        top_k=2)
    head = MODELS.build({**cfg, **overrides})
    head.init_weights()
    return head


def test_shapes_and_group_weights():
    head = build_head().eval()
    frame_tokens = torch.randn(2, 3, 4, 16)
    logits, group_weights = head(
        torch.randn(2, 3, 16), frame_tokens=frame_tokens)
    assert logits.shape == (2, 5)
    assert group_weights.shape == (2, 3)  # intra, inter, evidence
    torch.testing.assert_close(group_weights.sum(-1), torch.ones(2))
    # (B, L, E) routing: top-2 of the 3 intra + 2 inter + 1 evidence
    _, _, router_logits, _ = head._forward(frame_tokens, None)
    assert router_logits.shape == (2, 12, 6)
    # frame tokens may also come as feats
    torch.testing.assert_close(head(frame_tokens)[0], logits)
    with pytest.raises(ValueError, match=r'frame tokens of shape \(B, 3, 4'):
        head(torch.randn(2, 3, 16))


def test_a_camera_may_only_use_its_own_intra_experts():
    head = build_head(intra_experts_per_modality=2, top_k=3).eval()
    _, _, router_logits, _ = head._forward(torch.randn(2, 3, 4, 16), None)
    # intra experts 2n, 2n+1 belong to camera n; tokens are camera-major
    for camera in range(3):
        logits = router_logits[:, camera * 4:(camera + 1) * 4, :6]
        own = [2 * camera, 2 * camera + 1]
        others = [index for index in range(6) if index not in own]
        assert torch.isfinite(logits[..., own]).all()
        assert torch.isinf(logits[..., others]).all()


def test_intra_experts_see_one_camera_only():
    """Changing the IR tokens leaves the input of the colour camera's intra
    expert unchanged, and changes the IR expert's."""
    head = build_head().eval()
    seen = {}
    for index in (0, 1):
        head.intra_experts[index].register_forward_hook(
            lambda module, args, output, index=index: seen.__setitem__(
                index, args[0].clone()))
    tokens = torch.randn(2, 3, 4, 16)
    head(tokens)
    before = dict(seen)
    changed = tokens.clone()
    changed[:, 1] = torch.randn(2, 4, 16)
    head(changed)
    assert before[0].shape == (2, 4, 16)  # (B, T, d) of one camera
    torch.testing.assert_close(seen[0], before[0])
    assert not torch.allclose(seen[1], before[1])


def test_hyperbolic_experts_mix_across_cameras_only():
    """A token's update depends on itself and on the other cameras' tokens,
    not on the other frames of its own camera."""
    head = build_head(expert_dropout=0.).eval()
    expert = head.inter_experts[0]
    tokens = torch.randn(1, 12, 16)  # 3 cameras x 4 frames
    update = expert(tokens, head.curvature, head.inter_key_mask)
    changed = tokens.clone()
    changed[0, 0] = torch.randn(16) * 3  # camera 0, frame 0
    changed_update = expert(changed, head.curvature, head.inter_key_mask)
    # other frames of camera 0: unchanged; every token of cameras 1 and 2
    # and the changed token itself: changed
    torch.testing.assert_close(changed_update[0, 1:4], update[0, 1:4])
    assert not torch.allclose(changed_update[0, 0], update[0, 0])
    for token in range(4, 12):
        assert not torch.allclose(changed_update[0, token], update[0, token])


def test_evidence_features_and_routing_bias():
    head = build_head().eval()
    tokens = torch.randn(2, 3, 4, 16)
    tokens[:, 2] = tokens[:, 2, :1]  # depth frozen: the same every frame
    hidden = head.embed(tokens)
    probe_logits, features = head.evidence_features(tokens, hidden)
    assert probe_logits.shape == (2, 3, 4, 5)
    assert features.shape == (2, 3, 4, 3)
    assert not features.requires_grad
    # temporal deviation: 0 for the frozen camera, > 0 for the others
    assert (features[:, 2, :, 2].abs() < 1e-5).all()
    assert (features[:, :2, :, 2] > 0.1).all()
    # confidence and departure from the prior are in [0, 1]
    assert ((features[..., :2] >= -1e-6) & (features[..., :2] <= 1)).all()
    # a probe that is sure of class 3 for every token: confidence ~1 and a
    # departure of KL(one-hot || uniform prior) / log K = 1
    with torch.no_grad():
        head.evidence_probe[1].weight.zero_()
        head.evidence_probe[1].bias.zero_()
        head.evidence_probe[0].bias.fill_(1.)
        head.evidence_probe[0].weight.zero_()
        head.evidence_probe[1].weight[3] = 100.
    _, confident = head.evidence_features(tokens, head.embed(tokens))
    torch.testing.assert_close(confident[..., 0], torch.ones(2, 3, 4))
    torch.testing.assert_close(confident[..., 1], torch.ones(2, 3, 4))
    # the weighted features raise exactly the evidence experts' logits
    _, _, router_logits, _ = head._forward(tokens, None)
    plain = head.router(head.embed(tokens).flatten(1, 2))
    weights = torch.nn.functional.softplus(head.evidence_feature_weights)
    score = (confident * weights).sum(-1).flatten(1, 2)
    torch.testing.assert_close(router_logits[..., 5], plain[..., 5] + score)
    torch.testing.assert_close(router_logits[..., 3:5], plain[..., 3:5])


def test_loss_keys_and_gradients():
    head = build_head()
    frame_tokens = torch.randn(4, 3, 4, 16, requires_grad=True)
    losses = head.loss(
        torch.randn(4, 3, 16),
        labelled_samples(range(4)),
        frame_tokens=frame_tokens)
    assert set(losses) == {
        'loss_cls', 'top1_acc', 'top5_acc', 'loss_load_balance',
        'loss_evidence_probe', 'curvature', 'group_weight_intra',
        'group_weight_inter', 'group_weight_evidence'
    }
    torch.testing.assert_close(losses['curvature'], torch.tensor(1.))
    group_sum = sum(losses[f'group_weight_{name}']
                    for name in ('intra', 'inter', 'evidence'))
    torch.testing.assert_close(group_sum, torch.tensor(1.))
    sum(value for key, value in losses.items() if 'loss' in key).backward()
    assert frame_tokens.grad.abs().sum() > 0
    assert head.raw_curvature.grad is not None
    assert head.raw_curvature.grad.abs() > 0
    assert head.evidence_probe[1].weight.grad.abs().sum() > 0
    assert head.fc_cls.weight.grad.abs().sum() > 0
    # the probe learns on detached tokens: its loss alone reaches no token
    frame_tokens.grad = None
    head.zero_grad()
    head.loss(frame_tokens,
              labelled_samples(range(4)))['loss_evidence_probe'].backward()
    assert frame_tokens.grad is None


def test_fixed_curvature_and_argument_checks():
    head = build_head(curvature=.5, learn_curvature=False)
    assert 'raw_curvature' not in dict(head.named_parameters())
    torch.testing.assert_close(head.curvature, torch.tensor(.5))
    with pytest.raises(ValueError, match=r'top_k must be in \[1, 4\]'):
        build_head(top_k=5)
    with pytest.raises(ValueError, match='curvature must be > 0'):
        build_head(curvature=0.)


def test_no_nan_under_bfloat16_autocast_with_large_tokens():
    head = build_head()
    frame_tokens = (torch.randn(2, 3, 4, 16) * 1e3).requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = head.loss(frame_tokens, labelled_samples(range(2)))
    total = sum(value for key, value in losses.items() if 'loss' in key)
    assert torch.isfinite(total)
    total.backward()
    for name, parameter in head.named_parameters():
        if parameter.grad is not None:
            assert torch.isfinite(parameter.grad).all(), name


def test_predict_attaches_group_weights_averaged_over_clips():
    head = build_head().eval()
    predictions = head.predict(
        torch.randn(4, 3, 16),
        labelled_samples(range(2)),
        frame_tokens=torch.randn(4, 3, 4, 16))  # 2 samples x 2 clips
    assert predictions[0].group_weights.shape == (3, )
    torch.testing.assert_close(predictions[0].group_weights.sum(),
                               torch.tensor(1.))


def test_trains_through_mome_recognizer_into_the_experts():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MoMERecognizer',
            backbone=TINY_EXPERT,
            modalities=MODALITIES,
            cls_head=dict(
                type='AsymmetricMoEHead',
                num_classes=5,
                in_channels=64,
                num_experts=3,
                num_frames=4,
                hidden_channels=16,
                num_heads=2)))
    model.init_weights()
    inputs = {name: torch.randn(2, 1, 3, 4, 32, 32) for name in MODALITIES}
    losses = model(inputs, labelled_samples(range(2)), mode='loss')
    assert {'loss_cls', 'loss_load_balance',
            'loss_evidence_probe'} <= set(losses)
    sum(value for key, value in losses.items() if 'loss' in key).backward()
    for name, expert in model.backbone.experts.items():
        block = expert.transformer.resblocks[0]
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in block.parameters()), name
    head = model.cls_head
    assert head.embed.proj.weight.grad.abs().sum() > 0
    assert head.router.weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        predictions = model(inputs, labelled_samples(range(2)), mode='predict')
    assert predictions[0].group_weights.shape == (3, )
