"""The main job: data, training, testing and the gate report, in one command.

Usage: ``python tools/demo.py [CONFIG] [--work-dir DIR] [--cfg-options
KEY=VALUE ...] [train.py args]`` (``bash tools/demo.sh`` installs
everything first); ``--cfg-options`` go to training, testing and the gate
report alike. Default CONFIG:
``configs/synthetic/mome_demo_synthetic.py`` (MoME with per-expert
cross-entropy and a linear classifier, 6 epochs: the best recipe in
docs/training_health.md). Generates the synthetic
Drive&Act data the config reads if it is absent (the harder benchmark
data, ``--preset hard`` of tools/data/make_synthetic_driveact.py), trains
with ``tools/train.py``, tests the best checkpoint with ``tools/test.py
--dump``, writes the gate report (tables, plots, confusion matrix, gate
weights per sensing condition) for models with a gate, and prints Top-1,
Mean-1, the mean gate weight per modality and the table per sensing
condition, and the training-health monitor's verdict (``health.json``).
Everything goes to ``work_dirs/<config name>/``.
"""
import argparse
import json
import subprocess
import sys
from mmengine.config import Config, DictAction
from pathlib import Path
from typing import List

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.datasets.synthetic import (SYNTHETIC_DRIVEACT_HARD,
                                              make_motion_videos,
                                              make_synthetic_driveact)
from mome_mmaction.evaluation import best_checkpoint, newest_test_metrics

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = 'configs/synthetic/mome_demo_synthetic.py'
#: Data the demo configs read, and how to make it when absent.
GENERATED_DATA = {
    'data/synthetic_driveact_hard':
    lambda root: make_synthetic_driveact(
        root, seed=0, progress=True, **SYNTHETIC_DRIVEACT_HARD),
    'data/motion_videos':
    lambda root: make_motion_videos(root, seed=0),
}


def ensure_data(cfg: Config) -> None:
    """Generate the config's synthetic data if missing; else say what is."""
    dataset = cfg.train_dataloader.dataset
    data_root = dataset.get('data_root') or str(Path(dataset.ann_file).parent)
    if (REPO_ROOT / data_root).exists():  # an absolute data_root stays as is
        return
    if data_root not in GENERATED_DATA:
        raise FileNotFoundError(
            f'{data_root} does not exist; the demo generates only '
            f'{sorted(GENERATED_DATA)}. Put the real data there (README, '
            '"Reproducing the paper").')
    print(f'[demo] generating {data_root}', flush=True)
    GENERATED_DATA[data_root](REPO_ROOT / data_root)


def parse_cfg_options(cfg_options: List[str]) -> dict:
    """``['--cfg-options', 'k=v', ...]`` as the dict tools/train.py merges."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(cfg_options).cfg_options


def run(*args: str) -> None:
    """Run one of our tools; stop the demo if it fails."""
    command = [sys.executable, *args]
    print('[demo] ' + ' '.join(command), flush=True)
    subprocess.run(command, cwd=REPO_ROOT, check=True)


def print_health_verdict(health_file: Path) -> None:
    """The training-health monitor's verdict (MoEHealthHook's
    health.json): its warnings, or the last validation's figures."""
    if not health_file.is_file():
        return
    health = json.loads(health_file.read_text())
    for warning in health['warnings']:
        print(f'[demo] {warning["message"]}')
    if health['validations'] and not health['warnings']:
        last = health['validations'][-1]
        experts = ', '.join(f'{key[len("expert_top1_"):]} '
                            f'{100 * value:.1f}'
                            for key, value in last.items()
                            if key.startswith('expert_top1_'))
        print('[demo] MoE health: no collapse (last validation: normalized '
              f'gate entropy {last.get("gate_entropy", float("nan")):.3f}; '
              f'each expert alone, Top-1 {experts})')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--work-dir', type=Path)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='KEY=VALUE overrides, as in tools/train.py')
    args, train_args = parser.parse_known_args()
    cfg = Config.fromfile(REPO_ROOT / args.config)
    cfg_options = ['--cfg-options', *args.cfg_options
                   ] if args.cfg_options else []
    cfg.merge_from_dict(parse_cfg_options(cfg_options))
    work_dir = args.work_dir or Path('work_dirs') / Path(args.config).stem
    ensure_data(cfg)
    run('tools/train.py', args.config, '--work-dir', str(work_dir),
        *train_args, *cfg_options)
    best = best_checkpoint(REPO_ROOT / work_dir)
    test_dir = work_dir / 'test'
    dump = test_dir / 'predictions.pkl'
    run('tools/test.py', args.config, str(best), '--work-dir', str(test_dir),
        '--dump', str(dump), *cfg_options)
    metrics = newest_test_metrics(REPO_ROOT / test_dir)
    modalities = cfg.model.get('modalities') or ()
    if any(f'gate/{m}' in metrics for m in modalities):
        run('tools/analysis/gate_report.py', args.config, str(dump), '--out',
            str(work_dir / 'gate_report'), *cfg_options)
    print(f'\n[demo] {args.config}, best checkpoint {best.name}, test split:')
    print(f'[demo] Top-1 {100 * metrics["acc/top1"]:.2f}  '
          f'Mean-1 {100 * metrics["acc/mean1"]:.2f}')
    for modality in modalities:
        if f'gate/{modality}' in metrics:
            print(f'[demo] mean gate weight {modality}: '
                  f'{metrics[f"gate/{modality}"]:.3f}')
    per_condition = REPO_ROOT / work_dir / 'gate_report' / (
        'gate_weights_per_condition.md')
    if per_condition.is_file():
        print('[demo] per sensing condition (test split):')
        print(per_condition.read_text(), end='')
    print_health_verdict(REPO_ROOT / work_dir / 'health.json')
    print(f'[demo] logs, checkpoints, plots: {work_dir}/')


if __name__ == '__main__':
    main()
