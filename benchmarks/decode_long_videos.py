"""Decoding long Drive&Act-sized recordings: the decoder limit, our pipeline,
and the same after ``tools/data/prepare_driveact.py``.

Usage: ``python benchmarks/decode_long_videos.py [--work-dir DIR]
[--frames 20000] [--clips 40] [--rounds 3] [--keyframe-interval 250]``.

Writes (once; reused from ``--work-dir``) one recording per view in the
Drive&Act layout, as the real cameras give them: colour 1920x1080, IR and
depth 512x424, H.264 with a keyframe every ``--keyframe-interval`` frames
(x264's default, 250), ``--frames`` frames at 30 fps, textured moving
content; and a chunk CSV of 45-frame chunks over the whole recording. Then,
at the same random chunk positions (seeded), in alternating rounds, prints
clips/s (a clip: 8 frames of each of the 3 views) of:

- ``decord`` / ``pyav``: the raw decoders on readers opened once, seeking
  to the 8 frames of each view (the limit), with the max pixel difference
  between them (do they decode the same frames?);
- ``pipeline``: ``DriveActDataset`` with the paper's training pipeline
  (``DecordInit`` per sample, ``UniformSample``, ``DecordDecode``, resize,
  random crop, flip), read through ``dataset[i]``;
- ``pipeline, CachedDecordInit``: the same with ``CachedDecordInit``
  (readers kept open) instead of ``DecordInit`` (the whole file read per
  sample);
- ``pipeline, CachedPyAVInit``: the same with ``CachedPyAVInit`` +
  ``SeekingPyAVDecode`` (PyAV, seeking to the keyframe before the wanted
  frames) instead of decord;
- ``prepared`` (and with each reader above): the same on the copy
  ``prepare_driveact`` makes (short side 256, a keyframe every 16 frames).

and the ratios: pipeline / decord (target >= 0.8), prepared / pipeline
(target >= 5). torchcodec is timed too where it is installed.
"""
import argparse
import copy
import csv
import numpy as np
import statistics
import time
from mmaction.registry import DATASETS
from mmengine.registry import init_default_scope
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.datasets.driveact_dataset import (DRIVEACT_CSV_COLUMNS,
                                                     driveact_csv_path)
from mome_mmaction.datasets.driveact_prepare import (count_frames,
                                                     prepare_driveact)

#: View -> (width, height) of the real Kinect streams.
VIEW_SIZES = {
    'kinect_color': (1920, 1080),
    'kinect_ir': (512, 424),
    'kinect_depth': (512, 424)
}
RECORDING = 'vp1/run1b_2018-05-29-14-02-47'
CHUNK = 45
CLIP_LEN = 8
TRAIN_PIPELINE = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='DecordInit'),
            dict(type='UniformSample', clip_len=CLIP_LEN, num_clips=1),
            dict(type='DecordDecode'),
            dict(type='Resize', scale=(256, 256), keep_ratio=False),
            dict(type='RandomResizedCrop', area_range=(0.4, 1.0)),
            dict(type='Resize', scale=(224, 224), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5),
            dict(type='FormatShape', input_format='NCTHW'),
        ]),
    dict(type='PackActionInputs', collect_keys=('rgb', 'ir', 'depth'))
]


