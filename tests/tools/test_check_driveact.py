import csv
import pytest
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
