"""Memory of a MoME+HTL training step: activation checkpointing of the expert
blocks (``with_cp``) and the token tap's views, through the real recognizer.
"""
import copy
import torch

from tests.conftest import labelled_samples
from .test_mome_recognizer import TINY_MOME, build_model, make_inputs

HTL = dict(
    type='HTLLoss', num_blocks=2, alpha=0.01, beta=1.0, inter_reduction='mean')
BATCH, FRAMES, PATCHES, WIDTH, EXPERTS = 2, 4, 4, 64, 3


def saved_storage_bytes(compute) -> int:
    """Bytes of the distinct storages autograd keeps for backward."""
    saved = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        result = compute()
    return sum(saved.values()), result


def loss_of(model, inputs, samples):
    losses = model(inputs, samples, mode='loss')
    return sum(value for key, value in losses.items()
               if key.startswith('loss'))


def test_checkpointed_experts_give_the_same_losses_and_gradients():
    """HTL on, training mode (dropout and drop path draw random numbers):
    recomputation replays them, so losses and every gradient match."""
    overrides = dict(
        htl_loss=HTL,
        backbone={
            **TINY_MOME['backbone'], 'backbone_drop_path_rate': 0.2
        })
    models = [
        build_model(**copy.deepcopy(overrides), with_cp=with_cp).train()
        for with_cp in (False, True)
    ]
    assert models[1].backbone.with_cp and not models[0].backbone.with_cp
    inputs, samples = make_inputs(), labelled_samples([0, 3])
    losses = []
    for model in models:
        torch.manual_seed(7)
        loss = loss_of(model, inputs, samples)
        loss.backward()
        losses.append(loss)
    torch.testing.assert_close(losses[1], losses[0])
    for (name, param), (_, reference) in zip(models[1].named_parameters(),
                                             models[0].named_parameters()):
        assert (param.grad is None) == (reference.grad is None), name
        if param.grad is not None:
            torch.testing.assert_close(param.grad, reference.grad, msg=name)


def test_checkpointing_keeps_less_for_backward_and_the_same_state():
    plain = build_model(htl_loss=HTL).train()
    checkpointed = build_model(htl_loss=HTL, with_cp=True).train()
    assert checkpointed.state_dict().keys() == plain.state_dict().keys()
    inputs, samples = make_inputs(), labelled_samples([0, 3])
    plain_bytes, _ = saved_storage_bytes(
        lambda: loss_of(plain, inputs, samples))
    cp_bytes, _ = saved_storage_bytes(
        lambda: loss_of(checkpointed, inputs, samples))
    assert cp_bytes < 0.8 * plain_bytes
    # The wrapper is bound per block: a deep copy runs its own blocks.
    clone = copy.deepcopy(checkpointed)
    block = clone.backbone.experts['rgb'].transformer.resblocks[0]
    assert block.forward.__self__ is block
    torch.testing.assert_close(
        loss_of(clone.eval(), inputs, samples),
        loss_of(checkpointed.eval(), inputs, samples))


def test_htl_through_the_tap_keeps_only_the_teachers_for_backward():
    """Through the real tap and recognizer, HTL adds to what MoME keeps for
    backward only the teachers' probabilities (ST and class token, one per
    expert) and the (B, N, N, C) expert differences of ``L_inter``: its
    student tokens are views of block outputs that autograd keeps anyway
    (one copy of a block's ST tokens per expert would be more)."""
    inputs, samples = make_inputs(), labelled_samples([0, 3])
    mome_bytes, _ = saved_storage_bytes(
        lambda: loss_of(build_model().train(), inputs, samples))
    htl_bytes, _ = saved_storage_bytes(
        lambda: loss_of(build_model(htl_loss=HTL).train(), inputs, samples))
    float_bytes = 4
    teacher_probs = EXPERTS * BATCH * (FRAMES * PATCHES + 1) * WIDTH
    expert_differences = BATCH * EXPERTS * EXPERTS * WIDTH
    st_tokens_of_one_block = EXPERTS * BATCH * FRAMES * PATCHES * WIDTH
    extra = (htl_bytes - mome_bytes) / float_bytes
    assert teacher_probs <= extra
    assert extra < teacher_probs + expert_differences + (
        st_tokens_of_one_block / 2)
