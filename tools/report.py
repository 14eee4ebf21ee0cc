"""Tabulate Top-1 / Mean-1 of 3-split runs next to the paper's figures.

Usage: ``python tools/report.py WORK_DIR [WORK_DIR ...] [--out PREFIX]``.
Each WORK_DIR is made by ``tools/run_splits.sh`` (``split{0,1,2}/test/``);
its folder name is the config name, which selects the paper row. Prints a
markdown table and writes ``PREFIX.md`` and ``PREFIX.csv``.

Mean-1 is MMAction2's ``acc/mean1``: the mean accuracy over the classes
present in the test labels of a split. Std is the sample standard deviation
over the splits run.
"""
import argparse
from pathlib import Path

from mome_mmaction.evaluation import (report_rows, summarize_run, to_markdown,
                                      write_csv)

DEFINITIONS = ('Mean-1: mean per-class accuracy over the classes present in '
               "each split's test labels (MMAction2 acc/mean1); Top-1: "
               'overall accuracy; both in %, std over splits (sample).')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+', type=Path)
    parser.add_argument(
        '--out',
        type=Path,
        help='write PREFIX.md and PREFIX.csv '
        '(default: report in the first work dir)')
    args = parser.parse_args()
    rows = report_rows([summarize_run(path) for path in args.work_dirs])
    table = to_markdown(rows)
    print(table)
    print(DEFINITIONS)
    prefix = args.out or args.work_dirs[0] / 'report'
    prefix.with_suffix('.md').write_text(f'{table}\n\n{DEFINITIONS}\n')
    write_csv(rows, prefix.with_suffix('.csv'))
    print(
        f'wrote {prefix.with_suffix(".md")} and {prefix.with_suffix(".csv")}')


if __name__ == '__main__':
    main()
