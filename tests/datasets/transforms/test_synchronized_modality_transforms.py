import numpy as np
import pytest
import random
from mmaction.registry import TRANSFORMS

from mome_mmaction.datasets.synthetic import decode_instant, write_video
from mome_mmaction.datasets.synthetic.driveact import encode_instant


def _gradient_video(path, height, width, num_frames=24):
    """Frames whose pixels encode their relative position: channel 0 grows
    with x, channel 1 with y; the same picture at any resolution."""
    x = np.linspace(0, 255, width)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height)[:, None].repeat(width, 1)
    frame = np.stack([x, y, np.full_like(x, 128)], -1).astype(np.uint8)
    write_video(path, np.repeat(frame[None], num_frames, 0))
    return str(path)


def _instant_video(path, instants, height=64, width=64):
    frames = np.zeros((len(instants), height, width, 3), np.uint8)
    for frame, instant in zip(frames, instants):
        encode_instant(frame, instant)
    write_video(path, frames)
    return str(path)


def _sample(infos):
    return dict(label=0, modality_infos=infos)


def _info(filename, start, length, view='v'):
    return dict(
        filename=filename,
        start_index=start,
        total_frames=length,
        view=view,
        ann_file='f.csv',
        ann_row=2)


SPATIAL_TRAIN = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=2, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(48, 48), keep_ratio=False),
    dict(type='RandomResizedCrop', area_range=(0.2, 0.6)),
    dict(
        type='MultiScaleCrop',
        input_size=24,
        scales=(1, 0.8, 0.6),
        random_crop=True),
    dict(type='Resize', scale=(24, 24), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
]


@pytest.fixture(scope='module')
def gradient_videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('gradient')
    return dict(
        rgb=_gradient_video(root / 'rgb.mp4', 64, 80),
        ir=_gradient_video(root / 'ir.mp4', 64, 64),
        depth=_gradient_video(root / 'depth.mp4', 128, 96))


def test_crops_and_flips_match_across_resolutions(gradient_videos):
    sync = TRANSFORMS.build(
        dict(type='SynchronizedModalityTransforms', transforms=SPATIAL_TRAIN))
    infos = {key: _info(path, 2, 20) for key, path in gradient_videos.items()}
    flips = set()
    for seed in range(8):
        np.random.seed(seed)
        random.seed(seed)
        results = sync(_sample(infos))
        metas = results['modality_metas']
        assert set(metas) == {'rgb', 'ir', 'depth'}
        for key in ('ir', 'depth'):
            assert results[key].shape == (1, 3, 4, 24, 24)
            np.testing.assert_array_equal(metas[key]['crop_bbox'],
                                          metas['rgb']['crop_bbox'])
            assert metas[key]['flip'] == metas['rgb']['flip']
            np.testing.assert_array_equal(metas[key]['frame_inds'],
                                          metas['rgb']['frame_inds'])
            # Same relative picture (pixels encode relative position): about 1
            # grey level apart when synchronized, 8 or more for other crops.
            difference = np.abs(results[key].astype(int) -
                                results['rgb'].astype(int))
            assert difference[:, :2].mean() < 2.5, (seed, key)
        flips.add(bool(metas['rgb']['flip']))
    assert flips == {True, False}


def test_independent_pipelines_would_differ(gradient_videos):
    """The check above is meaningful: unsynchronized draws give other crops.
    """
    pipelines = [TRANSFORMS.build(t) for t in SPATIAL_TRAIN]
    np.random.seed(0)
    random.seed(0)
    boxes = []
    for key in ('rgb', 'ir'):
        results = dict(
            filename=gradient_videos[key],
            start_index=0,
            total_frames=20,
            modality='RGB')
        for transform in pipelines:
            results = transform(results)
        boxes.append(results['crop_bbox'])
    assert not np.array_equal(*boxes)


def test_random_state_continues_as_after_reference(gradient_videos):
    sync = TRANSFORMS.build(
        dict(type='SynchronizedModalityTransforms', transforms=SPATIAL_TRAIN))
    infos = {key: _info(path, 0, 20) for key, path in gradient_videos.items()}
    np.random.seed(3)
    random.seed(3)
    sync(_sample(infos))
    after_sync = (np.random.rand(), random.random())
    np.random.seed(3)
    random.seed(3)
    sync(_sample({'rgb': infos['rgb']}))
    assert (np.random.rand(), random.random()) == after_sync


def test_random_crop_needs_common_shape(gradient_videos):
    sync = TRANSFORMS.build(
        dict(
            type='SynchronizedModalityTransforms',
            transforms=[
                dict(type='DecordInit'),
                dict(type='SampleFrames', clip_len=2, num_clips=1),
                dict(type='DecordDecode'),
                dict(type='RandomResizedCrop'),
            ]))
    infos = {key: _info(path, 0, 20) for key, path in gradient_videos.items()}
    with pytest.raises(ValueError, match='same img_shape.*Resize'):
        sync(_sample(infos))


