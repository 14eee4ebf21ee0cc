import csv
import runpy
import sys
import time
from pathlib import Path

import decord
import pytest

from mome_mmaction.datasets import make_synthetic_driveact
from mome_mmaction.datasets.synthetic_driveact import (SYNTHETIC_VIEW_SIZES,
                                                       decode_instant)

TOOL = Path(
    __file__).parents[2] / 'tools' / 'data' / 'make_synthetic_driveact.py'
VIEWS = tuple(SYNTHETIC_VIEW_SIZES)


def _files(root):
    return sorted(
        path.relative_to(root) for path in root.rglob('*') if path.is_file())


def _participants(root, view, split, subset):
    path = (
        root / 'activities_3s' / view /
        f'midlevel.chunks_90.split_{split}.{subset}.csv')
    with open(path, newline='') as stream:
        return {int(row['participant_id']) for row in csv.DictReader(stream)}


def test_cli_writes_drive_and_act_layout_deterministically(
        tmp_path, monkeypatch):
    outputs = []
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        monkeypatch.setattr(sys, 'argv', [
            str(TOOL),
            str(tmp_path / name), '--seed',
            str(seed), '--annotations-per-class', '1'
        ])
        start = time.perf_counter()
        runpy.run_path(str(TOOL), run_name='__main__')
        assert time.perf_counter() - start < 10
        outputs.append(tmp_path / name)
    first, same, other = outputs
    files = _files(first)
    assert files == _files(same)
    for path in files:
        assert (first / path).read_bytes() == (same / path).read_bytes()
    assert any((first / path).read_bytes() != (other / path).read_bytes()
               for path in files if path.suffix == '.csv')
    expected_csvs = {
        Path('activities_3s', view,
             f'midlevel.chunks_90.split_{split}.{subset}.csv')
        for view in VIEWS
        for split in range(3)
        for subset in ('train', 'val', 'test')
    }
    assert expected_csvs <= set(files)
    videos = [path for path in files if path.suffix == '.mp4']
    assert len(videos) == 6 * 3
    assert Path('kinect_ir', 'vp1') in {path.parent for path in videos}
    assert all(path.name.endswith(f'.{path.parts[0]}.mp4') for path in videos)


def test_splits_are_by_participant(synthetic_driveact_root):
    root = synthetic_driveact_root
    tested = set()
    for split in range(3):
        subsets = {
            subset: _participants(root, 'kinect_color', split, subset)
            for subset in ('train', 'val', 'test')
        }
        assert len(subsets['train']) == 4
        assert not subsets['train'] & subsets['val']
        assert not subsets['train'] & subsets['test']
        assert not subsets['val'] & subsets['test']
        for view in VIEWS:
            assert _participants(root, view, split, 'train') == \
                subsets['train']
        tested |= subsets['test']
    assert tested == {2, 4, 6}


def test_views_have_own_frame_numbers_and_sizes(synthetic_driveact_root):
    root = synthetic_driveact_root
    video = sorted((root / 'kinect_color').rglob('*.mp4'))[0]
    stem = video.relative_to(
        root / 'kinect_color').as_posix()[:-len('.kinect_color.mp4')]
    first_frames = {}
    for view in VIEWS:
        reader = decord.VideoReader(str(root / view / f'{stem}.{view}.mp4'))
        frame = reader[0].asnumpy()
        assert frame.shape[:2] == SYNTHETIC_VIEW_SIZES[view]
        first_frames[view] = decode_instant(frame)
    # Colour starts first; IR and depth start recording later.
    assert first_frames['kinect_color'] == 0
    assert first_frames['kinect_ir'] > 0 and first_frames['kinect_depth'] > 0


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='no synthetic motion'):
        make_synthetic_driveact(tmp_path, classes=['drinking'])
    with pytest.raises(ValueError, match='num_participants'):
        make_synthetic_driveact(tmp_path, num_participants=2)


def test_progress_bar_counts_recordings(tmp_path, capsys):
    make_synthetic_driveact(
        tmp_path,
        num_participants=3,
        annotations_per_class=1,
        classes=['opening_laptop'],
        progress=True)
    output = capsys.readouterr().out
    assert '0/3' in output and '3/3' in output
