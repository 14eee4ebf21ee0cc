"""The schedules' optimizers: what is and is not weight-decayed."""
import pytest
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from tests.conftest import REPO_ROOT

SCHEDULES = ('adamw_cosine_cpu_demo.py', 'driveact_adamw_cosine_100e.py')
NORMS = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm)


def group_value_by_name(model: nn.Module, optim_wrapper: dict,
                        key: str) -> dict:
    """``{parameter name: its optimizer group's value of key}``."""
    optimizer = build_optim_wrapper(model, optim_wrapper).optimizer
    names = {id(param): name for name, param in model.named_parameters()}
    return {
        names[id(param)]: group[key]
        for group in optimizer.param_groups
        for param in group['params']
    }


def weight_decay_by_name(model: nn.Module, schedule: str) -> dict:
    cfg = Config.fromfile(REPO_ROOT / 'configs/_base_/schedules' / schedule)
    return group_value_by_name(model, cfg.optim_wrapper, 'weight_decay')


def expected_without_decay(model: nn.Module) -> set:
    """Norm weights and biases, every bias, HTL's block-weight logits and
    the per-expert gate prior, from the modules themselves."""
    names = {
        f'{module_name}.{param_name}'.lstrip('.')
        for module_name, module in model.named_modules()
        if isinstance(module, NORMS)
        for param_name, _ in module.named_parameters(recurse=False)
    }
    for name, _ in model.named_parameters():
        if name.endswith('.bias') or name in ('htl_loss.block_weight_logits',
                                              'cls_head.expert_prior'):
            names.add(name)
    return names


@pytest.mark.parametrize('schedule', SCHEDULES)
@pytest.mark.parametrize('gate_type', ['joint', 'per_expert'])
def test_no_decay_exactly_on_norms_biases_block_weights_and_prior(
        schedule, gate_type):
    cfg = Config.fromfile(REPO_ROOT /
                          'configs/synthetic/mome_htl_synthetic.py')
    cfg.model.cls_head.gate_type = gate_type
    model = MODELS.build(cfg.model)
    decay = weight_decay_by_name(model, schedule)
    assert set(decay) == {name for name, _ in model.named_parameters()}
    without = {name for name, value in decay.items() if value == 0}
    assert without == expected_without_decay(model)
    assert 'htl_loss.block_weight_logits' in without
    assert ('cls_head.expert_prior' in without) == (gate_type == 'per_expert')
    assert 'cls_head.classifier.0.weight' not in without
    assert {value
            for name, value in decay.items() if name not in without} == {0.05}


def expert_fine_tuning(schedule: str) -> Config:
    """The schedule's optimizer with the experts at 0.1x the head's rate."""
    cfg = Config.fromfile(REPO_ROOT / 'configs/_base_/schedules' / schedule)
    cfg.optim_wrapper.constructor = 'LrMultOptimWrapperConstructor'
    cfg.optim_wrapper.paramwise_cfg.custom_keys['backbone.experts'] = dict(
        lr_mult=0.1)
    return cfg


@pytest.mark.parametrize('schedule', SCHEDULES)
def test_expert_lr_mult_keeps_the_exact_no_decay_sets(schedule):
    cfg = Config.fromfile(REPO_ROOT /
                          'configs/synthetic/mome_htl_synthetic.py')
    model = MODELS.build(cfg.model)
    optim_wrapper = expert_fine_tuning(schedule).optim_wrapper
    lr = group_value_by_name(model, optim_wrapper, 'lr')
    decay = group_value_by_name(model, optim_wrapper, 'weight_decay')
    base_lr = optim_wrapper.optimizer.lr
    assert set(lr) == {name for name, _ in model.named_parameters()}
    assert {name for name, value in decay.items() if value == 0} == \
        expected_without_decay(model)
    experts = {name for name in lr if name.startswith('backbone.experts.')}
    assert experts and all(lr[name] == pytest.approx(0.1 * base_lr)
                           for name in experts)
    assert {lr[name] for name in set(lr) - experts} == {base_lr}


def test_mmengine_alone_would_decay_the_experts_norms():
    """Why the constructor exists: mmengine's first matching custom key
    skips the norm and bias rules."""
    cfg = expert_fine_tuning('adamw_cosine_cpu_demo.py')
    cfg.optim_wrapper.pop('constructor')
    model = MODELS.build(
        Config.fromfile(REPO_ROOT /
                        'configs/synthetic/mome_htl_synthetic.py').model)
    decay = group_value_by_name(model, cfg.optim_wrapper, 'weight_decay')
    without = {name for name, value in decay.items() if value == 0}
    assert without != expected_without_decay(model)
    assert not any(name.startswith('backbone.experts.') for name in without)
