import pytest
import torch
from mmaction.registry import MODELS
from mmengine.runner.activation_checkpointing import \
    turn_on_activation_checkpointing

import mome_mmaction  # noqa: F401
from mome_mmaction.models.utils import (TokenTap, block_class_token,
                                        block_st_tokens)

# SYSTEM.md section 7: 64x64 input, 8 frames, 4 blocks -> 8 x 16 ST tokens.
TAP_EXPERT = dict(
    type='UniFormerV2',
    input_resolution=64,
    patch_size=16,
    width=64,
    layers=4,
    heads=2,
    t_size=8,
    dw_reduction=1.5,
    backbone_drop_path_rate=0.,
    temporal_downsample=False,
    no_lmhra=True,
    double_lmhra=True,
    return_list=[2, 3],
    n_layers=2,
    n_dim=64,
    n_head=2,
    mlp_factor=4.,
    drop_path_rate=0.,
    mlp_dropout=[0., 0.],
    clip_pretrained=False)


def build_expert(**overrides):
    torch.manual_seed(0)
    expert = MODELS.build({**TAP_EXPERT, **overrides})
    expert.init_weights()
    return expert.eval()


def raw_block_outputs(expert, clips):
    """Block outputs captured by plain hooks, as a reference."""
    outputs = []
    handles = [
        block.register_forward_hook(lambda m, a, out: outputs.append(out))
        for block in expert.transformer.resblocks
    ]
    expert(clips)
    for handle in handles:
        handle.remove()
    return outputs


def test_tapped_token_shapes_and_values():
    expert = build_expert()
    clips = torch.randn(2, 3, 8, 64, 64)
    with TokenTap(expert, 'transformer.resblocks') as tap:
        expert(clips)
    class_tokens, st_tokens = tap.class_tokens(), tap.st_tokens()
    assert len(class_tokens) == len(st_tokens) == 4
    for tokens in class_tokens:
        assert tokens.shape == (2, 64)
    for tokens in st_tokens:
        assert tokens.shape == (2, 8, 16, 64)

    reference = raw_block_outputs(expert, clips)
    for block, raw in enumerate(reference):
        assert raw.shape == (17, 2 * 8, 64)  # (1 + HW, B*T, C)
        # class token: frame-average of x[0]
        expected_cls = torch.stack(
            [raw[0, b * 8:(b + 1) * 8].mean(0) for b in range(2)])
        torch.testing.assert_close(class_tokens[block], expected_cls)
        # ST token [b, t, p]: sample b, frame t, patch p
        for b, t, p in [(0, 0, 0), (1, 3, 5), (1, 7, 15), (0, 5, 9)]:
            torch.testing.assert_close(st_tokens[block][b, t, p],
                                       raw[1 + p, b * 8 + t])


def test_tapped_tokens_are_views_of_the_block_outputs():
    """No token is copied: ST tokens and per-frame class tokens share
    storage with the block outputs autograd keeps anyway."""
    expert = build_expert()
    with TokenTap(expert, 'transformer.resblocks') as tap:
        outputs = raw_block_outputs(expert, torch.randn(2, 3, 8, 64, 64))
    assert len(outputs) == 4
    for output, st, frame_cls in zip(outputs, tap.st_tokens(),
                                     tap.frame_class_tokens()):
        storage = output.untyped_storage().data_ptr()
        assert st.untyped_storage().data_ptr() == storage
        assert frame_cls.untyped_storage().data_ptr() == storage
        assert st.data_ptr() == output[1].data_ptr()  # starts at patch 0


def test_token_functions_reject_bad_layout():
    with pytest.raises(ValueError, match=r'\(1 \+ HW, B\*T, C\)'):
        block_class_token(torch.zeros(5, 6, 4), num_frames=4)
    with pytest.raises(ValueError, match='divisible'):
        block_st_tokens(torch.zeros(5, 6, 4), num_frames=4)


def test_hooks_removed_and_nothing_recorded_after_use():
    expert = build_expert()
    blocks = expert.transformer.resblocks
    assert all(not block._forward_hooks for block in blocks)
    with TokenTap(expert) as tap:
        assert tap.installed
        assert all(len(block._forward_hooks) == 1 for block in blocks)
        expert(torch.randn(1, 3, 8, 64, 64))
    assert not tap.installed
    assert all(not block._forward_hooks for block in blocks)
    first = tap.class_tokens()[0].clone()
    expert(torch.randn(1, 3, 8, 64, 64))  # not recorded any more
    torch.testing.assert_close(tap.class_tokens()[0], first)


