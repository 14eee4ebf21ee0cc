"""Collect per-split test metrics of runs and tabulate them."""
import csv
import statistics
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from .paper_results import PAPER_RESULTS, PaperResult
from .run_artefacts import newest_test_metrics

SPLITS = (0, 1, 2)
TOP1_KEY = 'acc/top1'
MEAN1_KEY = 'acc/mean1'


def read_split_metrics(split_dir: Path) -> Dict[str, float]:
    """Top-1 and Mean-1 (in %) of the newest test of one split's work dir.

    ``tools/test.py --work-dir SPLIT_DIR/test`` writes
    ``SPLIT_DIR/test/<timestamp>/<timestamp>.json``.

    Raises:
        FileNotFoundError: No test result under ``split_dir/test``.
        KeyError: The result lacks ``acc/top1`` or ``acc/mean1``.
    """
    metrics = newest_test_metrics(split_dir / 'test')
    missing = [key for key in (TOP1_KEY, MEAN1_KEY) if key not in metrics]
    if missing:
        raise KeyError(f'the newest test under {split_dir / "test"} has no '
                       f'{missing} (has '
                       f'{sorted(metrics)}); evaluate with AccMetric')
    return dict(top1=100 * metrics[TOP1_KEY], mean1=100 * metrics[MEAN1_KEY])


def summarize_run(run_dir: Path) -> Dict:
    """Per-split metrics of a ``tools/run_splits.sh`` work dir, mean and std.

    Splits that were not run (no ``split<k>`` folder) are left out; a split
    folder without a test result is an error.
    """
    per_split = {
        split: read_split_metrics(run_dir / f'split{split}')
        for split in SPLITS if (run_dir / f'split{split}').is_dir()
    }
    if not per_split:
        raise FileNotFoundError(
            f'{run_dir} has none of split0/ split1/ split2/ '
            '(made by tools/run_splits.sh)')
    summary = dict(name=run_dir.name, splits=per_split)
    for metric in ('top1', 'mean1'):
        values = [metrics[metric] for metrics in per_split.values()]
        summary[metric] = statistics.mean(values)
        summary[f'{metric}_std'] = (
            statistics.stdev(values) if len(values) > 1 else 0.)
    summary['paper'] = PAPER_RESULTS.get(run_dir.name)
    return summary


def _cell(value: Optional[float]) -> str:
    return '-' if value is None else f'{value:.2f}'


def report_rows(summaries: Sequence[Dict]) -> List[List[str]]:
    """Header plus one row per run: per-split, mean, std and paper figures."""
    header = ['run']
    for split in SPLITS:
        header += [f'split{split} Mean-1', f'split{split} Top-1']
    header += [
        'Mean-1', 'Mean-1 std', 'Top-1', 'Top-1 std', 'paper Mean-1',
        'paper Top-1', 'paper splits'
    ]
    rows = [header]
    for summary in summaries:
        row = [summary['name']]
        for split in SPLITS:
            metrics = summary['splits'].get(split, {})
            row += [_cell(metrics.get('mean1')), _cell(metrics.get('top1'))]
        paper: Optional[PaperResult] = summary['paper']
        row += [
            _cell(summary['mean1']),
            _cell(summary['mean1_std']),
            _cell(summary['top1']),
            _cell(summary['top1_std']),
            _cell(paper and paper.mean1),
            _cell(paper and paper.top1), paper.splits if paper else '-'
        ]
        rows.append(row)
    return rows


def to_markdown(rows: List[List[str]]) -> str:
    """A markdown table of ``rows`` (the first row is the header)."""
    lines = ['| ' + ' | '.join(row) + ' |' for row in rows]
    lines.insert(1, '|' + '---|' * len(rows[0]))
    return '\n'.join(lines)


def write_csv(rows: List[List[str]], path: Path) -> None:
    with open(path, 'w', newline='') as file:
        csv.writer(file).writerows(rows)
