"""Fusion strategies compared on the synthetic Drive&Act (CPU, minutes).

Usage: ``python benchmarks/fusion_accuracy.py [--epochs N] [--data-root DIR]
[--configs NAME ...] [--work-dir DIR]``.
Trains each config under ``configs/synthetic/`` (single-modality experts,
early fusion, late fusion, input-gated MoE, MoME, MoME+HTL by default) with
the same seed and schedule through ``tools/train.py``, tests its best
checkpoint on the test split with ``tools/test.py``, and prints Top-1,
Mean-1 and mean gate weights per config, plus the markdown table.
Generates the data (``annotations_per_class=6``) if DIR does not exist.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import mome_mmaction  # noqa: F401
from mome_mmaction.datasets import make_synthetic_driveact
from mome_mmaction.evaluation import to_markdown

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIGS = ('single_rgb_synthetic', 'single_ir_synthetic',
                   'single_depth_synthetic', 'early_fusion_synthetic',
                   'late_fusion_synthetic', 'input_gated_moe_synthetic',
                   'mome_synthetic', 'mome_htl_synthetic')
MODALITIES = ('rgb', 'ir', 'depth')


def train_and_test(config: str, data_root: Path, work_dir: Path, epochs: int,
                   seed: int) -> dict:
    """Train and test one config; return the test metrics."""
    config_file = REPO_ROOT / 'configs' / 'synthetic' / f'{config}.py'
    options = [
        f'{loader}.dataset.data_root={data_root}'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    ] + [
        f'train_cfg.max_epochs={epochs}', f'param_scheduler.0.end={epochs}',
        f'randomness.seed={seed}'
    ]
    run_dir = work_dir / config
    subprocess.run([
        sys.executable, 'tools/train.py', config_file, '--work-dir', run_dir,
        '--cfg-options', *options
    ], cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    best = max(run_dir.glob('best_*.pth'), key=lambda p: p.stat().st_mtime)
    subprocess.run([
        sys.executable, 'tools/test.py', config_file, best, '--work-dir',
        run_dir / 'test', '--cfg-options', *options
    ], cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    return json.loads(max((run_dir / 'test').glob('*/*.json')).read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument('--epochs', type=int, default=6)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data-root', type=Path,
                        default=REPO_ROOT / 'data' / 'synthetic_driveact')
    parser.add_argument('--work-dir', type=Path,
                        default=REPO_ROOT / 'work_dirs' / 'fusion_accuracy')
    args = parser.parse_args()
    data_root = args.data_root.resolve()
    if not data_root.exists():
        make_synthetic_driveact(data_root, seed=0, annotations_per_class=6)
    rows = [['config', 'Top-1', 'Mean-1'] +
            [f'gate {m}' for m in MODALITIES]]
    for config in args.configs:
        metrics = train_and_test(config, data_root, args.work_dir.resolve(),
                                 args.epochs, args.seed)
        row = [config, f'{100 * metrics["acc/top1"]:.2f}',
               f'{100 * metrics["acc/mean1"]:.2f}']
        row += [f'{metrics[f"gate/{m}"]:.3f}' if f'gate/{m}' in metrics
                else '-' for m in MODALITIES]
        print(' | '.join(row), flush=True)
        rows.append(row)
    print(f'\nsynthetic Drive&Act test split, {args.epochs} epochs, seed '
          f'{args.seed}:\n' + to_markdown(rows))


if __name__ == '__main__':
    main()
