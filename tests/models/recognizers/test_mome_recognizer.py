import copy
import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.runner import save_checkpoint
from pathlib import Path
from torch import nn
from unittest import mock

import mome_mmaction  # noqa: F401
from tests.conftest import labelled_samples

MODEL_CONFIG_DIR = str(
    Path(__file__).resolve().parents[3] / 'configs' / '_base_' / 'models')

MODALITIES = ('rgb', 'ir', 'depth')
TINY_MOME = Config.fromfile(MODEL_CONFIG_DIR +
                            '/mome_uniformerv2_tiny.py').model.to_dict()
NUM_BLOCKS, WIDTH, FRAMES, PATCHES = 2, 64, 4, 4  # tiny: 32x32 / 16 -> 2x2


@MODELS.register_module(force=True)
class StandInTokenLoss(nn.Module):
    """Test stand-in for the HTL loss: records what it was called with."""

    def __init__(self, requires_st_tokens=True):
        super().__init__()
        self.requires_st_tokens = requires_st_tokens
        self.calls = []

    def forward(self, block_cls_tokens, block_st_tokens, expert_outputs,
                labels):
        self.calls.append(
            dict(
                block_cls_tokens=block_cls_tokens,
                block_st_tokens=block_st_tokens,
                expert_outputs=expert_outputs,
                labels=labels))
        loss = sum(
            t.pow(2).mean() for expert in block_cls_tokens for t in expert)
        if block_st_tokens is not None:
            loss = loss + sum(
                t.pow(2).mean() for expert in block_st_tokens for t in expert)
        return dict(
            loss_token=loss,
            token_blocks=torch.tensor(float(len(block_cls_tokens[0]))))


@MODELS.register_module(force=True)
class StandInLogitsTokenLoss(StandInTokenLoss):
    """Test stand-in for a token loss that asks for the head's logits."""

    requires_cls_scores = True

    def forward(self, block_cls_tokens, block_st_tokens, expert_outputs,
                labels, cls_scores):
        losses = super().forward(block_cls_tokens, block_st_tokens,
                                 expert_outputs, labels)
        self.calls[-1]['cls_scores'] = cls_scores
        losses['loss_token'] = losses['loss_token'] + cls_scores.pow(2).mean()
        return losses


