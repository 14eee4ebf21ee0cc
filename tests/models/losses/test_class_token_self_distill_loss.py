import copy
import math
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from pathlib import Path

import mome_mmaction  # noqa: F401

MODEL_CONFIG_DIR = Path(
    __file__).resolve().parents[3] / 'configs' / '_base_' / 'models'


def build_self_distill(**kwargs):
    cfg = dict(
        type='ClassTokenSelfDistillLoss',
        num_blocks=3,
        in_channels=8,
        num_classes=4)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def build_class_token_distill(**kwargs):
    cfg = dict(type='ClassTokenSelfDistillLoss', num_blocks=3)
    cfg.update(kwargs, target='class_token')
    return MODELS.build(cfg)


def kl_by_hand(teacher_logits, student_logits):
    """Batch mean of KL(softmax(teacher) || softmax(student)), K summed."""
    teacher_log_probs = torch.log_softmax(teacher_logits, dim=-1)
    student_log_probs = torch.log_softmax(student_logits, dim=-1)
    return (teacher_log_probs.exp() *
            (teacher_log_probs - student_log_probs)).sum(-1).mean()


def random_block_tokens(num_experts=2,
                        num_blocks=3,
                        batch_size=3,
                        channels=8,
                        requires_grad=False):
    generator = torch.Generator().manual_seed(0)
    return [[
        torch.randn(batch_size, channels,
                    generator=generator).requires_grad_(requires_grad)
        for _ in range(num_blocks)
    ] for _ in range(num_experts)]


# target='prediction' (Sultana et al.), the default


def test_prediction_is_the_default_and_needs_the_head_logits():
    self_distill = build_self_distill()
    assert self_distill.target == 'prediction'
    assert self_distill.requires_cls_scores is True
    assert self_distill.requires_st_tokens is False
    # One classifier per intermediate block of the single expert.
    assert len(self_distill.block_classifiers) == 1
    assert [(c.in_features, c.out_features)
            for c in self_distill.block_classifiers[0]] == [(8, 4), (8, 4)]


def test_prediction_by_hand():
    self_distill = build_self_distill(
        num_experts=2, loss_weight=0.5, temperature=2.)
    block_cls = random_block_tokens()
    cls_scores = torch.randn(3, 4, generator=torch.Generator().manual_seed(1))
    losses = self_distill(block_cls, None, None, cls_scores=cls_scores)
    assert list(losses) == ['loss_self_distill']
    terms = [
        kl_by_hand(cls_scores / 2.,
                   classifier(tokens) / 2.) for expert, classifiers in zip(
                       block_cls, self_distill.block_classifiers)
        for tokens, classifier in zip(expert[:-1], classifiers)
    ]
    assert len(terms) == 4  # 2 experts x 2 intermediate blocks
    expected = 0.5 * 2.**2 * torch.stack(terms).mean()
    torch.testing.assert_close(losses['loss_self_distill'], expected)


def test_prediction_two_class_case_by_hand():
    self_distill = build_self_distill(
        num_blocks=2, in_channels=1, num_classes=2)
    classifier = self_distill.block_classifiers[0][0]
    with torch.no_grad():
        classifier.weight.copy_(torch.tensor([[1.], [0.]]))
        classifier.bias.zero_()
    # Block logits = (token, 0): P_l = (1/2, 1/2), then (3/4, 1/4).
    tokens = torch.tensor([[0.], [math.log(3.)]])
    # Teacher: P = (3/4, 1/4), then (1/2, 1/2).
    cls_scores = torch.tensor([[math.log(3.), 0.], [0., 0.]])
    losses = self_distill([[tokens, torch.zeros(2, 1)]], cls_scores=cls_scores)
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    reverse_kl = 0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)
    assert losses['loss_self_distill'].item() == pytest.approx(
        (kl + reverse_kl) / 2)


def test_prediction_per_expert_logits_teach_their_expert():
    self_distill = build_self_distill(num_experts=2)
    block_cls = random_block_tokens()
    per_expert = torch.randn(3, 2, 4)
    losses = self_distill(block_cls, None, None, cls_scores=per_expert)
    terms = [
        kl_by_hand(per_expert[:, index], classifier(tokens))
        for index, (expert, classifiers) in enumerate(
            zip(block_cls, self_distill.block_classifiers))
        for tokens, classifier in zip(expert[:-1], classifiers)
    ]
    torch.testing.assert_close(losses['loss_self_distill'],
                               torch.stack(terms).mean())


