"""tools/data/make_motion_pretraining.py: the corpus from the command line."""
import pytest
import runpy
import sys
from pathlib import Path

from mome_mmaction.datasets.synthetic import MOTION_PRETRAINING_CLASSES

TOOL = Path(
    __file__).parents[2] / 'tools' / 'data' / 'make_motion_pretraining.py'


def _run(monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', [str(TOOL), *map(str, args)])
    runpy.run_path(str(TOOL), run_name='__main__')


def test_cli_writes_every_class_then_keeps_it(tmp_path, monkeypatch, capsys):
    args = (tmp_path, '--videos-per-class', 1, '--val-videos-per-class', 0)
    _run(monkeypatch, *args)
    lines = (tmp_path / 'train.txt').read_text().splitlines()
    assert lines[:2] == [
        'disc_right/train_0000.mp4 0', 'disc_left/train_0000.mp4 1'
    ]
    assert len(lines) == len(MOTION_PRETRAINING_CLASSES)
    assert (tmp_path / 'val.txt').read_text() == ''
    output = capsys.readouterr().out
    assert '72/72' in output
    _run(monkeypatch, *args)
    assert len(list((tmp_path / 'videos').rglob('*.mp4'))) == 72
    with pytest.raises(ValueError, match='motion_pretraining.json'):
        _run(monkeypatch, *args, '--frames', 12)