def build_model(modalities=MODALITIES, **overrides):
    torch.manual_seed(0)
    cfg = copy.deepcopy(TINY_MOME)
    cfg['modalities'] = modalities
    cfg['cls_head']['num_experts'] = len(modalities)
    cfg['data_preprocessor']['preprocessors'] = {
        name: cfg['data_preprocessor']['preprocessors']['rgb']
        for name in modalities
    }
    cfg.update(overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_inputs(batch_size=2, num_clips=1, modalities=MODALITIES, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return {
        name:
        torch.randn(
            batch_size, num_clips, 3, FRAMES, 32, 32, generator=generator)
        for name in modalities
    }


def all_block_hooks(model):
    return [
        hook for expert in model.backbone.experts.values()
        for block in expert.transformer.resblocks
        for hook in block._forward_hooks.values()
    ]


def test_loss_predict_tensor_modes():
    model = build_model()
    losses = model(make_inputs(), labelled_samples([0, 3]), mode='loss')
    assert set(losses) == {'loss_cls', 'top1_acc', 'top5_acc', 'gate_entropy'}
    expert_outputs = model(make_inputs(), mode='tensor')
    assert expert_outputs.shape == (2, 3, WIDTH)
    logits, weights = model(make_inputs(), mode='tensor', stage='head')
    assert logits.shape == (2, 4) and weights.shape == (2, 3)
    model.eval()
    predictions = model(
        make_inputs(), labelled_samples([0, 3]), mode='predict')
    assert len(predictions) == 2
    for prediction in predictions:
        assert prediction.pred_score.shape == (4, )
        assert prediction.gate_weights.shape == (3, )
        torch.testing.assert_close(prediction.gate_weights.sum(),
                                   torch.tensor(1.))


def test_multi_clip_predictions_average_clips():
    model = build_model().eval()
    inputs = make_inputs(batch_size=2, num_clips=3)
    with torch.no_grad():
        predictions = model(inputs, labelled_samples([0, 1]), mode='predict')
        logits, weights = model(inputs, mode='tensor', stage='head')
    logits, weights = logits.view(2, 3, 4), weights.view(2, 3, 3)
    for index, prediction in enumerate(predictions):
        torch.testing.assert_close(prediction.pred_score,
                                   F.softmax(logits[index], 1).mean(0))
        torch.testing.assert_close(prediction.gate_weights,
                                   weights[index].mean(0))


def test_one_changed_input_reaches_the_gate_through_its_expert_only():
    model = build_model().eval()
    inputs = make_inputs()
    changed = dict(inputs, ir=inputs['ir'] * 4 + 1)
    with torch.no_grad():
        outputs = model(inputs, mode='tensor')
        changed_outputs = model(changed, mode='tensor')
        _, weights = model(inputs, mode='tensor', stage='head')
        _, changed_weights = model(changed, mode='tensor', stage='head')
        # The gate votes on the experts' output tokens, all of them at once.
        expected = F.softmax(model.cls_head.gate_scores(changed_outputs), 1)
    ir = model.modalities.index('ir')
    others = [index for index in range(3) if index != ir]
    torch.testing.assert_close(changed_outputs[:, others], outputs[:, others])
    assert (changed_outputs[:, ir] - outputs[:, ir]).abs().max() > 1e-3
    torch.testing.assert_close(changed_weights, expected)
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    assert (changed_weights - weights).abs().max() > 1e-5


def test_gradients_reach_every_expert_and_the_gate():
    model = build_model()
    losses = model(make_inputs(), labelled_samples([1, 2]), mode='loss')
    losses['loss_cls'].backward()
    for name, expert in model.backbone.experts.items():
        grads = [p.grad for p in expert.parameters()]
        assert all(grad is not None for grad in grads), name
        assert sum(grad.abs().sum() for grad in grads) > 0, name
        assert expert.conv1.weight.grad.abs().sum() > 0, name
    for name, param in model.cls_head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_token_loss_contract_and_hooks_removed():
    model = build_model(htl_loss=dict(type='StandInTokenLoss'))
    inputs = make_inputs(batch_size=2)
    losses = model(inputs, labelled_samples([2, 1]), mode='loss')
    assert set(losses) == {
        'loss_cls', 'top1_acc', 'top5_acc', 'gate_entropy', 'loss_token',
        'token_blocks'
    }
    assert all_block_hooks(model) == []
    call, = model.htl_loss.calls
    assert len(call['block_cls_tokens']) == len(call['block_st_tokens']) == 3
    for expert_cls, expert_st in zip(call['block_cls_tokens'],
                                     call['block_st_tokens']):
        assert [t.shape for t in expert_cls] == [(2, WIDTH)] * NUM_BLOCKS
        assert [t.shape for t in expert_st
                ] == [(2, FRAMES, PATCHES, WIDTH)] * NUM_BLOCKS
    assert call['expert_outputs'].shape == (2, 3, WIDTH)
    torch.testing.assert_close(call['labels'], torch.tensor([2, 1]))
    assert call['labels'].dtype == torch.long
    # The expert outputs are the gate's input: the final features.
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            model(inputs, mode='tensor'),
            model.backbone({
                n: x[:, 0]
                for n, x in inputs.items()
            }))
    # Gradients of the token loss reach every expert's blocks.
    losses['loss_token'].backward()
    for expert in model.backbone.experts.values():
        assert expert.transformer.resblocks[0].mlp.c_fc.weight.grad.abs().sum(
        ) > 0


def test_token_loss_without_st_tokens():
    model = build_model(
        htl_loss=dict(type='StandInTokenLoss', requires_st_tokens=False))
    model(make_inputs(batch_size=3), labelled_samples([3, 0, 1]), mode='loss')
    call, = model.htl_loss.calls
    assert call['block_st_tokens'] is None
    assert call['block_cls_tokens'][0][0].shape == (3, WIDTH)
    torch.testing.assert_close(call['labels'], torch.tensor([3, 0, 1]))


def test_token_loss_gets_the_head_logits_when_it_asks():
    head = copy.deepcopy(TINY_MOME['cls_head'])
    head['dropout_ratio'] = 0.
    model = build_model(
        htl_loss=dict(type='StandInLogitsTokenLoss'), cls_head=head)
    head_calls = []
    model.cls_head.register_forward_hook(lambda *args: head_calls.append(args))
    losses = model(make_inputs(), labelled_samples([2, 1]), mode='loss')
    assert len(head_calls) == 1  # the head ran once
    assert len(model.cls_head._forward_hooks) == 1  # ours only
    call, = model.htl_loss.calls
    assert call['cls_scores'].shape == (2, 4)
    assert call['cls_scores'].requires_grad
    model.eval()
    with torch.no_grad():
        logits, _ = model.cls_head(call['expert_outputs'])
    torch.testing.assert_close(call['cls_scores'], logits)
    losses['loss_token'].backward()
    assert model.cls_head.classifier[-1].weight.grad.abs().sum() > 0


def test_head_logits_need_a_head_loss_that_calls_forward():
    cfg = Config.fromfile(
        MODEL_CONFIG_DIR +
        '/interaction_experts_uniformerv2_tiny.py').model.to_dict()
    model = build_model(
        htl_loss=dict(type='StandInLogitsTokenLoss'), cls_head=cfg['cls_head'])
    with pytest.raises(
            RuntimeError,
            match='needs the logits of InteractionExpertsHead.*called '
            r'forward 0 times \(expected once\)'):
        model(make_inputs(), labelled_samples([0, 1]), mode='loss')
    assert len(model.cls_head._forward_hooks) == 0
    assert all_block_hooks(model) == []


def test_no_token_tap_without_token_loss():
    model = build_model()
    with mock.patch(
            'mome_mmaction.models.recognizers.mome_recognizer.TokenTap',
            side_effect=AssertionError('tapped without htl_loss')):
        model(make_inputs(), labelled_samples([0, 1]), mode='loss')
        model.eval()
        model(make_inputs(), labelled_samples([0, 1]), mode='predict')
    assert all_block_hooks(model) == []


def test_bad_input_keys_are_clear_errors():
    model = build_model()
    bad = make_inputs(modalities=('rgb', 'ir', 'thermal'))
    with pytest.raises(KeyError) as error:
        model(bad, labelled_samples([0, 1]), mode='loss')
    message = str(error.value)
    assert "['depth', 'ir', 'rgb']" in message
    assert "['ir', 'rgb', 'thermal']" in message
    with pytest.raises(KeyError, match="missing \\['depth'\\]"):
        model(make_inputs(modalities=('rgb', 'ir')), mode='tensor')
    with pytest.raises(ValueError, match='num_experts=3 but there are 2'):
        cfg = copy.deepcopy(TINY_MOME)
        cfg['modalities'] = ('rgb', 'ir')
        MODELS.build(cfg)
    with pytest.raises(AttributeError, match="'transformer.blocks' not found"):
        build_model(
            htl_loss=dict(type='StandInTokenLoss'),
            token_tap_path='transformer.blocks')


def test_single_modality():
    model = build_model(
        modalities=('ir', ), htl_loss=dict(type='StandInTokenLoss'))
    inputs = make_inputs(modalities=('ir', ))
    losses = model(inputs, labelled_samples([0, 1]), mode='loss')
    assert len(model.htl_loss.calls[0]['block_cls_tokens']) == 1
    assert torch.isfinite(losses['loss_cls'])
    model.eval()
    predictions = model(inputs, labelled_samples([0, 1]), mode='predict')
    torch.testing.assert_close(predictions[0].gate_weights, torch.ones(1))


def batch_for_train_step(batch_size=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs = {
        name: [
            torch.randint(0, 256, (1, 3, FRAMES, 32, 32),
                          generator=generator).float()
            for _ in range(batch_size)
        ]
        for name in MODALITIES
    }
    return dict(
        inputs=inputs, data_samples=labelled_samples(range(batch_size)))


def test_optimizer_steps_through_the_data_preprocessor():
    model = build_model(htl_loss=dict(type='StandInTokenLoss'))
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05))
    before = model.cls_head.gate[-1].bias.detach().clone()
    expert_before = model.backbone.experts['depth'].conv1.weight.detach(
    ).clone()
    for step in range(3):
        log_vars = model.train_step(
            batch_for_train_step(seed=step), optim_wrapper)
        assert set(log_vars) >= {'loss', 'loss_cls', 'loss_token'}
        assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(before, model.cls_head.gate[-1].bias)
    assert not torch.equal(expert_before,
                           model.backbone.experts['depth'].conv1.weight)
    assert all_block_hooks(model) == []


