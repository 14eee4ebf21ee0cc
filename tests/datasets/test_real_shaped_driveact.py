"""Real-shaped Drive&Act through the dataset bases' own pipelines.

Generated like the real files: colour numbered at 15 fps, IR and depth at
30 fps (so their chunks are twice as long) and started later; long
recordings with a keyframe every 250 frames, read deep inside; 2-frame
chunks; each view's rows in another order. Every frame shows its instant
(in 1/30 s) as a flat colour, which crops, flips and resizes keep, so the
train, test and 4-clip x 3-crop pipelines of
``configs/_base_/datasets/`` (PyAV readers) must give every view the same
instants, inside the chunk.
"""
import csv
import numpy as np
import pytest
from mmaction.registry import DATASETS
from mmengine.config import Config
from pathlib import Path

from mome_mmaction.datasets import DRIVEACT_MIDLEVEL_CLASSES
from mome_mmaction.datasets.driveact_dataset import (DRIVEACT_CSV_COLUMNS,
                                                     driveact_csv_path)
from tests.conftest import REPO_ROOT

av = pytest.importorskip('av')

STEM = 'vp3/run1_2018-05-22-15-10-41'
#: View -> (fps, instant of its frame 0 in 1/30 s, frames).
VIEWS = dict(
    kinect_color=(15, 0, 1500),
    kinect_ir=(30, 10, 2990),
    kinect_depth=(30, 6, 2994))
#: Colour chunks [start, end) at 15 fps: 2- and 3-frame ones, typical
#: 45-frame ones, and ones deep in the recording.
COLOUR_CHUNKS = [(40, 42), (42, 87), (87, 90), (700, 745), (1400, 1402),
                 (1402, 1452)]


def _instant_colour(instant):
    """Three 4-bit digits of ``instant`` as a flat RGB colour."""
    return [(instant >> shift & 15) * 16 + 8 for shift in (0, 4, 8)]


def _read_instant(frame_chw):
    """The instant a (C, H, W) frame shows."""
    levels = np.rint((frame_chw.reshape(3, -1).mean(1) - 8) / 16)
    return int(
        sum(int(level) << shift for level, shift in zip(levels, (0, 4, 8))))


@pytest.fixture(scope='module')
def real_shaped_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('real_shaped_driveact')
    rng = np.random.default_rng(0)
    for view, (fps, first, frames) in VIEWS.items():
        path = root / view / f'{STEM}.{view}.mp4'
        path.parent.mkdir(parents=True)
        step = 30 // fps
        with av.open(str(path), 'w') as container:
            stream = container.add_stream('libx264', rate=fps)
            stream.width, stream.height, stream.pix_fmt = 48, 32, 'yuv420p'
            stream.options = dict(g='250', crf='10')
            for index in range(frames):
                image = np.empty((32, 48, 3), np.uint8)
                image[:] = _instant_colour(first + index * step)
                for packet in stream.encode(
                        av.VideoFrame.from_ndarray(image, format='rgb24')):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        rows = []
        for chunk_id, (start, end) in enumerate(COLOUR_CHUNKS):
            # the same instants [2 start, 2 end) in this view's numbering
            rows.append([
                3,
                f'{STEM}.{view}', chunk_id // 2, (2 * start - first) // step,
                (2 * end - first) // step, DRIVEACT_MIDLEVEL_CLASSES[chunk_id],
                chunk_id % 2
            ])
        rng.shuffle(rows)
        csv_path = Path(driveact_csv_path(str(root), view, 0, 'train'))
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with open(csv_path, 'w', newline='') as stream:
            writer = csv.writer(stream)
            writer.writerow(DRIVEACT_CSV_COLUMNS)
            writer.writerows(rows)
    return root


@pytest.mark.parametrize('base, pipeline, clips', [
    ('driveact_rgb_ir_depth.py', 'train_pipeline', 1),
    ('driveact_rgb_ir_depth.py', 'test_pipeline', 1),
    ('driveact_rgb_ir_depth_test4x3.py', 'test_pipeline', 12),
])
def test_every_view_shows_the_same_instants(real_shaped_root, base, pipeline,
                                            clips):
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs' / '_base_' / 'datasets' / base))
    dataset = DATASETS.build(
        dict(
            cfg.train_dataloader.dataset,
            data_root=str(real_shaped_root),
            pipeline=cfg[pipeline]))
    assert len(dataset) == len(COLOUR_CHUNKS)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        start = info['modality_infos']['rgb']['start_index']
        length = info['modality_infos']['rgb']['total_frames']
        for seed in range(2):
            np.random.seed(seed)
            inputs = dataset[index]['inputs']
            instants = {
                key: [[_read_instant(clip[:, t]) for t in range(8)]
                      for clip in view.numpy()]
                for key, view in inputs.items()
            }
            assert all(len(view) == clips for view in instants.values())
            rgb = np.array(instants['rgb'])
            # colour frames show even instants inside its chunk ...
            assert rgb.min() >= 2 * start and rgb.max() < 2 * (start + length)
            # ... and IR and depth the same instants, to their 1/30 s
            for key in ('ir', 'depth'):
                assert np.abs(np.array(instants[key]) -
                              rgb).max() <= 1, (index, key, instants)
