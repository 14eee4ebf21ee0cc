import math
import pytest
import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import DataLoader

import mome_mmaction  # noqa: F401
from mome_mmaction.engine.hooks import NonFiniteTrainingError

BATCHES_PER_EPOCH = 4


class ToyRegressor(BaseModel):
    """``mean(linear(x)^2)``; at forward call ``bad_call`` the loss is NaN
    (``bad='loss'``) or stays finite with a NaN gradient (``bad='grad'``)."""

    def __init__(self, bad_call: int = 0, bad: str = 'loss') -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.bad_call, self.bad, self.calls = bad_call, bad, 0

    def forward(self, inputs, data_samples=None, mode='loss'):
        self.calls += 1
        loss = self.linear(inputs).pow(2).mean()
        if self.calls == self.bad_call and self.bad == 'loss':
            loss = loss * float('nan')
        elif self.calls == self.bad_call:
            # sqrt'(0) = inf: the loss is unchanged, its gradient is NaN.
            loss = loss + torch.sqrt(self.linear.weight.sum() * 0)
        return dict(loss=loss)


def toy_runner(tmp_path, model: BaseModel, *hooks) -> Runner:
    data = [dict(inputs=torch.full((2, ), float(i))) for i in range(8)]
    return Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=DataLoader(data, batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=list(hooks),
        experiment_name=tmp_path.name)


def weights(model: nn.Module):
    return {name: value.clone() for name, value in model.state_dict().items()}


class WeightsRecorder(Hook):
    """Records the model weights before each training iteration."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.history = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.history.append(weights(runner.model))


@pytest.mark.parametrize('bad, message', [
    ('loss', 'loss=nan'),
    ('grad', 'gradient norm nan (update not applied)'),
])
def test_stops_at_the_first_non_finite_step_without_applying_it(
        tmp_path, bad, message):
    model = ToyRegressor(bad_call=3, bad=bad)
    recorded = WeightsRecorder()
    runner = toy_runner(tmp_path, model,
                        HOOKS.build(dict(type='NonFiniteGuardHook')), recorded)
    with pytest.raises(NonFiniteTrainingError) as error:
        runner.train()
    assert 'iteration 3 (epoch 1, batch 3)' in str(error.value)
    assert message in str(error.value)
    # The weights are those before the bad step; no checkpoint was written.
    final = weights(model)
    for name, value in recorded.history[-1].items():
        assert torch.equal(final[name], value), name
        assert torch.isfinite(final[name]).all()
    assert not list(tmp_path.glob('*.pth'))


def test_skip_steps_counts_and_trains_on(tmp_path):
    model = ToyRegressor(bad_call=3)
    hook = HOOKS.build(dict(type='NonFiniteGuardHook', skip_steps=True))
    recorded = WeightsRecorder()
    runner = toy_runner(tmp_path, model, hook, recorded)
    runner.train()
    assert hook.skipped_steps == 1
    assert runner.message_hub.get_scalar(
        'train/non_finite_steps_skipped').current() == 1
    # Step 3 changed nothing; every other step did.
    history = recorded.history + [weights(model)]
    changed = [
        not torch.equal(before['linear.weight'], after['linear.weight'])
        for before, after in zip(history, history[1:])
    ]
    assert changed == [True, True, False
                       ] + [True] * (2 * BATCHES_PER_EPOCH - 3)
    assert (tmp_path / 'epoch_2.pth').is_file()


def test_a_checkpoint_of_non_finite_weights_is_never_written(tmp_path):
    model = ToyRegressor()
    runner = toy_runner(tmp_path, model,
                        HOOKS.build(dict(type='NonFiniteGuardHook')))
    with torch.no_grad():
        model.linear.bias.fill_(math.inf)
    with pytest.raises(
            NonFiniteTrainingError,
            match=r'1 weight tensors are not finite \(linear.bias'):
        runner.save_checkpoint(
            str(tmp_path),
            'epoch_1.pth',
            save_optimizer=False,
            save_param_scheduler=False)
    assert not (tmp_path / 'epoch_1.pth').exists()