@pytest.mark.slow
def test_token_loss_under_ddp(tmp_path):
    dist.init_process_group(
        'gloo',
        init_method=f'file://{tmp_path / "store"}',
        rank=0,
        world_size=1)
    try:
        model = build_model(htl_loss=dict(type='StandInTokenLoss'))
        ddp_model = MMDistributedDataParallel(module=model)
        optim_wrapper = OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.05))
        for step in range(2):
            log_vars = ddp_model.train_step(
                batch_for_train_step(seed=step), optim_wrapper)
            assert torch.isfinite(log_vars['loss_token'])
        assert len(model.htl_loss.calls) == 2
        assert all_block_hooks(model) == []
    finally:
        dist.destroy_process_group()


def test_expert_checkpoints_from_recognizer3d_and_mome_files(tmp_path):
    """Stage 2: rgb from a Recognizer3D state dict (torch.save), ir from a
    single-expert MoME and depth from the depth expert of a 3-expert MoME
    (both saved by mmengine's save_checkpoint)."""
    torch.manual_seed(3)
    recognizer3d = MODELS.build(
        Config.fromfile(MODEL_CONFIG_DIR + '/uniformerv2_tiny.py').model)
    torch.save(
        dict(state_dict=recognizer3d.state_dict()), tmp_path / 'rgb.pth')
    single_ir = build_model(modalities=('ir', ))
    save_checkpoint(
        dict(state_dict=single_ir.state_dict()), str(tmp_path / 'ir.pth'))
    torch.manual_seed(4)
    three = MODELS.build(copy.deepcopy(TINY_MOME))
    save_checkpoint(
        dict(state_dict=three.state_dict()), str(tmp_path / 'mome.pth'))
    model = build_model(
        expert_checkpoints=dict(
            rgb=str(tmp_path / 'rgb.pth'),
            ir=str(tmp_path / 'ir.pth'),
            depth=str(tmp_path / 'mome.pth')))
    sources = dict(
        rgb=recognizer3d.backbone,
        ir=single_ir.backbone.experts['ir'],
        depth=three.backbone.experts['depth'])
    for name, source in sources.items():
        expert = model.backbone.experts[name].state_dict()
        for key, value in source.state_dict().items():
            assert torch.equal(expert[key], value), (name, key)
    assert not torch.equal(model.backbone.experts['rgb'].conv1.weight,
                           three.backbone.experts['rgb'].conv1.weight)


