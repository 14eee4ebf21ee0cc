"""Fusion strategies compared on the synthetic Drive&Act (CPU, minutes).

Usage: ``python benchmarks/fusion_accuracy.py [--splits 0 1 2] [--epochs N]
[--seeds 0 [1 ...]] [--data-root DIR] [--configs NAME ...] [--work-dir DIR]
[--reuse]``.
On the harder synthetic Drive&Act (``--preset hard`` of
tools/data/make_synthetic_driveact.py), every expert starting from the
pretrained tiny expert, trains each config under ``configs/synthetic/``
(single-modality experts, early fusion, late fusion (one- and two-stage),
input-gated MoE, MoME, MoME+MoDE, MoME+HTL (one- and two-stage),
interaction experts, RUS-guided MoE, asymmetric MoE and the anchor /
semantic head by default) with the same seed and
schedule through ``tools/train.py``, tests its best checkpoint on the test
split with ``tools/test.py``, and prints Top-1, Mean-1 (mean over the splits,
with the standard deviation when there are several), the mean gate weights, the
median training step time (data loading excluded; the median over the
splits) and its ratio to MoME's (the token voting gate).
The RUS-guided head needs a RUS file: it is estimated with
``tools/analysis/compute_temporal_rus.py`` from the experts of the
``mome_synthetic`` run of the same split, which is trained first if it is
not in the list. A two-stage config (``stage1_configs``, e.g.
``mome_htl_two_stage_synthetic``) starts its experts from the best
checkpoints of its stage-1 configs' runs of the same split (the single
experts, trained first if they are not in the list), as
``tools/train_two_stage.sh`` does. Generates the data if DIR does not
exist. ``single_<m>_scratch_synthetic`` trains an expert from scratch: next
to ``single_<m>_synthetic`` it measures what the pretraining gives.
``--paired A:B ...`` then prints, for each pair of configs, the difference
B - A in Top-1 and Mean-1 (mean over the splits) with a 95% paired-bootstrap
interval over the test clips (every split's clips resampled, the same draw
for both), from the test predictions each run dumps. With several
``--seeds``, seed N's runs go in ``WORK_DIR/seed<N>/`` and every figure is
the mean over the seeds (the standard deviation is over the splits' seed
means; the paired interval scores every seed on the same draw of clips,
so it covers the test clips' sampling, not the training noise: the column
``Top-1 diff per seed`` shows that, each seed's difference over the
splits).
``--paired-baseline-dir DIR`` reads each pair's A from another work dir of
the same seeds and splits (e.g. ``--paired late_fusion_synthetic:
late_fusion_synthetic`` for one config trained with two pretrained
experts).
"""
import argparse
import itertools
import json
import numpy as np
import statistics
import subprocess
import sys
from mmengine.config import Config
from pathlib import Path
from typing import Dict, List, Optional

import mome_mmaction  # noqa: F401
from mome_mmaction.datasets.synthetic import (SYNTHETIC_DRIVEACT_HARD,
                                              make_synthetic_driveact)
from mome_mmaction.evaluation import (best_checkpoint, newest_test_metrics,
                                      paired_bootstrap, seed_top1_differences,
                                      to_markdown)
from mome_mmaction.utils import load_pickle_safely

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Where the harder synthetic Drive&Act is read (and generated if absent).
DATA_ROOT = REPO_ROOT / 'data' / 'synthetic_driveact_hard'
DEFAULT_CONFIGS = ('single_rgb_synthetic', 'single_ir_synthetic',
                   'single_depth_synthetic', 'early_fusion_synthetic',
                   'late_fusion_synthetic', 'late_fusion_two_stage_synthetic',
                   'input_gated_moe_synthetic', 'mome_synthetic',
                   'mome_mode_synthetic', 'mome_htl_synthetic',
                   'mome_htl_two_stage_synthetic',
                   'interaction_experts_synthetic', 'rus_guided_moe_synthetic',
                   'asymmetric_moe_synthetic', 'anchor_semantic_synthetic')
#: The token voting gate: step-time ratios are relative to this config.
GATE_CONFIG = 'mome_synthetic'
#: Configs whose head reads a RUS file estimated from GATE_CONFIG's experts.
RUS_CONFIGS = ('rus_guided_moe_synthetic', )
MODALITIES = ('rgb', 'ir', 'depth')


