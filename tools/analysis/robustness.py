"""Accuracy and gate weights with each sensor dropped or degraded.

Usage: ``python tools/analysis/robustness.py CONFIG CHECKPOINT
[--work-dir DIR] [--modalities rgb ir ...] [--failures drop darken ...]
[--cfg-options KEY=VALUE ...]``.
Tests CHECKPOINT clean and with each failure (``DropModality``: black
frames; ``DropModality(mask=True)``: the camera known to be offline, its
expert masked out of the gate; ``CorruptModality``: darken, noise,
occlusion) applied to one
modality at a time, then prints Top-1, Mean-1 and the mean gate weight per
modality for every case and writes ``robustness.csv`` / ``.md`` to the work
dir.
"""
import argparse
from mmaction.registry import MODELS
from pathlib import Path

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.evaluation import to_markdown, write_csv
from mome_mmaction.evaluation.robustness import (DEFAULT_FAILURES,
                                                 evaluate_case, failure_cases)
from mome_mmaction.utils.tool_config import (add_config_arguments,
                                             config_from_args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir', type=Path)
    parser.add_argument(
        '--modalities',
        nargs='+',
        help='modalities to fail (default: the model\'s)')
    parser.add_argument(
        '--failures',
        nargs='+',
        choices=[name for name, _ in DEFAULT_FAILURES],
        default=[name for name, _ in DEFAULT_FAILURES])
    args = parser.parse_args()
    cfg = config_from_args(args)
    modalities = args.modalities or list(cfg.model.get('modalities', []))
    if not modalities:
        parser.error(f'{args.config} has no model.modalities; pass '
                     '--modalities')
    work_dir = args.work_dir or Path('work_dirs') / Path(
        args.config).stem / 'robustness'
    failures = [(name, transform) for name, transform in DEFAULT_FAILURES
                if name in args.failures]
    head = cfg.model.get('cls_head', {}).get('type')
    if 'mask' in args.failures and not getattr(
            MODELS.get(head), 'accepts_modality_mask', False):
        print(f'[robustness] skipping the mask case: {head} cannot give an '
              'offline camera zero weight (only the gate heads can)')
        failures = [failure for failure in failures if failure[0] != 'mask']
    gate_modalities = list(cfg.model.get('modalities', []))
    rows = [['case', 'Top-1', 'Mean-1'] +
            [f'gate {m}' for m in gate_modalities]]
    for case, transform in failure_cases(modalities, failures):
        metrics = evaluate_case(cfg, args.checkpoint, str(work_dir),
                                'robustness_' + case, transform)
        rows.append([
            case, f'{100 * metrics["acc/top1"]:.2f}',
            f'{100 * metrics["acc/mean1"]:.2f}'
        ] + [f'{metrics[f"gate/{m}"]:.3f}' for m in gate_modalities])
    table = to_markdown(rows)
    print(table)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / 'robustness.md').write_text(table + '\n')
    write_csv(rows, work_dir / 'robustness.csv')
    print(
        f'wrote {work_dir / "robustness.md"} and {work_dir / "robustness.csv"}'
    )


if __name__ == '__main__':
    main()