def write_recording(path: Path, size: Tuple[int, int], frames: int,
                    keyframe_interval: int) -> None:
    """A textured recording that moves every frame, H.264 (x264 fast)."""
    import av
    width, height = size
    rng = np.random.default_rng(0)
    texture = rng.integers(
        0, 255, (height // 8 + 1, width // 8 + 1, 3),
        dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    texture = texture[:height, :width]
    partial = path.with_name(f'.{path.name}.partial.mp4')
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(partial), 'w') as container:
        stream = container.add_stream('libx264', rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, \
            'yuv420p'
        stream.options = dict(
            preset='ultrafast', g=str(keyframe_interval), crf='28')
        for index in range(frames):
            image = np.roll(texture, (index * 3) % width, axis=1)
            image[:16, :min(width, 16 + index % 512)] = 255
            for packet in stream.encode(
                    av.VideoFrame.from_ndarray(image, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    partial.replace(path)


def write_layout(root: Path, frames: int, keyframe_interval: int) -> None:
    """Recordings and a split-0 train CSV of 45-frame chunks (idempotent)."""
    for view, size in VIEW_SIZES.items():
        video = root / view / f'{RECORDING}.{view}.mp4'
        if count_frames(video) != frames:
            print(f'writing {video} ({size[0]}x{size[1]}, {frames} frames)')
            write_recording(video, size, frames, keyframe_interval)
        csv_file = Path(driveact_csv_path(str(root), view, 0, 'train'))
        csv_file.parent.mkdir(parents=True, exist_ok=True)
        with open(csv_file, 'w', newline='') as stream:
            writer = csv.writer(stream)
            writer.writerow(DRIVEACT_CSV_COLUMNS)
            for chunk, start in enumerate(range(0, frames - CHUNK, CHUNK)):
                writer.writerow((1, f'{RECORDING}.{view}', chunk // 4, start,
                                 start + CHUNK, 'sitting_still', chunk % 4))


def chunk_frames(starts: List[int]) -> List[List[int]]:
    """The 8 frame indices UniformSample (test mode) takes in each chunk."""
    offsets = [int(CHUNK / CLIP_LEN * (i + 0.5)) for i in range(CLIP_LEN)]
    return [[start + offset for offset in offsets] for start in starts]


def decord_reader(root: Path) -> Callable[[List[int]], List[np.ndarray]]:
    import decord
    readers = {
        view:
        decord.VideoReader(
            str(root / view / f'{RECORDING}.{view}.mp4'), num_threads=1)
        for view in VIEW_SIZES
    }
    return lambda frames: [
        reader.get_batch(frames).asnumpy() for reader in readers.values()
    ]


def pyav_reader(root: Path) -> Callable[[List[int]], List[np.ndarray]]:
    """Seek to the keyframe before the first frame, decode up to the last.
    """
    import av
    containers = {
        view: av.open(str(root / view / f'{RECORDING}.{view}.mp4'))
        for view in VIEW_SIZES
    }

    def read(frames: List[int]) -> List[np.ndarray]:
        clips = []
        for container in containers.values():
            stream = container.streams.video[0]
            to_pts = 1 / stream.time_base / stream.average_rate
            container.seek(
                int(frames[0] * to_pts), stream=stream, backward=True)
            wanted, clip = set(frames), {}
            for frame in container.decode(stream):
                index = round(frame.pts / to_pts)
                if index in wanted:
                    clip[index] = frame.to_ndarray(format='rgb24')
                if index >= frames[-1]:
                    break
            clips.append(np.stack([clip[index] for index in frames]))
        return clips

    return read


def torchcodec_reader(root: Path) -> Callable[[List[int]], List[np.ndarray]]:
    from torchcodec.decoders import VideoDecoder
    decoders = [
        VideoDecoder(str(root / view / f'{RECORDING}.{view}.mp4'))
        for view in VIEW_SIZES
    ]
    return lambda frames: [
        decoder.get_frames_at(frames).data.permute(0, 2, 3, 1).numpy()
        for decoder in decoders
    ]


def dataset_reader(root: Path,
                   init: str,
                   decode: str = 'DecordDecode') -> Callable[[int], object]:
    """``dataset[i]`` of the training pipeline with reader init ``init``
    and decoder ``decode``.
    """
    init_default_scope('mmaction')
    pipeline = copy.deepcopy(TRAIN_PIPELINE)
    pipeline[0]['transforms'][0] = dict(type=init)
    pipeline[0]['transforms'][2] = dict(type=decode)
    dataset = DATASETS.build(
        dict(
            type='DriveActDataset',
            data_root=str(root),
            split=0,
            subset='train',
            pipeline=pipeline))
    return dataset.__getitem__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--work-dir', type=Path, default=Path('work_dirs/decode_long_videos'))
    parser.add_argument('--frames', type=int, default=20000)
    parser.add_argument('--clips', type=int, default=40)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--keyframe-interval', type=int, default=250)
    parser.add_argument(
        '--max-read-bytes',
        type=float,
        default=5e8,
        help='time DecordInit only on recordings up to this size')
    args = parser.parse_args()
    raw, prepared = args.work_dir / 'raw', args.work_dir / 'prepared'
    write_layout(raw, args.frames, args.keyframe_interval)
    start = time.perf_counter()
    prepare_driveact(str(raw), str(prepared), 256, 16)
    print(f'prepare_driveact: {time.perf_counter() - start:.1f} s')

    rng = np.random.default_rng(0)
    num_chunks = (args.frames - CHUNK) // CHUNK
    chunks = rng.integers(0, num_chunks, args.clips).tolist()
    seeks = chunk_frames([chunk * CHUNK for chunk in chunks])
    decoders = dict(decord=decord_reader(raw), pyav=pyav_reader(raw))
    try:
        decoders['torchcodec'] = torchcodec_reader(raw)
    except ImportError as error:
        print(f'torchcodec not timed: {error}')
    first = {name: read(seeks[0]) for name, read in decoders.items()}
    for name, clips in first.items():
        difference = max(
            np.abs(clip.astype(int) - reference.astype(int)).max()
            for clip, reference in zip(clips, first['decord']))
        print(f'{name}: max pixel difference to decord {difference}')
    pipelines = {
        'pipeline, CachedDecordInit':
        dataset_reader(raw, 'CachedDecordInit'),
        'prepared, CachedDecordInit':
        dataset_reader(prepared, 'CachedDecordInit'),
        'pipeline, CachedPyAVInit':
        dataset_reader(raw, 'CachedPyAVInit', 'SeekingPyAVDecode'),
        'prepared, CachedPyAVInit':
        dataset_reader(prepared, 'CachedPyAVInit', 'SeekingPyAVDecode'),
    }
    largest = max(path.stat().st_size for path in raw.rglob('*.mp4'))
    if largest <= args.max_read_bytes:
        pipelines['pipeline'] = dataset_reader(raw, 'DecordInit')
        pipelines['prepared'] = dataset_reader(prepared, 'DecordInit')
    else:
        print(f'DecordInit not timed: it reads the whole {largest / 1e9:.1f}'
              ' GB recording into memory for every sample (more than '
              '--max-read-bytes; at 20,000 1080p frames it ran this 24 GB '
              'machine out of memory)')

    steps = {
        name: (lambda read=read: [read(frames) for frames in seeks])
        for name, read in decoders.items()
    }
    steps.update({
        name: (lambda read=read: [read(chunk) for chunk in chunks])
        for name, read in pipelines.items()
    })
    times: Dict[str, List[float]] = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            begin = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - begin)
    rates = {
        name: args.clips / statistics.median(seconds)
        for name, seconds in times.items()
    }
    print(f'\n{args.frames} frames per view, keyframe every '
          f'{args.keyframe_interval}; {args.clips} random chunks, median of '
          f'{args.rounds} interleaved rounds (clips of 8 frames x 3 views)')
    print('| reader | clips/s | ratio to decord |\n|---|---|---|')
    for name, rate in rates.items():
        print(f'| {name} | {rate:.2f} | {rate / rates["decord"]:.2f} |')
    for init in ('', ', CachedDecordInit', ', CachedPyAVInit'):
        if 'pipeline' + init not in rates:
            continue
        print(f'pipeline{init} / raw decord: '
              f'{rates["pipeline" + init] / rates["decord"]:.2f} '
              '(target >= 0.8)')
        print(f'prepared{init} / pipeline{init}: '
              f'{rates["prepared" + init] / rates["pipeline" + init]:.2f} '
              '(target >= 5)')


if __name__ == '__main__':
    main()