def masked_samples(labels, masks):
    samples = labelled_samples(labels)
    for sample, mask in zip(samples, masks):
        if mask is not None:
            sample.set_metainfo(dict(modality_mask=mask))
    return samples


def expert_calls(model):
    calls = {name: 0 for name in model.modalities}
    for name, expert in model.backbone.experts.items():

        def count(module, args, name=name):
            calls[name] += 1

        expert.register_forward_pre_hook(count)
    return calls


def test_modality_mask_from_samples_zeroes_the_gate_and_skips_experts():
    model = build_model().eval()
    calls = expert_calls(model)
    inputs = make_inputs(batch_size=2, num_clips=2)
    with torch.no_grad():
        # colour offline in both samples (dict form), IR in one (list form)
        predictions = model(
            inputs,
            masked_samples([0, 1], [dict(rgb=False), [False, False, True]]),
            mode='predict')
    assert calls == dict(rgb=0, ir=1, depth=1)  # rgb is never run
    assert predictions[0].gate_weights[0] == 0
    assert predictions[1].gate_weights.tolist() == [0, 0, 1]
    # Sample 0 does not depend on what the offline camera delivers.
    inputs['rgb'] = torch.full_like(inputs['rgb'], 1e6)
    with torch.no_grad():
        again = model(
            inputs,
            masked_samples([0, 1], [dict(rgb=False), None]),
            mode='predict')
    torch.testing.assert_close(again[0].pred_score, predictions[0].pred_score)
    assert calls == dict(rgb=1, ir=2, depth=2)  # sample 1's colour is on
    # No sample carries a mask: everything runs, as before.
    with torch.no_grad():
        model(inputs, labelled_samples([0, 1]), mode='predict')
    assert calls == dict(rgb=2, ir=3, depth=3)