def config_file(config: str) -> Path:
    return REPO_ROOT / 'configs' / 'synthetic' / f'{config}.py'


def ensure_synthetic_data(data_root: Path) -> None:
    """Generate the harder synthetic Drive&Act (seed 0) if it is absent."""
    if not data_root.exists():
        make_synthetic_driveact(data_root, seed=0, **SYNTHETIC_DRIVEACT_HARD)


def stage1_configs(config: str) -> Dict[str, str]:
    """``{modality: stage-1 config name}`` of a two-stage config, else {}."""
    stages = Config.fromfile(str(config_file(config))).get(
        'stage1_configs', None) or {}
    return {modality: Path(path).stem for modality, path in stages.items()}


def run(*args) -> None:
    """Run one of our tools quietly; its output is in its work dir."""
    subprocess.run([sys.executable, *map(str, args)],
                   cwd=REPO_ROOT,
                   check=True,
                   stdout=subprocess.DEVNULL)


def step_seconds(run_dir: Path) -> float:
    """Median logged training step time of a run, data loading excluded
    (decoding runs in the main process and would hide the model's cost)."""
    scalars = max(run_dir.glob('*/vis_data/scalars.json'))
    times = [
        record['time'] - record['data_time']
        for record in map(json.loads,
                          scalars.read_text().splitlines())
        if 'loss' in record and 'data_time' in record
    ]
    return statistics.median(times)


def run_results(run_dir: Path) -> Dict:
    """The newest test metrics of a run, its step time and best checkpoint."""
    metrics = newest_test_metrics(run_dir / 'test')
    metrics['step_seconds'] = step_seconds(run_dir)
    metrics['best'] = str(best_checkpoint(run_dir))
    return metrics


def train_and_test(config: str, run_dir: Path, options: List[str]) -> Dict:
    """Train and test one config; return :func:`run_results`."""
    run('tools/train.py', config_file(config), '--work-dir', run_dir,
        '--cfg-options', *options)
    run('tools/test.py', config_file(config), best_checkpoint(run_dir),
        '--work-dir', run_dir / 'test', '--dump',
        run_dir / 'test' / 'predictions.pkl', '--cfg-options', *options)
    return run_results(run_dir)


def predicted_labels(run_dir: Path) -> Dict[str, np.ndarray]:
    """Labels and predicted classes of a run's dumped test predictions."""
    dump = run_dir / 'test' / 'predictions.pkl'
    if not dump.is_file():
        raise FileNotFoundError(
            f'{dump} does not exist: the paired comparison needs the test '
            'predictions (runs of this script dump them; rerun without '
            '--reuse for an older run)')
    predictions = load_pickle_safely(str(dump))
    return dict(
        labels=np.array(
            [int(p['gt_label'].reshape(-1)[0]) for p in predictions]),
        predicted=np.array(
            [int(np.asarray(p['pred_score']).argmax()) for p in predictions]))