def test_prediction_equal_to_the_teacher_gives_zero():
    self_distill = build_self_distill()
    cls_scores = torch.tensor([0.5, -1., 2., 0.])
    for classifier in self_distill.block_classifiers[0]:
        with torch.no_grad():
            classifier.weight.zero_()
            classifier.bias.copy_(cls_scores)
    losses = self_distill(
        random_block_tokens(num_experts=1), cls_scores=cls_scores.expand(3, 4))
    assert losses['loss_self_distill'].item() == pytest.approx(0., abs=1e-7)


@pytest.mark.parametrize('detach_teacher', [True, False])
def test_prediction_gradient_flow(detach_teacher):
    self_distill = build_self_distill(
        num_experts=2, detach_teacher=detach_teacher)
    block_cls = random_block_tokens(requires_grad=True)
    cls_scores = torch.randn(3, 4, requires_grad=True)
    self_distill(
        block_cls, cls_scores=cls_scores)['loss_self_distill'].backward()
    for blocks in block_cls:
        assert all(t.grad.abs().sum() > 0 for t in blocks[:-1])
        assert blocks[-1].grad is None  # the head's input teaches instead
    for classifier in self_distill.block_classifiers.modules():
        if isinstance(classifier, torch.nn.Linear):
            assert classifier.weight.grad.abs().sum() > 0
            assert classifier.bias.grad.abs().sum() > 0
    if detach_teacher:
        assert cls_scores.grad is None
    else:
        assert cls_scores.grad.abs().sum() > 0


def test_prediction_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match='needs in_channels .* num_classes'):
        MODELS.build(dict(type='ClassTokenSelfDistillLoss', num_blocks=3))
    with pytest.raises(ValueError, match='num_classes=None'):
        build_self_distill(num_classes=None)
    with pytest.raises(ValueError, match="one of .*'class_token'"):
        build_self_distill(target='labels')
    self_distill = build_self_distill(num_experts=2)
    block_cls = random_block_tokens()
    with pytest.raises(ValueError, match=r'needs cls_scores \(3, 4\)'):
        self_distill(block_cls, None, None)
    with pytest.raises(
            ValueError, match=r'\(3, 4\) or \(3, 2, 4\), got \(3, 5\)'):
        self_distill(block_cls, cls_scores=torch.randn(3, 5))
    with pytest.raises(ValueError, match=r'got \(3, 3, 4\)'):
        self_distill(block_cls, cls_scores=torch.randn(3, 3, 4))
    with pytest.raises(ValueError, match='has 1 experts, expected 2'):
        self_distill(block_cls[:1], cls_scores=torch.randn(3, 4))
    with pytest.raises(ValueError, match=r'must be \(B, 8\), got \(3, 6\)'):
        self_distill(
            random_block_tokens(channels=6), cls_scores=torch.randn(3, 4))


# target='class_token': HTL's class-token term alone


def test_class_token_two_class_case_by_hand():
    self_distill = build_class_token_distill(
        loss_weight=2., in_channels=768, num_classes=34)
    assert self_distill.requires_st_tokens is False
    assert self_distill.requires_cls_scores is False
    assert list(self_distill.parameters()) == []  # no classifier
    teacher = torch.tensor([[math.log(3.), 0.]])  # P_L = (3/4, 1/4)
    student = torch.zeros(1, 2)  # P_l = (1/2, 1/2)
    block_cls = [[student, teacher.clone(), teacher]]
    losses = self_distill(block_cls, None, None)
    assert list(losses) == ['loss_self_distill']
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    # Two student blocks (the second equals the teacher), one expert.
    assert losses['loss_self_distill'].item() == pytest.approx(2. * kl / 2)


def test_class_token_by_hand():
    self_distill = build_class_token_distill(temperature=3.)
    block_cls = random_block_tokens()
    losses = self_distill(block_cls, None, None)
    terms = [
        kl_by_hand(expert[-1] / 3., student / 3.) for expert in block_cls
        for student in expert[:-1]
    ]
    torch.testing.assert_close(losses['loss_self_distill'],
                               9. * torch.stack(terms).mean())


def test_class_token_temperature():
    self_distill = build_class_token_distill(num_blocks=2, temperature=2.)
    teacher = torch.tensor([[2 * math.log(3.), 0.]])
    losses = self_distill([[torch.zeros(1, 2), teacher]], None, None)
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert losses['loss_self_distill'].item() == pytest.approx(4. * kl)


def test_class_token_identical_tokens_give_zero():
    tokens = torch.randn(4, 16)
    block_cls = [[tokens.clone() for _ in range(3)] for _ in range(2)]
    losses = build_class_token_distill()(block_cls, None, None)
    assert losses['loss_self_distill'].item() == 0.


