import csv
import json
import pytest

from tests.conftest import run_tool


def fabricate_run(root, name, metrics_by_split):
    """A work dir laid out as tools/run_splits.sh leaves it."""
    for split, (top1, mean1) in metrics_by_split.items():
        for stamp, scale in (('20260101_000000', 0.5), ('20260102_000000',
                                                        1.0)):  # newest wins
            result = root / name / f'split{split}' / 'test' / stamp
            result.mkdir(parents=True)
            (result / f'{stamp}.json').write_text(
                json.dumps({
                    'acc/top1': top1 * scale,
                    'acc/top5': 1.0,
                    'acc/mean1': mean1 * scale
                }))
    return root / name


def test_report_table_against_paper(tmp_path):
    mome = fabricate_run(tmp_path, 'mome_htl_driveact', {
        0: (0.88, 0.74),
        1: (0.80, 0.70),
        2: (0.84, 0.78)
    })
    custom = fabricate_run(tmp_path, 'my_variant', {0: (0.50, 0.25)})
    out = tmp_path / 'table'
    result = run_tool(['tools/report.py', mome, custom, '--out', out],
                      cwd=tmp_path)
    assert '| mome_htl_driveact | 74.00 | 88.00 | 70.00 | 80.00 | 78.00 | ' \
        '84.00 | 74.00 | 4.00 | 84.00 | 4.00 | 73.82 | 83.94 | 0,1,2 |' \
        in result.stdout
    assert '| my_variant | 25.00 | 50.00 | - | - | - | - | 25.00 | 0.00 | ' \
        '50.00 | 0.00 | - | - | - |' in result.stdout
    assert 'acc/mean1' in result.stdout
    rows = list(csv.reader(open(out.with_suffix('.csv'))))
    assert rows[0][:3] == ['run', 'split0 Mean-1', 'split0 Top-1']
    assert rows[1][-3:] == ['73.82', '83.94', '0,1,2']
    assert out.with_suffix('.md').read_text().startswith('| run |')


def test_split_without_result_is_an_error(tmp_path):
    from mome_mmaction.evaluation import summarize_run
    (tmp_path / 'run' / 'split1' / 'test').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='split1'):
        summarize_run(tmp_path / 'run')
    with pytest.raises(FileNotFoundError, match='split0/ split1/ split2/'):
        summarize_run(tmp_path / 'empty')