def test_chunks_of_different_length_map_to_same_instants(tmp_path):
    """View b runs at half the frame rate: its chunk has half the frames."""
    fast = _instant_video(tmp_path / 'a.mp4', list(range(60)))
    slow = _instant_video(tmp_path / 'b.mp4', list(range(0, 60, 2)))
    sync = TRANSFORMS.build(
        dict(
            type='SynchronizedModalityTransforms',
            transforms=[
                dict(type='DecordInit'),
                dict(type='UniformSample', clip_len=6),
                dict(type='DecordDecode'),
            ]))
    infos = dict(a=_info(fast, 10, 40), b=_info(slow, 5, 20))
    for seed in range(5):
        np.random.seed(seed)
        results = sync(_sample(infos))
        fast_instants = [decode_instant(frame) for frame in results['a']]
        slow_instants = [decode_instant(frame) for frame in results['b']]
        assert all(10 <= instant < 50 for instant in fast_instants)
        assert np.abs(np.subtract(fast_instants, slow_instants)).max() <= 1


def test_frame_range_outside_video_names_path_and_row(tmp_path):
    from mome_mmaction.datasets import FrameRangeError
    video = _instant_video(tmp_path / 'a.mp4', list(range(20)))
    sync = TRANSFORMS.build(
        dict(
            type='SynchronizedModalityTransforms',
            transforms=[dict(type='DecordInit')]))
    with pytest.raises(FrameRangeError) as error:
        sync(_sample(dict(rgb=_info(video, 10, 16))))
    message = str(error.value)
    assert 'frames [10, 26) outside the video (20 frames)' in message
    assert video in message and 'row 2 of f.csv' in message


def test_unknown_modality_and_missing_infos():
    sync = TRANSFORMS.build(
        dict(
            type='SynchronizedModalityTransforms',
            transforms=[],
            modalities=['rgb', 'thermal']))
    with pytest.raises(KeyError, match="'thermal'"):
        sync(_sample(dict(rgb=_info('x.mp4', 0, 4))))
    with pytest.raises(KeyError, match='modality_infos'):
        sync(dict(label=0))


@TRANSFORMS.register_module(force=True)
class _TorchNoise:
    """A random transform drawing from torch's RNG (as PytorchVideoWrapper
    and TorchVisionWrapper do): adds one random grey level to the clip."""

    def __call__(self, results):
        import torch
        shift = int(torch.randint(0, 50, ()).item())
        results['imgs'] = [img + shift for img in results['imgs']]
        results['torch_shift'] = shift
        return results


def test_torch_random_transform_is_synchronized(gradient_videos):
    import torch
    pipeline = [
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=2, num_clips=1),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(24, 24), keep_ratio=False),
        dict(type='_TorchNoise'),
    ]
    sync = TRANSFORMS.build(
        dict(type='SynchronizedModalityTransforms', transforms=pipeline))
    infos = {key: _info(path, 0, 20) for key, path in gradient_videos.items()}
    shifts = set()
    for seed in range(6):
        torch.manual_seed(seed)
        metas = sync(_sample(infos))['modality_metas']
        assert metas['ir']['torch_shift'] == metas['rgb']['torch_shift']
        assert metas['depth']['torch_shift'] == metas['rgb']['torch_shift']
        shifts.add(metas['rgb']['torch_shift'])
        # torch's state continues as the reference view left it.
        after_sync = torch.rand(())
        torch.manual_seed(seed)
        sync(_sample({'rgb': infos['rgb']}))
        assert torch.rand(()) == after_sync
    assert len(shifts) > 1


def test_transform_with_own_generator_is_refused():
    for transform in (dict(type='ImgAug', transforms='default'), ):
        with pytest.raises(TypeError, match='ImgAug draws from its own'):
            TRANSFORMS.build(
                dict(
                    type='SynchronizedModalityTransforms',
                    transforms=[transform]))


def test_short_chunks_loop_inside_the_chunk(tmp_path):
    """A 2-frame chunk (Drive&Act has them) read with clip_len=8 loops over
    its own frames, as MMAction2's SampleFrames does; the view numbered at
    twice the frame rate (a 4-frame chunk) shows the same instants."""
    colour = _instant_video(tmp_path / 'c.mp4', list(range(0, 60, 2)))
    infrared = _instant_video(tmp_path / 'i.mp4', list(range(60)))
    infos = dict(rgb=_info(colour, 5, 2), ir=_info(infrared, 10, 4))
    for test_mode in (False, True):
        sync = TRANSFORMS.build(
            dict(
                type='SynchronizedModalityTransforms',
                transforms=[
                    dict(type='DecordInit'),
                    dict(
                        type='SampleFrames',
                        clip_len=8,
                        num_clips=1,
                        test_mode=test_mode),
                    dict(type='DecordDecode'),
                ]))
        results = sync(_sample(infos))
        colour_instants = [decode_instant(frame) for frame in results['rgb']]
        ir_instants = [decode_instant(frame) for frame in results['ir']]
        assert colour_instants == [10, 12] * 4
        assert np.abs(np.subtract(colour_instants, ir_instants)).max() <= 1
        assert all(10 <= instant < 14 for instant in ir_instants)