@pytest.mark.parametrize('detach_teacher', [True, False])
def test_class_token_gradient_flow(detach_teacher):
    block_cls = random_block_tokens(requires_grad=True)
    losses = build_class_token_distill(detach_teacher=detach_teacher)(
        block_cls, None, None, labels=torch.tensor([0, 1, 2]))
    losses['loss_self_distill'].backward()
    for blocks in block_cls:
        assert all(t.grad.abs().sum() > 0 for t in blocks[:-1])
        if detach_teacher:
            assert blocks[-1].grad is None
        else:
            assert blocks[-1].grad.abs().sum() > 0


def test_class_token_bad_inputs_raise_clear_errors():
    with pytest.raises(
            ValueError,
            match=r'block_cls_tokens\[0\] must be a '
            'list of num_blocks=3'):
        build_class_token_distill()([[torch.randn(2, 4)] * 2], None, None)
    with pytest.raises(ValueError, match='num_blocks >= 2'):
        build_class_token_distill(num_blocks=1)
    with pytest.raises(ValueError, match='temperature must be > 0'):
        build_class_token_distill(temperature=0.)


# In MoMERecognizer: the head's logits of the same pass teach the blocks


def build_tiny_recognizer(model_config='mome_uniformerv2_tiny.py',
                          modalities=('rgb', ),
                          head_dropout=0.):
    torch.manual_seed(0)
    cfg = copy.deepcopy(
        Config.fromfile(MODEL_CONFIG_DIR / model_config).model.to_dict())
    cfg['modalities'] = modalities
    cfg['cls_head'].update(
        num_experts=len(modalities), dropout_ratio=head_dropout)
    cfg['data_preprocessor']['preprocessors'] = {
        name: cfg['data_preprocessor']['preprocessors']['rgb']
        for name in modalities
    }
    cfg['htl_loss'] = dict(
        type='ClassTokenSelfDistillLoss',
        num_blocks=2,
        in_channels=64,
        num_classes=cfg['cls_head']['num_classes'],
        num_experts=len(modalities))
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def tiny_batch(modalities=('rgb', ), batch_size=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs = {
        name: [
            torch.randint(0, 256, (1, 3, 4, 32, 32),
                          generator=generator).float()
            for _ in range(batch_size)
        ]
        for name in modalities
    }
    samples = [
        ActionDataSample().set_gt_label(label % 4)
        for label in range(batch_size)
    ]
    return dict(inputs=inputs, data_samples=samples)


def record_cls_scores(model):
    """Wrap the token loss's forward to record what the recognizer passes."""
    calls = []
    loss_forward = model.htl_loss.forward

    def recording_forward(*args, **kwargs):
        calls.append(dict(expert_outputs=args[2], **kwargs))
        return loss_forward(*args, **kwargs)

    model.htl_loss.forward = recording_forward
    return calls


@pytest.mark.parametrize('model_config, modalities, logits_shape', [
    ('mome_uniformerv2_tiny.py', ('rgb', ), (4, 4)),
    ('mome_uniformerv2_tiny.py', ('rgb', 'ir', 'depth'), (4, 4)),
    ('late_fusion_uniformerv2_tiny.py', ('rgb', 'ir', 'depth'), (4, 3, 4)),
])
def test_recognizer_passes_exactly_the_head_logits(model_config, modalities,
                                                   logits_shape):
    model = build_tiny_recognizer(model_config, modalities)
    calls = record_cls_scores(model)
    head_calls = []
    model.cls_head.register_forward_hook(lambda *args: head_calls.append(args))
    batch = model.data_preprocessor(tiny_batch(modalities), training=True)
    losses = model(**batch, mode='loss')
    assert len(head_calls) == 1  # the head ran once
    assert torch.isfinite(losses['loss_self_distill'])
    assert losses['loss_self_distill'] > 0
    call, = calls
    assert call['cls_scores'].shape == logits_shape
    model.eval()
    with torch.no_grad():
        head_output = model.cls_head(call['expert_outputs'])
    expected = head_output[0] if isinstance(head_output,
                                            tuple) else head_output
    torch.testing.assert_close(call['cls_scores'], expected)


def test_self_distillation_trains_in_the_recognizer():
    model = build_tiny_recognizer(head_dropout=0.1)
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05))
    classifier = model.htl_loss.block_classifiers[0][0]
    before = classifier.weight.detach().clone()
    batch = tiny_batch()
    first = None
    for _ in range(5):
        log_vars = model.train_step(batch, optim_wrapper)
        assert torch.isfinite(log_vars['loss'])
        assert set(log_vars) >= {'loss_cls', 'loss_self_distill'}
        if first is None:
            first = log_vars['loss_self_distill']
    assert not torch.equal(before, classifier.weight)
    assert log_vars['loss_self_distill'] < first / 2
