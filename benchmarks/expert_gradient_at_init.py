"""Gradient norm that reaches each expert at the first training step.

For each synthetic config given, builds the model with its pretrained tiny
experts (``init_weights``), takes the first training batch of split 0 of the
harder synthetic Drive&Act (seed 0), runs one forward and backward pass and
prints the L2 norm of the gradient of each expert's parameters and of the
head's, and the losses. A head that passes the experts little gradient
(e.g. a two-layer MLP of small initial weights) leaves them to learn slowly
(docs/training_health.md).

Example::

    python benchmarks/expert_gradient_at_init.py late_fusion_synthetic \\
        mome_expert_loss_synthetic \\
        mome_expert_loss_linear_classifier_synthetic
"""
import argparse
import torch
from fusion_accuracy import DATA_ROOT, config_file, ensure_synthetic_data
from mmengine.config import Config
from mmengine.runner import Runner
from pathlib import Path
from typing import Dict

import mome_mmaction  # noqa: F401
from mome_mmaction.engine.hooks.moe_health_hook import gradient_norm
from mome_mmaction.evaluation import to_markdown

REPO_ROOT = Path(__file__).resolve().parents[1]


def gradient_norms(config: str, data_root: Path,
                   work_dir: Path) -> Dict[str, float]:
    """Gradient norm per expert and for the head (and HTL's block weights),
    and the losses, after one forward and backward pass on the first
    training batch."""
    cfg = Config.fromfile(str(config_file(config)))
    cfg.work_dir = str(work_dir / config)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(data_root)
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    runner = Runner.from_cfg(cfg)
    model = runner.model
    model.init_weights()
    model.train()
    torch.manual_seed(0)
    data = model.data_preprocessor(next(iter(runner.train_dataloader)), True)
    losses = model(**data, mode='loss')
    model.parse_losses(losses)[0].backward()
    modules = dict(model.backbone.experts.items())
    modules.update((name, child) for name, child in model.named_children()
                   if name != 'backbone')
    result = {
        name: float(gradient_norm(module))
        for name, module in modules.items()
        if any(param.grad is not None for param in module.parameters())
    }
    result.update({
        key: float(value)
        for key, value in losses.items() if key.startswith('loss')
    })
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--data-root', type=Path, default=DATA_ROOT)
    parser.add_argument(
        '--work-dir',
        type=Path,
        default=REPO_ROOT / 'work_dirs' / 'expert_gradient_at_init')
    args = parser.parse_args()
    ensure_synthetic_data(args.data_root)
    results = {
        config: gradient_norms(config, args.data_root, args.work_dir)
        for config in args.configs
    }
    columns = sorted({key
                      for result in results.values()
                      for key in result},
                     key=lambda key: (key.startswith('loss'), key))
    rows = [['config'] + columns]
    rows += [
        [config] +
        [f'{result[key]:.4f}' if key in result else '-' for key in columns]
        for config, result in results.items()
    ]
    print('gradient L2 norm at the first step (experts, head) and losses:')
    print(to_markdown(rows))


if __name__ == '__main__':
    main()