def paired_rows(pairs: List[str],
                split_dirs: List[List[Path]],
                baseline_split_dirs: Optional[List[List[Path]]] = None
                ) -> List[List[str]]:
    """Table rows of :func:`paired_bootstrap` for each ``A:B`` pair;
    ``split_dirs`` holds each split's run directories, one per seed. With
    ``baseline_split_dirs`` (the same layout), A's runs are read there."""
    several_seeds = len(split_dirs[0]) > 1
    rows = [['B - A', 'clips', 'Top-1 diff [95% CI]', 'Mean-1 diff [95% CI]'] +
            ['Top-1 diff per seed'] * several_seeds]
    baseline_split_dirs = baseline_split_dirs or split_dirs
    for pair in pairs:
        config_a, config_b = pair.split(':')
        splits = []
        for seed_dirs, baseline_dirs in zip(split_dirs, baseline_split_dirs):
            run_dirs = [
                run_dir
                for seed_dir, baseline_dir in zip(seed_dirs, baseline_dirs)
                for run_dir in (baseline_dir / config_a, seed_dir / config_b)
            ]
            runs = [predicted_labels(run_dir) for run_dir in run_dirs]
            for run_dir, run in zip(run_dirs, runs):
                if not np.array_equal(runs[0]['labels'], run['labels']):
                    raise ValueError(
                        f'{run_dir} was tested on other clips than '
                        f'{run_dirs[0]} (labels differ); pair runs of the '
                        'same split')
            splits.append(
                dict(
                    labels=runs[0]['labels'],
                    predicted_a=np.stack([r['predicted'] for r in runs[::2]]),
                    predicted_b=np.stack([r['predicted']
                                          for r in runs[1::2]])))
        diff = paired_bootstrap(splits)
        rows.append([
            f'{config_b} - {config_a}',
            str(diff['clips']),
            f'{100 * diff["top1_diff"]:+.2f} [{100 * diff["top1_low"]:+.2f}, '
            f'{100 * diff["top1_high"]:+.2f}]',
            f'{100 * diff["mean1_diff"]:+.2f} '
            f'[{100 * diff["mean1_low"]:+.2f}, '
            f'{100 * diff["mean1_high"]:+.2f}]'
        ] + [
            ' / '.join(f'{100 * seed_diff:+.2f}'
                       for seed_diff in seed_top1_differences(splits))
        ] * several_seeds)
    return rows


def split_means(results: List[Dict], key: str) -> List[float]:
    """Each split's mean of ``key`` over its seeds' runs."""
    splits = sorted({result['split'] for result in results})
    return [
        statistics.mean(r[key] for r in results if r['split'] == split)
        for split in splits
    ]


def mean_std(values: List[float]) -> str:
    """Percent mean, with the standard deviation over several splits."""
    mean = 100 * statistics.mean(values)
    if len(values) == 1:
        return f'{mean:.2f}'
    return f'{mean:.2f} ± {100 * statistics.stdev(values):.2f}'


