import json
import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

from mome_mmaction.models.heads.anchor_semantic_head import AnchorSemanticHead
from mome_mmaction.models.losses.semantic_triplet_loss import \
    SemanticTripletLoss
from mome_mmaction.models.utils.bag_of_words_text_encoder import \
    BagOfWordsTextEncoder
from tests.conftest import TINY_EXPERT, labelled_samples

MODALITIES = ('rgb', 'ir', 'depth')
CLASSES = ('fastening_seat_belt', 'unfastening_seat_belt', 'opening_laptop',
           'closing_laptop', 'drinking', 'sitting_still')


def build_head(**overrides) -> AnchorSemanticHead:
    torch.manual_seed(0)
    cfg = dict(
        type='AnchorSemanticHead',
        num_classes=6,
        in_channels=16,
        num_experts=3,
        num_frames=4,
        num_anchors=3,
        hidden_channels=16,
        num_heads=2,
        class_names=CLASSES,
        text_encoder=dict(type='BagOfWordsTextEncoder', embed_channels=8))
    head = MODELS.build({**cfg, **overrides})
    head.init_weights()
    return head


def test_shapes_and_attention_distributions():
    head = build_head().eval()
    assert isinstance(head.text_encoder, BagOfWordsTextEncoder)
    assert isinstance(head.loss_semantic, SemanticTripletLoss)
    frame_tokens = torch.randn(2, 3, 4, 16)
    logits, attention = head(torch.randn(2, 3, 16), frame_tokens=frame_tokens)
    assert logits.shape == (2, 6)
    assert attention.shape == (2, 3, 3, 4)  # (B, num_anchors, N, T)
    assert (attention >= 0).all()
    torch.testing.assert_close(attention.sum((2, 3)), torch.ones(2, 3))
    # Frame tokens can also come as feats.
    torch.testing.assert_close(head(frame_tokens)[0], logits)
    logits_again, _, fused = head(frame_tokens, return_embedding=True)
    torch.testing.assert_close(logits_again, logits)
    assert fused.shape == (2, 16)
    with pytest.raises(ValueError, match=r'\(B, 3, 4, 16\)'):
        head(torch.randn(2, 3, 16), frame_tokens=torch.randn(2, 3, 8, 16))


def test_anchors_can_also_attend_to_the_expert_outputs():
    """attend_expert_outputs: each expert's output token is one more slot
    per camera, (B, A, N, T + 1), and the logits depend on it."""
    head = build_head(attend_expert_outputs=True).eval()
    feats, frame_tokens = torch.randn(2, 3, 16), torch.randn(2, 3, 4, 16)
    logits, attention = head(feats, frame_tokens=frame_tokens)
    assert attention.shape == (2, 3, 3, 5)
    torch.testing.assert_close(attention.sum((2, 3)), torch.ones(2, 3))
    other_feats = torch.randn(2, 3, 16)
    assert not torch.allclose(
        head(other_feats, frame_tokens=frame_tokens)[0], logits, atol=1e-4)
    with pytest.raises(ValueError, match='needs the expert outputs'):
        head(frame_tokens)
    # Without the option the expert outputs are not read.
    head = build_head().eval()
    torch.testing.assert_close(
        head(other_feats, frame_tokens=frame_tokens)[0],
        head(feats, frame_tokens=frame_tokens)[0])


def test_anchor_outputs_are_concatenated_so_frame_order_can_matter():
    """With frame embeddings (learned, zero at init) a clip and its time
    reverse get different logits."""
    head = build_head().eval()
    frame_tokens = torch.randn(2, 3, 4, 16)
    torch.testing.assert_close(
        head(frame_tokens)[0],
        head(frame_tokens.flip(2))[0])
    with torch.no_grad():
        head.token_embed.frame_embed.normal_()
    assert not torch.allclose(
        head(frame_tokens)[0], head(frame_tokens.flip(2))[0], atol=1e-4)
    assert head.fuse[0].in_features == 3 * 16


def test_loss_keys_values_and_a_single_forward():
    head = build_head().eval()
    frame_tokens = torch.randn(4, 3, 4, 16)
    data_samples = labelled_samples(range(4))
    forward_calls = []
    handle = head.register_forward_hook(
        lambda module, args, output: forward_calls.append(output))
    losses = head.loss(
        torch.randn(4, 3, 16), data_samples, frame_tokens=frame_tokens)
    handle.remove()
    assert len(forward_calls) == 1
    assert set(losses) == {
        'loss_cls', 'top1_acc', 'top5_acc', 'loss_semantic',
        'semantic_positive_cosine'
    }
    labels = torch.arange(4)
    _, _, fused = head(frame_tokens, return_embedding=True)
    descriptions = head.text_encoder()
    expected = head.loss_semantic(fused, descriptions, labels)
    torch.testing.assert_close(losses['loss_semantic'], expected)
    assert losses['loss_semantic'].requires_grad
    torch.testing.assert_close(
        losses['semantic_positive_cosine'],
        F.cosine_similarity(fused, descriptions[labels], dim=1).mean())
    assert not losses['semantic_positive_cosine'].requires_grad
    assert head.loss_semantic.loss_weight == 0.1
    assert head.loss_semantic.margin == 0.2


