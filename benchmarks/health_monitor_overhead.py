"""Step-time overhead of the training-health monitor (MoEHealthHook).

Training steps (``model.train_step``: forward, backward, AdamW step) of the
synthetic MoME + HTL model (``configs/synthetic/mome_htl_synthetic.py``:
3 tiny UniFormerV2 experts, 8 x 64 x 64, batch 8, no weights loaded) on
one batch held in memory, timed in turns in one process:

- ``plain``: no monitor;
- ``watched``: the monitor active on a step it does not check (49 of every
  50 at the default ``interval=50``: it only books the loss values);
- ``checked``: a step the monitor checks (gate and token figures of the
  batch, each expert's gradient norm at the optimizer step).

Printed: each variant's median and min, the mean paired ratio to
``plain`` and the monitor's cost per step averaged over ``--interval``
steps (``(49 watched + 1 checked) / 50`` at the default). Validation is
timed the same way (``val_step`` with and without the monitor's capture and
each expert's own classification).

Example::

    python benchmarks/health_monitor_overhead.py
"""
import argparse
import statistics
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.optim import build_optim_wrapper
from pathlib import Path
from tempfile import TemporaryDirectory
from timing import describe_stop, interleaved_until_stable
from types import SimpleNamespace

import mome_mmaction  # noqa: F401  (registers our models, fixes the stack)
from mome_mmaction.engine.hooks import MoEHealthHook

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / 'configs/synthetic/mome_htl_synthetic.py'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--interval', type=int, default=50)
    parser.add_argument('--tolerance', type=float, default=0.01)
    parser.add_argument('--budget', type=float, default=240.)
    args = parser.parse_args()
    torch.manual_seed(0)
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    backbone = cfg.model.backbone
    generator = torch.Generator().manual_seed(0)
    shape = (1, 3, backbone.t_size, backbone.input_resolution,
             backbone.input_resolution)
    batch = dict(
        inputs={
            name: [
                torch.randint(0, 256, shape, generator=generator).float()
                for _ in range(args.batch_size)
            ]
            for name in model.modalities
        },
        data_samples=[
            ActionDataSample().set_gt_label(index % 10)
            for index in range(args.batch_size)
        ])

    with TemporaryDirectory() as work_dir:
        runner = SimpleNamespace(
            model=model,
            optim_wrapper=optim_wrapper,
            message_hub=MessageHub.get_instance('health_overhead'),
            logger=MMLogger.get_instance('health_overhead'),
            work_dir=work_dir,
            epoch=0,
            iter=0)
        hook = MoEHealthHook(interval=args.interval)
        hook.before_run(runner)
        hook.before_train(runner)  # wraps optimizer.step (checked steps)

        def plain():
            return model.train_step(batch, optim_wrapper)

        def monitored_step(checked: bool):

            def step():
                runner.iter = args.interval - 1 if checked else 0
                hook.before_train_iter(runner, 0, batch)
                outputs = model.train_step(batch, optim_wrapper)
                hook.after_train_iter(runner, 0, batch, outputs)

            return step

        timing = interleaved_until_stable(
            dict(
                plain=plain,
                watched=monitored_step(False),
                checked=monitored_step(True)),
            baseline='plain',
            tolerance=args.tolerance,
            budget_s=args.budget)
        model.eval()

        def val_plain():
            return model.val_step(batch)

        def val_monitored():
            hook.before_val_epoch(runner)
            outputs = model.val_step(batch)
            hook.after_val_iter(runner, 0, batch, outputs)
            hook._stop_capture()

        val_timing = interleaved_until_stable(
            dict(plain=val_plain, monitored=val_monitored),
            baseline='plain',
            tolerance=args.tolerance,
            budget_s=args.budget / 2)

    print(f'MoEHealthHook overhead, {CONFIG.relative_to(REPO_ROOT)}, batch '
          f'{args.batch_size}, CPU threads {torch.get_num_threads()}')
    print(f'training steps: {describe_stop(timing, args.tolerance)}')
    for label, times in timing.times.items():
        ratio = timing.paired_ratios.get(label, 1.)
        print(f'  {label:8s} median {statistics.median(times):.4f} s, min '
              f'{min(times):.4f} s, paired ratio to plain {ratio:.4f}')
    per_step = ((args.interval - 1) * timing.paired_ratios['watched'] +
                timing.paired_ratios['checked']) / args.interval
    print(f'  monitor cost per step at interval {args.interval}: '
          f'{100 * (per_step - 1):+.2f}%')
    print(f'validation steps: {describe_stop(val_timing, args.tolerance)}')
    for label, times in val_timing.times.items():
        ratio = val_timing.paired_ratios.get(label, 1.)
        print(f'  {label:9s} median {statistics.median(times):.4f} s, '
              f'paired ratio to plain {ratio:.4f}')


if __name__ == '__main__':
    main()
