import math
import pytest
import torch
from mmaction.registry import OPTIM_WRAPPERS

import mome_mmaction  # noqa: F401
from tests.conftest import labelled_samples
from tests.models.recognizers.test_mome_recognizer import (build_model,
                                                           make_inputs)

HTL = dict(
    type='HTLLoss', num_blocks=2, alpha=0.01, beta=1.0, inter_reduction='mean')


def build_wrapper(model, **kwargs):
    return OPTIM_WRAPPERS.build(
        dict(
            type='AutocastOptimWrapper',
            optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3),
            clip_grad=dict(max_norm=20),
            **kwargs))


def test_bfloat16_training_steps_of_mome_htl_on_cpu_are_finite():
    model = build_model(htl_loss=HTL).train()
    wrapper = build_wrapper(model)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    linear_dtypes = set()
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.register_forward_hook(
                lambda module, args, output: linear_dtypes.add(output.dtype))
    for step in range(3):
        with wrapper.optim_context(model):
            losses = model(
                make_inputs(seed=step), labelled_samples([0, 3]), mode='loss')
        assert {'loss_cls', 'loss_htl_intra', 'loss_htl_inter'} <= set(losses)
        # HTL accumulates in float32 whatever its tokens' dtype.
        assert losses['loss_htl_intra'].dtype == torch.float32
        loss = sum(v for k, v in losses.items() if k.startswith('loss'))
        assert math.isfinite(float(loss))
        wrapper.update_params(loss)
    assert linear_dtypes == {torch.bfloat16}  # autocast was on
    for name, param in model.named_parameters():
        assert param.dtype == torch.float32, name
        assert torch.isfinite(param).all(), name
    assert any(not torch.equal(p, before[n])
               for n, p in model.named_parameters())


def test_float16_is_refused_with_the_way_to_get_it():
    model = build_model()
    with pytest.raises(ValueError, match='float16 needs a loss scaler'):
        build_wrapper(model, dtype='float16')
