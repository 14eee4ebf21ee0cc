import csv
import pytest
import re
import runpy
import shutil
import sys
from pathlib import Path

TOOL = Path(__file__).parents[2] / 'tools' / 'data' / 'check_driveact.py'
CONFIG = Path(__file__).parents[2] / 'configs' / '_base_' / 'datasets' / \
    'synthetic_driveact.py'


def _run(monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', [str(TOOL), *map(str, args)])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(TOOL), run_name='__main__')
    return exit_info.value.code


def test_good_dataset_passes_and_prints_counts(synthetic_driveact_root,
                                               monkeypatch, capsys):
    code = _run(monkeypatch, synthetic_driveact_root, '--config', CONFIG,
                '--no-progress')
    out = capsys.readouterr().out
    assert code == 0
    assert f'{synthetic_driveact_root}: OK' in out
    header = out.splitlines()[[
        line.startswith('class') for line in out.splitlines()
    ].index(True)]
    assert header.split() == ['class'] + [
        f'split_{split}.{subset}' for split in range(3)
        for subset in ('train', 'val', 'test')
    ]
    assert 'looking_or_moving_around (e.g. searching)' in out


def test_bad_dataset_lists_every_error(synthetic_driveact_root, tmp_path,
                                       monkeypatch, capsys):
    root = tmp_path / 'bad'
    shutil.copytree(synthetic_driveact_root, root)
    ir_csv = (
        root / 'activities_3s' / 'kinect_ir' /
        'midlevel.chunks_90.split_1.val.csv')
    with open(ir_csv, newline='') as stream:
        rows = list(csv.reader(stream))
    rows[2][3], rows[2][4] = '2000', '2016'  # outside the video
    del rows[4]  # chunk missing from IR
    with open(ir_csv, 'w', newline='') as stream:
        csv.writer(stream).writerows(rows)
    missing = sorted((root / 'kinect_depth').rglob('*.mp4'))[0]
    missing.unlink()
    code = _run(monkeypatch, root, '--config', CONFIG, '--no-progress')
    err = capsys.readouterr().err
    assert code == 1
    assert f'{ir_csv} row 3: frames [2000, 2016) outside video' in err
    assert f'is missing from {ir_csv}' in err
    assert f'missing or unreadable video {missing}' in err


def test_view_report(synthetic_driveact_root, tmp_path, monkeypatch, capsys):
    """Rows, recordings, chunk lengths, CSV numbering against the videos,
    chunks a view lacks and labels outside the class list, per view."""
    from mome_mmaction.datasets.driveact_check import view_report
    root = tmp_path / 'report'
    shutil.copytree(synthetic_driveact_root, root)
    csvs = {
        view:
        root / 'activities_3s' / view / 'midlevel.chunks_90.split_0.train.csv'
        for view in ('kinect_color', 'kinect_ir', 'kinect_depth')
    }
    rows = {}
    for view, path in csvs.items():
        with open(path, newline='') as stream:
            rows[view] = list(csv.reader(stream))
    num_rows = len(rows['kinect_color']) - 1
    del rows['kinect_ir'][4]
    rows['kinect_depth'][2][5] = 'juggling'
    for view in ('kinect_ir', 'kinect_depth'):
        with open(csvs[view], 'w', newline='') as stream:
            csv.writer(stream).writerows(rows[view])
    report = view_report(str(root), splits=[0], subsets=['train'])
    paragraphs = {
        block.split(':')[0]: block
        for block in ('\n' + report).split('\nview ')[1:]
    }
    colour = paragraphs['kinect_color']
    assert f'split_0.train {num_rows} rows; {num_rows} chunks in 4 ' \
        'recordings' in colour  # 4 training participants
    lengths = [
        int(count) for count in re.findall(r'(?:\d+-\d+|>=\d+): (\d+)',
                                           colour.splitlines()[1])
    ]
    assert len(lengths) == 6
    assert sum(lengths) == num_rows
    assert 'video fps [15.0]' in colour
    assert 'chunks this view lacks: 0' in colour
    assert 'chunks this view lacks: 1 (1 of kinect_color, 1 of ' \
        'kinect_depth)' in paragraphs['kinect_ir']
    assert "labels outside the class list: 1 chunks {'juggling': 1}" in \
        paragraphs['kinect_depth']
    # The tool prints it.
    _run(monkeypatch, root, '--config', CONFIG, '--no-progress', '--splits', 0,
         '--subsets', 'train')
    assert 'view kinect_ir: split_0.train' in capsys.readouterr().out
