"""The generic synthetic motion pretraining corpus."""
import decord
import json
import numpy as np
import pytest

from mome_mmaction.datasets.synthetic import (MOTION_PRETRAINING_CLASSES,
                                              make_motion_pretraining,
                                              render_motion_clip,
                                              time_reversed_class)
from mome_mmaction.datasets.synthetic.motion_pretraining import (MANIFEST_NAME,
                                                                 MOTIONS,
                                                                 SHAPES,
                                                                 _trajectory)

#: A handful of classes: two time-reversed pairs of two shapes.
CLASSES = ('disc_right', 'disc_left', 'ring_clockwise', 'ring_anticlockwise')


def _files(root):
    return sorted(
        path.relative_to(root) for path in root.rglob('*') if path.is_file())


def _make(root, **kwargs):
    args = dict(videos_per_class=2, val_videos_per_class=1, classes=CLASSES)
    return make_motion_pretraining(root, **dict(args, **kwargs))


def test_class_table_is_shape_by_motion_with_time_reversed_pairs():
    assert len(MOTION_PRETRAINING_CLASSES) == len(SHAPES) * len(MOTIONS)
    assert len(MOTION_PRETRAINING_CLASSES) >= 50
    assert len(
        set(MOTION_PRETRAINING_CLASSES)) == len(MOTION_PRETRAINING_CLASSES)
    for name in MOTION_PRETRAINING_CLASSES:
        reverse = time_reversed_class(name)
        assert reverse != name and reverse in MOTION_PRETRAINING_CLASSES
        assert time_reversed_class(reverse) == name
    assert time_reversed_class('cross_approach') == 'cross_recede'
    assert time_reversed_class('bar_zigzag_left') == 'bar_zigzag_right'
    with pytest.raises(ValueError, match='unknown motion pretraining class'):
        time_reversed_class('disc_sideways')


@pytest.mark.parametrize('name', ['square_down', 'triangle_bounce_damped'])
def test_time_reversed_class_is_the_clip_played_backwards(name):
    """Same draws, opposite time: only temporal order tells them apart."""
    forwards = render_motion_clip(np.random.default_rng(5), name)
    backwards = render_motion_clip(
        np.random.default_rng(5), time_reversed_class(name))
    assert forwards.shape == (16, 64, 64, 3) and forwards.dtype == np.uint8
    np.testing.assert_array_equal(forwards[::-1], backwards)
    assert not np.array_equal(forwards, backwards)


def test_same_generator_same_frames_and_about_half_grey():
    greys = 0
    for seed, name in enumerate(MOTION_PRETRAINING_CLASSES):
        clip = render_motion_clip(np.random.default_rng(seed), name)
        np.testing.assert_array_equal(
            clip, render_motion_clip(np.random.default_rng(seed), name))
        greys += bool((clip == clip[..., :1]).all())
    assert 0.3 < greys / len(MOTION_PRETRAINING_CLASSES) < 0.7


@pytest.mark.parametrize('size,num_frames', [(64, 16), (64, 2), (96, 40)])
def test_shape_stays_inside_the_frame(size, num_frames):
    for seed in range(20):
        for trajectory, _ in set(MOTIONS.values()):
            rng = np.random.default_rng(seed)
            radius = rng.uniform(0.11, 0.16) * size
            centre, radii = _trajectory(rng, trajectory, 2.4, radius, size,
                                        num_frames)
            assert centre.shape == (num_frames, 2), trajectory
            assert (centre - radii[:, None] >= 0).all(), trajectory
            assert (centre + radii[:, None] <= size).all(), trajectory


def test_writes_video_dataset_lists_and_decodable_clips(tmp_path):
    result = _make(tmp_path)
    assert (result['written'], result['skipped']) == (12, 0)
    for subset, count in (('train', 2), ('val', 1)):
        lines = (tmp_path / f'{subset}.txt').read_text().splitlines()
        assert len(lines) == count * len(CLASSES)
        for line in lines:
            relative, label = line.split(' ')
            assert relative.split('/')[0] == CLASSES[int(label)]
            assert relative.endswith('.mp4')
            assert (tmp_path / 'videos' / relative).is_file()
        assert {int(line.split(' ')[1])
                for line in lines} == set(range(len(CLASSES)))
    assert (tmp_path / 'classes.txt').read_text().splitlines() == list(CLASSES)
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert manifest['classes'] == list(CLASSES)
    assert (manifest['seed'], manifest['size'],
            manifest['num_frames']) == (0, 64, 16)
    reader = decord.VideoReader(
        str(tmp_path / 'videos' / 'disc_left' / 'val_0000.mp4'))
    assert len(reader) == 16
    assert reader[0].shape == (64, 64, 3)
    assert not list(tmp_path.rglob('*.partial.mp4'))


def test_same_arguments_same_bytes_other_seed_other_clips(tmp_path):
    _make(tmp_path / 'a', seed=3)
    _make(tmp_path / 'b', seed=3, workers=2)
    _make(tmp_path / 'c', seed=4)
    files = _files(tmp_path / 'a')
    assert files == _files(tmp_path / 'b') == _files(tmp_path / 'c')
    for path in files:
        same = (tmp_path / 'a' / path).read_bytes()
        assert same == (tmp_path / 'b' / path).read_bytes(), path
    clip = 'videos/disc_right/train_0000.mp4'
    assert ((tmp_path / 'a' / clip).read_bytes()
            != (tmp_path / 'c' / clip).read_bytes())


def test_rerun_keeps_complete_clips_and_writes_missing_ones(tmp_path):
    _make(tmp_path)
    videos = tmp_path / 'videos'
    kept = videos / 'ring_clockwise' / 'train_0001.mp4'
    missing = videos / 'disc_left' / 'train_0000.mp4'
    original = missing.read_bytes()
    kept_mtime = kept.stat().st_mtime_ns
    missing.unlink()
    (tmp_path / 'train.txt').write_text('stale\n')
    # An interrupted write leaves only a partial file, never the clip.
    (missing.parent / 'train_0000.partial.mp4').write_bytes(b'truncated')
    result = _make(tmp_path)
    assert (result['written'], result['skipped']) == (1, 11)
    assert missing.read_bytes() == original
    assert kept.stat().st_mtime_ns == kept_mtime
    assert (
        tmp_path /
        'train.txt').read_text().startswith('disc_right/train_0000.mp4 0\n')
    assert not list(tmp_path.rglob('*.partial.mp4'))


def test_rerun_with_other_arguments_is_refused(tmp_path):
    _make(tmp_path)
    before = _files(tmp_path)
    with pytest.raises(ValueError) as error:
        _make(tmp_path, videos_per_class=3, seed=1)
    message = str(error.value)
    assert str(tmp_path / MANIFEST_NAME) in message
    assert 'seed' in message and 'videos_per_class' in message
    assert 'val_videos_per_class' not in message
    assert _files(tmp_path) == before


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='size must be >= 64'):
        _make(tmp_path, size=48)
    with pytest.raises(ValueError, match='unknown motion pretraining class'):
        _make(tmp_path, classes=['disc_right', 'hexagon_up'])
    with pytest.raises(ValueError, match='distinct'):
        _make(tmp_path, classes=['disc_right', 'disc_right'])
    assert not (tmp_path / MANIFEST_NAME).exists()


def test_progress_bar_counts_clips(tmp_path, capsys):
    _make(tmp_path, classes=CLASSES[:2], progress=True)
    output = capsys.readouterr().out
    assert '6/6' in output
