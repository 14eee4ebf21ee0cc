import numpy as np
import pickle
import pytest
from mmaction.registry import TRANSFORMS

from mome_mmaction.datasets.synthetic import write_video


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('cached_init')
    rng = np.random.default_rng(0)
    paths = []
    for index in range(3):
        frames = rng.integers(0, 255, (90, 64, 64, 3), dtype=np.uint8)
        paths.append(str(root / f'{index}.mp4'))
        write_video(paths[-1], frames)
    return paths


def _decode(init, filename, start):
    decode = TRANSFORMS.build(dict(type='DecordDecode'))
    results = init(dict(filename=filename, start_index=0, modality='RGB'))
    results['frame_inds'] = np.arange(start, start + 8)
    results['clip_len'], results['num_clips'] = 8, 1
    return np.stack(decode(results)['imgs']), results


def test_frames_equal_decord_init_across_reused_readers(videos):
    cached = TRANSFORMS.build(dict(type='CachedDecordInit', cache_size=2))
    plain = TRANSFORMS.build(dict(type='DecordInit'))
    rng = np.random.default_rng(1)
    for _ in range(12):
        filename = videos[rng.integers(0, 3)]
        start = int(rng.integers(0, 82))
        frames, results = _decode(cached, filename, start)
        expected, plain_results = _decode(plain, filename, start)
        np.testing.assert_array_equal(frames, expected)
        assert results['total_frames'] == plain_results['total_frames'] == 90
        assert len(cached._readers) <= 2
    copy = pickle.loads(pickle.dumps(cached))
    assert not copy._readers and copy.cache_size == 2
    with pytest.raises(ValueError, match='cache_size must be >= 1'):
        TRANSFORMS.build(dict(type='CachedDecordInit', cache_size=0))


def test_reuses_the_reader_of_the_same_video(videos):
    cached = TRANSFORMS.build(dict(type='CachedDecordInit', cache_size=2))
    first = cached(dict(filename=videos[0]))['video_reader']
    cached(dict(filename=videos[1]))
    assert cached(dict(filename=videos[0]))['video_reader'] is first
    cached(dict(filename=videos[1]))
    cached(dict(filename=videos[2]))  # evicts videos[0]
    assert cached(dict(filename=videos[0]))['video_reader'] is not first


def test_synchronized_transforms_treat_it_as_a_reader(videos):
    sync = TRANSFORMS.build(
        dict(
            type='SynchronizedModalityTransforms',
            transforms=[
                dict(type='CachedDecordInit'),
                dict(type='SampleFrames', clip_len=4, num_clips=1),
                dict(type='DecordDecode'),
            ]))
    infos = {
        key: dict(filename=videos[index], start_index=10, total_frames=20)
        for index, key in enumerate(('rgb', 'ir'))
    }
    results = sync(dict(label=0, modality_infos=infos))
    assert results['modality_metas']['rgb']['video_total_frames'] == 90
    assert results['modality_metas']['rgb']['total_frames'] == 20