def test_bad_path_and_missing_forward_are_clear_errors():
    expert = build_expert()
    with pytest.raises(AttributeError, match="'transformer.blocks' not found"):
        TokenTap(expert, 'transformer.blocks')
    with pytest.raises(AttributeError, match='expected a ModuleList'):
        TokenTap(expert, 'transformer.norm')
    tap = TokenTap(expert)
    with pytest.raises(RuntimeError, match=r'no output for blocks \[0, 1, 2'):
        tap.class_tokens()


def mmengine_checkpoint_warns():
    """mmengine's ``turn_on_activation_checkpointing`` calls
    ``torch.utils.checkpoint`` without ``use_reentrant`` (reentrant, torch's
    old default), which torch warns about on every call: expected here, where
    the tap is tested under that wrapper. Ours (``with_cp``) passes
    ``use_reentrant=False``."""
    return pytest.warns(UserWarning, match='use_reentrant parameter should')


def test_block_level_activation_checkpointing():
    """mmengine's per-block checkpointing: tokens recorded once, with grad."""
    reference_expert = build_expert()
    expert = build_expert()
    expert.train()
    reference_expert.train()
    turn_on_activation_checkpointing(
        expert, [f'transformer.resblocks.{i}' for i in range(4)])
    clips = torch.randn(2, 3, 8, 64, 64)
    with TokenTap(expert) as tap, mmengine_checkpoint_warns():
        features = expert(clips)
        tokens = tap.st_tokens()
        loss = features.sum() + sum(t.pow(2).mean() for t in tokens)
        loss.backward()
    assert len(tap.class_tokens()) == 4
    with TokenTap(reference_expert) as reference_tap:
        reference_features = reference_expert(clips)
    reference_loss = reference_features.sum() + sum(
        t.pow(2).mean() for t in reference_tap.st_tokens())
    reference_loss.backward()
    torch.testing.assert_close(loss, reference_loss)
    for (name, param), reference_param in zip(expert.named_parameters(),
                                              reference_expert.parameters()):
        if reference_param.grad is not None:
            torch.testing.assert_close(
                param.grad, reference_param.grad, msg=name)


def test_recomputation_while_tapped_does_not_duplicate_tokens():
    """Checkpointing a parent re-runs blocks (and hooks) in backward."""
    expert = build_expert()
    expert.train()
    calls = []
    expert.transformer.resblocks[0].register_forward_hook(
        lambda *args: calls.append(1))
    turn_on_activation_checkpointing(expert, ['transformer'])
    with TokenTap(expert) as tap, mmengine_checkpoint_warns():
        features = expert(torch.randn(1, 3, 8, 64, 64, requires_grad=True))
        recorded = tap.class_tokens()
        features.sum().backward()
        assert len(calls) == 2  # forward and recomputation
        assert len(tap.class_tokens()) == 4
        for before, after in zip(recorded, tap.class_tokens()):
            assert before is not after
            torch.testing.assert_close(before, after)


def test_num_frames_from_argument_or_error():
    block = torch.nn.Linear(4, 4)
    holder = torch.nn.Module()
    holder.blocks = torch.nn.ModuleList([block])
    with pytest.raises(ValueError, match='pass num_frames'):
        with TokenTap(holder, 'blocks'):
            block(torch.zeros(3, 2, 4))
    tap = TokenTap(holder, 'blocks', num_frames=2)
    with tap:
        block(torch.zeros(3, 2 * 2, 4))
    assert tap.class_tokens()[0].shape == (2, 4)
    assert tap.st_tokens()[0].shape == (2, 2, 2, 4)


def test_frame_class_tokens_average_to_class_tokens():
    expert = build_expert()
    with TokenTap(expert, 'transformer.resblocks') as tap:
        expert(torch.randn(2, 3, 8, 64, 64))
    frame_tokens, class_tokens = tap.frame_class_tokens(), tap.class_tokens()
    assert [tuple(t.shape) for t in frame_tokens] == [(2, 8, 64)] * 4
    for per_frame, averaged in zip(frame_tokens, class_tokens):
        torch.testing.assert_close(per_frame.mean(dim=1), averaged)
