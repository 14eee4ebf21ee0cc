from mmaction.registry import HOOKS
from mmengine.config import Config
from pathlib import Path
from types import SimpleNamespace

import mome_mmaction  # noqa: F401


def fake_runner(num_batches: int) -> SimpleNamespace:
    loop = SimpleNamespace(dataloader=[None] * num_batches)
    return SimpleNamespace(val_loop=loop, test_loop=loop)


def test_bar_counts_every_batch_and_ends_its_line(capsys):
    hook = HOOKS.build(dict(type='EvalProgressBarHook'))
    runner = fake_runner(3)
    for before, after_iter, after_epoch in (
        (hook.before_val_epoch, hook.after_val_iter, hook.after_val_epoch),
        (hook.before_test_epoch, hook.after_test_iter, hook.after_test_epoch),
    ):
        before(runner)
        for batch_idx in range(3):
            after_iter(runner, batch_idx)
        after_epoch(runner, {})
        output = capsys.readouterr().out
        assert '0/3' in output and '3/3' in output
        assert output.endswith('\n')
        assert '4/3' not in output


def test_default_runtime_shows_the_bar():
    runtime = Config.fromfile(
        Path(__file__).parents[3] / 'configs/_base_/default_runtime.py')
    assert dict(type='EvalProgressBarHook') in runtime.custom_hooks
