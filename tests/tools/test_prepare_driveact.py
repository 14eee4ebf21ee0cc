import numpy as np
import pytest
import runpy
import shutil
import sys
from mmaction.registry import DATASETS
from pathlib import Path

from mome_mmaction.datasets.driveact_prepare import (count_frames,
                                                     prepare_driveact,
                                                     scaled_size)
from mome_mmaction.datasets.synthetic import (SYNTHETIC_DRIVEACT_CLASSES,
                                              decode_instant, write_video)

av = pytest.importorskip('av')
TOOL = Path(__file__).parents[2] / 'tools' / 'data' / 'prepare_driveact.py'
DECODE = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='DecordInit'),
            dict(type='UniformSample', clip_len=4, test_mode=True),
            dict(type='DecordDecode'),
        ])
]


def _instants(root):
    dataset = DATASETS.build(
        dict(
            type='DriveActDataset',
            data_root=str(root),
            split=0,
            subset='test',
            classes=SYNTHETIC_DRIVEACT_CLASSES,
            pipeline=DECODE,
            test_mode=True))
    return [{
        key: [decode_instant(frame) for frame in dataset[index][key]]
        for key in ('rgb', 'ir', 'depth')
    } for index in range(0, len(dataset), 5)]


def _keyframes(path):
    with av.open(str(path)) as container:
        return sum(
            packet.is_keyframe for packet in container.demux(video=0)
            if packet.size)


def _x264_settings(path):
    """The option line x264 writes into its stream (an SEI message)."""
    data = Path(path).read_bytes()
    start = data.index(b'options: ')
    return data[start:data.index(b'\x00', start)].decode().split()


def test_prepared_copy_runs_the_same_chunks(synthetic_driveact_root, tmp_path,
                                            monkeypatch, capsys):
    out = tmp_path / 'prepared'
    monkeypatch.setattr(sys, 'argv', [
        str(TOOL),
        str(synthetic_driveact_root),
        str(out), '--short-side', '64', '--keyframe-interval', '4',
        '--workers', '2'
    ])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(TOOL), run_name='__main__')
    assert exit_info.value.code == 0
    sources = sorted(synthetic_driveact_root.glob('kinect_*/*/*.mp4'))
    assert f'{len(sources)} videos encoded, 0 already done' in \
        capsys.readouterr().out
    for source in sources:
        target = out / source.relative_to(synthetic_driveact_root)
        frames = count_frames(source)
        assert count_frames(target) == frames
        assert _keyframes(target) >= frames / 4
        # encoded for decoding speed by default (x264 tune=fastdecode)
        assert {'cabac=0', 'deblock=0:0:0'} <= set(_x264_settings(target))
    csvs = sorted(
        path.relative_to(synthetic_driveact_root)
        for path in synthetic_driveact_root.glob('activities_3s/*/*.csv'))
    assert csvs and csvs == sorted(
        path.relative_to(out) for path in out.glob('activities_3s/*/*.csv'))
    # The same instants decode from the same rows in every view.
    assert _instants(out) == _instants(synthetic_driveact_root)

    # Resumable: finished videos are skipped, a damaged one is redone.
    damaged = out / sources[0].relative_to(synthetic_driveact_root)
    damaged.write_bytes(damaged.read_bytes()[:2000])
    done = prepare_driveact(
        str(synthetic_driveact_root), str(out), 64, 4, progress=False)
    assert done['encoded'] == [str(damaged)]
    assert len(done['skipped']) == len(sources) - 1
    assert count_frames(damaged) == count_frames(sources[0])


def test_short_side_and_errors(tmp_path):
    frames = np.random.default_rng(0).integers(
        0, 255, (20, 96, 128, 3), dtype=np.uint8)
    write_video(tmp_path / 'root' / 'kinect_ir' / 'vp1' / 'a.mp4', frames)
    assert scaled_size(128, 96, 64) == (86, 64)
    assert scaled_size(128, 96, 256) == (128, 96)  # never enlarged
    prepare_driveact(
        str(tmp_path / 'root'),
        str(tmp_path / 'out'),
        64,
        views=['kinect_ir'],
        progress=False,
        fast_decode=False)
    import decord
    target = tmp_path / 'out' / 'kinect_ir' / 'vp1' / 'a.mp4'
    reader = decord.VideoReader(str(target))
    assert len(reader) == 20 and reader[0].shape == (64, 86, 3)
    assert 'cabac=1' in _x264_settings(target)
    with pytest.raises(FileNotFoundError, match='kinect_color does not exist'):
        prepare_driveact(
            str(tmp_path / 'root'), str(tmp_path / 'out'), progress=False)
    shutil.rmtree(tmp_path / 'out')