def test_soft_labels_use_their_argmax_class():
    head = build_head().eval()
    frame_tokens = torch.randn(2, 3, 4, 16)
    soft = [
        ActionDataSample().set_gt_label(
            torch.tensor([0.1, 0.0, 0.7, 0.2, 0.0, 0.0])),
        ActionDataSample().set_gt_label(
            torch.tensor([0.0, 0.6, 0.0, 0.0, 0.4, 0.0]))
    ]
    hard = [
        ActionDataSample().set_gt_label(2),
        ActionDataSample().set_gt_label(1)
    ]
    soft_losses = head.loss(frame_tokens, soft)
    hard_losses = head.loss(frame_tokens, hard)
    torch.testing.assert_close(soft_losses['loss_semantic'],
                               hard_losses['loss_semantic'])
    assert 'top1_acc' not in soft_losses  # BaseHead: no accuracy when soft


def test_predict_attaches_anchor_attention_averaged_over_clips():
    head = build_head().eval()
    frame_tokens = torch.randn(4, 3, 4, 16)  # 2 samples x 2 clips
    _, attention = head(frame_tokens)
    predictions = head.predict(
        torch.randn(4, 3, 16),
        labelled_samples(range(2)),
        frame_tokens=frame_tokens)
    assert predictions[0].pred_score.shape == (6, )
    assert predictions[1].anchor_attention.shape == (3, 3, 4)
    torch.testing.assert_close(predictions[1].anchor_attention,
                               attention[2:].mean(0))
    torch.testing.assert_close(predictions[1].anchor_attention.sum((1, 2)),
                               torch.ones(3))
    head = build_head(average_clips=None).eval()
    predictions = head.predict(
        torch.randn(4, 3, 16),
        labelled_samples(range(2)),
        frame_tokens=frame_tokens)
    assert predictions[0].anchor_attention.shape == (2, 3, 3, 4)


def test_class_names_and_descriptions_are_checked(tmp_path):
    with pytest.raises(
            ValueError, match='num_classes=5 but class_names has 6 entries'):
        build_head(num_classes=5)
    with pytest.raises(
            ValueError, match='num_classes=6 but class_names has '
            '34 entries'):
        build_head(class_names=None)
    head = build_head(num_classes=34, class_names=None)
    assert len(head.class_names) == 34
    assert head.text_encoder().shape == (34, 16)
    path = tmp_path / 'some.json'
    path.write_text(
        json.dumps({name: 'The driver moves.'
                    for name in CLASSES[:4]}))
    with pytest.raises(
            ValueError,
            match=r"some\.json has no description for 2 classes: "
            r"\['drinking', 'sitting_still'\]"):
        build_head(label_descriptions=str(path))
    with pytest.raises(ValueError, match=r"must not set \['out_channels'\]"):
        build_head(
            text_encoder=dict(type='BagOfWordsTextEncoder', out_channels=8))
    with pytest.raises(ValueError, match='num_heads=3 must divide'):
        build_head(num_heads=3)


def test_gradients_reach_experts_anchors_and_text_encoder():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MoMERecognizer',
            backbone=TINY_EXPERT,
            modalities=MODALITIES,
            cls_head=dict(
                type='AnchorSemanticHead',
                num_classes=6,
                in_channels=64,
                num_experts=3,
                num_frames=4,
                num_anchors=2,
                hidden_channels=16,
                num_heads=2,
                class_names=CLASSES)))
    model.init_weights()
    inputs = {name: torch.randn(2, 1, 3, 4, 32, 32) for name in MODALITIES}
    losses = model(inputs, labelled_samples(range(2)), mode='loss')
    assert {'loss_cls', 'loss_semantic'} <= set(losses)
    total = sum(value for key, value in losses.items() if 'loss' in key)
    total.backward()
    for name, expert in model.backbone.experts.items():
        block = expert.transformer.resblocks[0]
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in block.parameters()), name
    head = model.cls_head
    assert head.anchors.grad.abs().sum() > 0
    assert head.text_encoder.word_embedding.weight.grad.abs().sum() > 0
    assert head.cross_attention.in_proj_weight.grad.abs().sum() > 0
