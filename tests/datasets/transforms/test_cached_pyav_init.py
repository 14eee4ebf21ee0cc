"""CachedPyAVInit + SeekingPyAVDecode give decord's frames, exactly."""
import numpy as np
import pickle
import pytest
from fractions import Fraction
from mmaction.registry import TRANSFORMS

from mome_mmaction.datasets.synthetic import write_video

av = pytest.importorskip('av')


def write_h264(path, frames, keyframe_interval, fps=30, pts_step=None):
    """H.264 with B-frames (x264 defaults) and a keyframe every
    ``keyframe_interval`` frames; ``pts_step`` (list) gives irregular
    presentation times instead of a constant rate."""
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = 'yuv420p'
        stream.options = dict(g=str(keyframe_interval), crf='30')
        if pts_step is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        pts = 0
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format='rgb24')
            if pts_step is not None:
                frame.pts = pts
                frame.time_base = Fraction(1, 1000)
                pts += pts_step[index % len(pts_step)]
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('pyav_seek')
    rng = np.random.default_rng(0)
    # moving texture: every frame differs, so a wrong frame is visible
    texture = rng.integers(0, 255, (64, 160, 3), dtype=np.uint8)
    frames = np.stack(
        [np.roll(texture, 3 * index, axis=1)[:, :96] for index in range(150)])
    paths = [
        write_h264(root / 'gop25.mp4', frames, 25),
        write_h264(root / 'gop250.mp4', frames, 250),
    ]
    mp4v = str(root / 'mp4v.mp4')
    write_video(mp4v, frames[:90, :, :64])
    return paths + [mp4v, write_h264(root / 'gop4.mp4', frames, 4)]


def decode(init, decoder, filename, frame_inds):
    results = init(dict(filename=filename, start_index=0, modality='RGB'))
    results['frame_inds'] = np.asarray(frame_inds)
    results['clip_len'], results['num_clips'] = len(frame_inds), 1
    results = decoder(results)
    return np.stack(results['imgs']), results


@pytest.mark.parametrize('reuse', [True, False])
def test_frames_equal_decord_at_random_seeks(videos, reuse):
    pyav_init = TRANSFORMS.build(dict(type='CachedPyAVInit', cache_size=2))
    pyav_decode = TRANSFORMS.build(dict(type='SeekingPyAVDecode'))
    decord_init = TRANSFORMS.build(dict(type='DecordInit'))
    decord_decode = TRANSFORMS.build(dict(type='DecordDecode'))
    rng = np.random.default_rng(1)
    for _ in range(10):
        filename = videos[rng.integers(0, len(videos))]
        if not reuse:
            pyav_init = TRANSFORMS.build(dict(type='CachedPyAVInit'))
        total = 90 if 'mp4v' in filename else 150
        # sorted, unsorted, repeated and far-apart indices (two seeks)
        start = int(rng.integers(0, total - 16))
        frame_inds = [start + offset for offset in (0, 2, 4, 4, 15, 6)]
        frame_inds.append(int(rng.integers(0, total)))
        frames, results = decode(pyav_init, pyav_decode, filename, frame_inds)
        expected, _ = decode(decord_init, decord_decode, filename, frame_inds)
        np.testing.assert_array_equal(frames, expected)
        assert results['img_shape'] == expected.shape[1:3]
        assert results['video_reader'] is None
        assert len(pyav_init._readers) <= 2


def test_a_keyframe_between_wanted_frames_starts_a_seek(videos):
    """GOP 4: frames 1, 9 and 17-18 decode from the keyframes at 0, 8 and
    16 (7 frames), not through 0..18; without an index, through the gap."""
    from mome_mmaction.datasets.transforms.seekable_pyav_video import \
        SeekableVideo
    video = SeekableVideo(videos[3], 'gop4.mp4')
    assert video.keyframes[:5] == [0, 4, 8, 12, 16]
    reference = SeekableVideo(videos[3], 'gop4.mp4')
    reference.keyframes = []
    wanted = [17, 1, 9, 18]
    np.testing.assert_array_equal(
        np.stack(video.read(wanted)), np.stack(reference.read(wanted)))
    assert video.decoded_frames == 7
    assert reference.decoded_frames == 19


def test_total_frames_reuse_and_pickling(videos):
    init = TRANSFORMS.build(dict(type='CachedPyAVInit', cache_size=2))
    first = init(dict(filename=videos[0]))
    assert first['total_frames'] == 150
    assert init(dict(filename=videos[2]))['total_frames'] == 90
    assert init(dict(filename=videos[0]))['video_reader'] is \
        first['video_reader']
    init(dict(filename=videos[1]))
    init(dict(filename=videos[2]))  # evicts (and closes) videos[0]
    assert init(dict(filename=videos[0]))['video_reader'] is not \
        first['video_reader']
    copy = pickle.loads(pickle.dumps(init))
    assert not copy._readers and copy.cache_size == 2
    with pytest.raises(ValueError, match='cache_size must be >= 1'):
        TRANSFORMS.build(dict(type='CachedPyAVInit', cache_size=0))


def test_bad_indices_and_variable_frame_rate_are_errors(videos, tmp_path):
    init = TRANSFORMS.build(dict(type='CachedPyAVInit'))
    decoder = TRANSFORMS.build(dict(type='SeekingPyAVDecode'))
    with pytest.raises(
            IndexError,
            match=r'gop25.mp4: frame indices 140..150'
            r" are outside the video's 150 frames"):
        decode(init, decoder, videos[0], [140, 150])
    frames = np.zeros((30, 64, 64, 3), dtype=np.uint8)
    frames[:, :, :, 0] = np.arange(30)[:, None, None] * 8
    variable = write_h264(
        tmp_path / 'vfr.mp4', frames, 10, fps=30, pts_step=[33, 33, 50])
    with pytest.raises(
            ValueError,
            match='vfr.mp4: a frame .* off the '
            'constant frame rate grid'):
        decode(init, decoder, variable, list(range(20)))


def test_synchronized_transforms_treat_them_as_reader_and_decoder(videos):
    sync = TRANSFORMS.build(
        dict(
            type='SynchronizedModalityTransforms',
            transforms=[
                dict(type='CachedPyAVInit'),
                dict(type='SampleFrames', clip_len=4, num_clips=1),
                dict(type='SeekingPyAVDecode'),
            ]))
    infos = {
        key: dict(filename=videos[index], start_index=10, total_frames=20)
        for index, key in enumerate(('rgb', 'ir'))
    }
    results = sync(dict(label=0, modality_infos=infos))
    assert results['modality_metas']['rgb']['video_total_frames'] == 150
    assert results['modality_metas']['rgb']['total_frames'] == 20