def table_row(config: str, results: List[Dict],
              gate_step: Optional[float]) -> List[str]:
    step = statistics.median(result['step_seconds'] for result in results)
    row = [
        config,
        mean_std(split_means(results, 'acc/top1')),
        mean_std(split_means(results, 'acc/mean1'))
    ]
    for modality in MODALITIES:
        key = f'gate/{modality}'
        row.append(f'{statistics.mean(r[key] for r in results):.3f}' if key in
                   results[0] else '-')
    row += [f'{step:.3f}', f'{step / gate_step:.2f}x' if gate_step else '-']
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--configs', nargs='+', default=DEFAULT_CONFIGS)
    parser.add_argument('--splits', nargs='+', type=int, default=[0])
    parser.add_argument(
        '--epochs',
        type=int,
        help='training epochs (default: the configs\' schedule, 10)')
    parser.add_argument(
        '--seeds',
        '--seed',
        nargs='+',
        type=int,
        default=[0],
        help='training seeds; with several, seed N\'s runs go in '
        'WORK_DIR/seed<N>/ and every figure is their mean')
    parser.add_argument(
        '--workers',
        type=int,
        default=0,
        help='loader workers (not persistent) of every run; the synthetic '
        'configs\' SampleSeededSampler gives the same figures with any '
        'number (checked: identical logged losses with 0 and 2)')
    parser.add_argument(
        '--paired',
        nargs='+',
        default=[],
        metavar='A:B',
        help='config pairs for the paired-bootstrap difference B - A')
    parser.add_argument(
        '--paired-baseline-dir',
        type=Path,
        help='read the A side of --paired from this work dir (the same '
        'seeds and splits, e.g. the configs trained with another pretrained '
        'expert); B from --work-dir')
    parser.add_argument('--data-root', type=Path, default=DATA_ROOT)
    parser.add_argument(
        '--work-dir',
        type=Path,
        default=REPO_ROOT / 'work_dirs' / 'fusion_accuracy')
    parser.add_argument(
        '--reuse',
        action='store_true',
        help='take the results of runs the work dir already has tested '
        'instead of training them again (continues an interrupted run, or '
        'adds splits)')
    args = parser.parse_args()
    data_root = args.data_root.resolve()
    ensure_synthetic_data(data_root)
    configs = list(args.configs)
    if any(config in RUS_CONFIGS
           for config in configs) and (GATE_CONFIG not in configs):
        configs.insert(0, GATE_CONFIG)  # its experts give the RUS file
    stages = {config: stage1_configs(config) for config in configs}
    for stage1 in sorted(
        {name
         for names in stages.values()
         for name in names.values()}):
        if stage1 not in configs:  # trained before the two-stage configs
            configs.insert(0, stage1)
    results: Dict[str, List[Dict]] = {config: [] for config in configs}
    seed_dirs = {
        seed:
        args.work_dir.resolve() /
        (f'seed{seed}' if len(args.seeds) > 1 else '')
        for seed in args.seeds
    }
    for seed, split in itertools.product(args.seeds, args.splits):
        options = [f'randomness.seed={seed}'] + [
            f'{loader}.dataset.{key}={value}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')
            for key, value in (('data_root', data_root), ('split', split))
        ]
        if args.workers:
            options += [
                f'{loader}.num_workers={args.workers}'
                for loader in ('train_dataloader', 'val_dataloader',
                               'test_dataloader')
            ]
        if args.epochs:
            options += [
                f'train_cfg.max_epochs={args.epochs}',
                f'param_scheduler.0.end={args.epochs}'
            ]
        split_dir = seed_dirs[seed] / f'split{split}'
        label = f'seed {seed} split {split}' if len(
            args.seeds) > 1 else f'split {split}'
        for config in configs:
            run_dir = split_dir / config
            if args.reuse and list(run_dir.glob('test/*/*.json')):
                metrics = dict(run_results(run_dir), split=split)
                results[config].append(metrics)
                print(f'{label} {config}: reused {run_dir}')
                continue
            extra = []
            if config in RUS_CONFIGS:
                rus_file = run_dir / 'temporal_rus.npz'
                run('tools/analysis/compute_temporal_rus.py',
                    config_file(config), results[GATE_CONFIG][-1]['best'],
                    '--out', rus_file, '--cfg-options', *options)
                extra = [f'model.cls_head.rus_file={rus_file}']
            extra += [
                f'model.expert_checkpoints.{modality}='
                f'{results[stage1][-1]["best"]}'
                for modality, stage1 in stages.get(config, {}).items()
            ]
            metrics = dict(
                train_and_test(config, run_dir, options + extra), split=split)
            results[config].append(metrics)
            print(
                f'{label} {config}: Top-1 '
                f'{100 * metrics["acc/top1"]:.2f} Mean-1 '
                f'{100 * metrics["acc/mean1"]:.2f} step '
                f'{metrics["step_seconds"]:.3f} s',
                flush=True)
    gate_step = (
        statistics.median(r['step_seconds'] for r in results[GATE_CONFIG])
        if results.get(GATE_CONFIG) else None)
    rows = [['config', 'Top-1', 'Mean-1'] + [f'gate {m}' for m in MODALITIES] +
            ['s/step', f'step vs {GATE_CONFIG}']]
    rows += [
        table_row(config, results[config], gate_step) for config in configs
    ]
    epochs = args.epochs or 'the configs\' schedule of'
    print(f'\nsynthetic Drive&Act test split(s) '
          f'{",".join(map(str, args.splits))}, {epochs} epochs, seed(s) '
          f'{", ".join(map(str, args.seeds))}:\n' + to_markdown(rows))
    if args.paired:
        split_dirs = [[
            seed_dir / f'split{split}' for seed_dir in seed_dirs.values()
        ] for split in args.splits]
        baseline_split_dirs = None
        if args.paired_baseline_dir:
            baseline_split_dirs = [[
                args.paired_baseline_dir.resolve() /
                seed_dir.relative_to(args.work_dir.resolve()) / f'split{split}'
                for seed_dir in seed_dirs.values()
            ] for split in args.splits]
            print(f'\nA of each pair: {args.paired_baseline_dir}')
        print('\npaired differences, mean over the splits, 95% paired '
              'bootstrap over the test clips (2000 resamples):\n' +
              to_markdown(
                  paired_rows(args.paired, split_dirs, baseline_split_dirs)))


if __name__ == '__main__':
    main()