def test_modality_mask_in_training_with_htl_still_taps_every_expert():
    model = build_model(htl_loss=dict(type='HTLLoss', num_blocks=NUM_BLOCKS))
    calls = expert_calls(model)
    losses = model(
        make_inputs(),
        masked_samples([0, 1],
                       [dict(rgb=False), dict(rgb=False)]),
        mode='loss')
    assert calls == dict(rgb=1, ir=1, depth=1)
    assert torch.isfinite(sum(v for k, v in losses.items() if 'loss' in k))


def test_bad_modality_masks_are_clear_errors():
    model = build_model().eval()
    with pytest.raises(ValueError, match=r"names \['lidar'\]"):
        model(
            make_inputs(),
            masked_samples([0, 1], [dict(lidar=False), None]),
            mode='predict')
    with pytest.raises(ValueError, match='has 2 values'):
        model(
            make_inputs(),
            masked_samples([0, 1], [[True, False], None]),
            mode='predict')
    with pytest.raises(ValueError, match=r'samples \[1\] without any online'):
        model(
            make_inputs(),
            masked_samples([0, 1], [None, [False, False, False]]),
            mode='predict')
    with pytest.raises(ValueError, match='1 rows for a batch of 2'):
        model.extract_feat(
            make_inputs(), modality_mask=torch.ones(1, 3, dtype=torch.bool))
    late = build_model(
        cls_head=dict(
            type='LateFusionHead',
            num_classes=4,
            in_channels=WIDTH,
            num_experts=3))
    with pytest.raises(ValueError, match='LateFusionHead cannot take'):
        late(
            make_inputs(),
            masked_samples([0, 1], [dict(ir=False), None]),
            mode='predict')
    # An all-online mask works with every head.
    late.eval()(
        make_inputs(),
        masked_samples([0, 1], [dict(ir=True), None]),
        mode='predict')


def test_htl_on_predictions_gets_the_shared_classifiers_expert_logits():
    head = copy.deepcopy(TINY_MOME['cls_head'])
    head['dropout_ratio'] = 0.
    model = build_model(
        htl_loss=dict(
            type='HTLLoss',
            num_blocks=NUM_BLOCKS,
            alpha=0.,
            inter_target='predictions'),
        cls_head=head)
    calls = []
    model.htl_loss.register_forward_pre_hook(
        lambda module, args, kwargs: calls.append((args, kwargs)),
        with_kwargs=True)
    losses = model(make_inputs(), labelled_samples([2, 1]), mode='loss')
    (_, _, expert_outputs), kwargs = calls[0]
    assert kwargs['expert_logits'].shape == (2, 3, 4)
    with torch.no_grad():
        torch.testing.assert_close(
            kwargs['expert_logits'],
            model.cls_head.expert_logits(expert_outputs))
        expected = model.htl_loss.inter_prediction_divergence(
            kwargs['expert_logits'])
    torch.testing.assert_close(losses['loss_htl_inter'], expected)
    losses['loss_htl_inter'].backward()
    assert model.cls_head.classifier[-1].weight.grad.abs().sum() > 0


@pytest.mark.parametrize('model_config, head_name',
                         [('late_fusion', 'LateFusionHead'),
                          ('interaction_experts', 'InteractionExpertsHead')])
def test_htl_on_predictions_needs_a_shared_classifier(model_config, head_name):
    """InteractionExpertsHead has an expert_logits too, of other
    arguments: refused by name as well, not failing inside it."""
    cfg = Config.fromfile(
        f'{MODEL_CONFIG_DIR}/{model_config}_uniformerv2_tiny.py').model
    model = build_model(
        htl_loss=dict(
            type='HTLLoss', num_blocks=NUM_BLOCKS, inter_target='predictions'),
        cls_head=cfg.to_dict()['cls_head'])
    with pytest.raises(TypeError, match=f'{head_name} has no expert_logits'):
        model(make_inputs(), labelled_samples([0, 1]), mode='loss')
