import csv
import decord
import json
import numpy as np
import pytest
import runpy
import sys
import time
from pathlib import Path

from mome_mmaction.datasets.synthetic import make_synthetic_driveact
from mome_mmaction.datasets.synthetic.driveact import (
    CORRUPTIONS, INSTANT_BAND_ROWS, SYNTHETIC_DRIVEACT_HARD_CLASSES,
    SYNTHETIC_VIEW_SIZES, VIEW_FAILURES, chunk_condition, decode_instant)

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
        make_synthetic_driveact(tmp_path, classes=['writing'])
    with pytest.raises(ValueError, match='difficulty'):
        make_synthetic_driveact(tmp_path, difficulty=1.5)
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


@pytest.fixture(scope='module')
def hard_root(tmp_path_factory):
    """Harder data, every annotation failing somewhere (3 participants)."""
    root = tmp_path_factory.mktemp('synthetic_driveact_hard')
    make_synthetic_driveact(
        root,
        seed=0,
        num_participants=3,
        annotations_per_class=2,
        corrupt_prob=1.,
        difficulty=1.,
        classes=SYNTHETIC_DRIVEACT_HARD_CLASSES)
    return root


def _chunk_frames(root, meta, chunk, view):
    """(T, H, W) grey frames of a chunk in one view, the instant band cut."""
    delay = meta['recordings'][chunk['recording']]['delays'][view]
    reader = decord.VideoReader(
        str(root / view / f'{chunk["recording"]}.{view}.mp4'))
    start, end = chunk['instants']
    frames = reader.get_batch(list(range(start - delay, end - delay)))
    return frames.asnumpy()[:, INSTANT_BAND_ROWS:].mean(-1)


def test_hard_data_fails_each_camera_in_its_own_ways(hard_root):
    meta = json.loads((hard_root / 'synthetic_driveact.json').read_text())
    assert meta['difficulty'] == 1.
    kinds = set()
    for chunk in meta['chunks']:
        failures = chunk['failures']
        assert 1 <= len(failures) <= 2  # corrupt_prob 1; a view stays right
        for view, failure in failures.items():
            assert failure in VIEW_FAILURES[view] + ('replay', ), chunk
        if len(failures) == 2:
            assert set(failures.values()) == {'replay'}
        if 'replay' in failures.values():
            assert chunk['replayed_activity'] != chunk['activity']
            assert chunk['replayed_activity'] in meta['classes']
        assert chunk['condition'] == chunk_condition(chunk)
        kinds.add((len(failures), tuple(sorted(set(failures.values())))))
    assert {(2, ('replay', )), (1, ('replay', )), (1, ('freeze', )),
            (1, ('glare', )), (1, ('dropout', ))} <= kinds
    assert chunk_condition(dict(failures={})) == 'clean'
    assert chunk_condition(
        dict(failures=dict(kinect_color='replay', kinect_ir='replay'))
    ) == 'kinect_color+kinect_ir:replay'


def test_frozen_view_stops_moving_while_the_others_move(hard_root):
    meta = json.loads((hard_root / 'synthetic_driveact.json').read_text())
    frozen = [
        chunk for chunk in meta['chunks']
        if 'freeze' in chunk['failures'].values() and chunk['activity'] !=
        'sitting_still' and chunk['instants'][1] - chunk['instants'][0] >= 12
    ]
    assert frozen
    for chunk in frozen:
        view, = chunk['failures']
        other = next(v for v in VIEWS if v not in chunk['failures'])

        def motion(frames):
            # Largest change from the first frame, camera noise averaged
            # out over 4x4 cells.
            height, width = frames.shape[1:]
            cells = frames[:, :height // 4 * 4, :width // 4 * 4].reshape(
                len(frames), height // 4, 4, width // 4, 4).mean((2, 4))
            return np.abs(cells - cells[0]).max(axis=(1, 2)).max()

        still = motion(_chunk_frames(hard_root, meta, chunk, view))
        moving = motion(_chunk_frames(hard_root, meta, chunk, other))
        assert still < 0.5 * moving, (chunk, still, moving)


def test_glare_and_dropout_hide_what_the_view_shows(hard_root):
    meta = json.loads((hard_root / 'synthetic_driveact.json').read_text())
    for failure, view, check in (('glare', 'kinect_color', lambda f:
                                  (f > 240).mean() > 0.02),
                                 ('dropout', 'kinect_depth', lambda f:
                                  (f < 3).mean() > 0.3)):
        chunk = next(c for c in meta['chunks']
                     if c['failures'] == {view: failure})
        assert check(_chunk_frames(hard_root, meta, chunk, view)), failure
        clean_view = next(v for v in VIEWS if v != view)
        assert not check(_chunk_frames(hard_root, meta, chunk, clean_view))


def test_difficulty_zero_fails_one_view_dark_or_noisy(synthetic_driveact_root):
    meta = json.loads(
        (synthetic_driveact_root / 'synthetic_driveact.json').read_text())
    assert meta['difficulty'] == 0
    assert {chunk['condition'] for chunk in meta['chunks']} - {'clean'}
    for chunk in meta['chunks']:
        assert len(chunk['failures']) <= 1
        assert set(chunk['failures'].values()) <= set(CORRUPTIONS)
        assert chunk['corrupted_view'] == next(iter(chunk['failures']), None)


def test_cli_preset_hard_writes_the_benchmark_setting(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [
        str(TOOL),
        str(tmp_path), '--preset', 'hard', '--participants', '3',
        '--annotations-per-class', '1'
    ])
    runpy.run_path(str(TOOL), run_name='__main__')
    meta = json.loads((tmp_path / 'synthetic_driveact.json').read_text())
    assert meta["difficulty"] == 0.5
    assert meta['classes'] == list(SYNTHETIC_DRIVEACT_HARD_CLASSES)
    assert len(meta['chunks']) >= 3 * 10
