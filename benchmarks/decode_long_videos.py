"""Decoding long Drive&Act-sized recordings: the decoder limit, our pipeline,
and the same after ``tools/data/prepare_driveact.py``.

Usage: ``python benchmarks/decode_long_videos.py [--work-dir DIR]
[--frames 20000] [--clips 24] [--rounds 3] [--keyframe-interval 250]
[--variants NAME ...] [--max-rss-gb 8]``.

Writes (once; reused from ``--work-dir``) one recording per view in the
Drive&Act layout, as the real cameras give them: colour 1920x1080, IR and
depth 512x424, H.264 with a keyframe every ``--keyframe-interval`` frames
(x264's default, 250), ``--frames`` frames at 30 fps, textured moving
content; and a chunk CSV of 45-frame chunks over the whole recording. Then,
at the same random chunk positions (seeded), prints clips/s (a clip: 8
frames of each of the 3 views) of, on the recordings and on the copy
``prepare_driveact`` makes (its defaults: short side 256, a keyframe every
16 frames, x264 ``tune=fastdecode``):

- ``decord`` / ``pyav`` / ``torchcodec``: the raw decoders on readers opened
  once, decoding the 8 frames of each view (the limit; ``pyav`` is
  :class:`SeekableVideo`, also printing the frames it decoded per view
  read), with the max pixel difference to decord (the same frames?);
- ``DecordInit`` / ``CachedDecordInit`` / ``CachedPyAVInit``:
  ``DriveActDataset`` with the paper's training pipeline read through
  ``dataset[i]`` with MMAction2's ``DecordInit`` (the whole file read per
  sample), ``CachedDecordInit`` (decord readers kept open) or
  ``CachedPyAVInit`` + ``SeekingPyAVDecode``.

``--variants 'prepared_no_fastdecode, pyav' ...`` also times a copy prepared
without ``tune=fastdecode`` (``prepare_driveact --no-fast-decode``).

Each variant runs in a child process of its own, once per round, the
variants taking turns round after round (interleaved, so load spreads over
all of them); a child is killed when its resident memory passes
``--max-rss-gb`` (decord's readers of a 1080p recording grow by gigabytes),
and the table says so. Ratios: pipeline / the raw decoder it uses (target
>= 0.8), prepared / unprepared (target >= 5). The first clip of each child
(opening readers) is not timed.
"""
import argparse
import copy
import csv
import json
import numpy as np
import statistics
import subprocess
import sys
import threading
import time
from mmaction.registry import DATASETS
from mmengine.registry import init_default_scope
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import mome_mmaction  # noqa: F401  (stack fixes, registries)
from mome_mmaction.datasets.driveact_dataset import (DRIVEACT_CSV_COLUMNS,
                                                     driveact_csv_path)
from mome_mmaction.datasets.driveact_prepare import (count_frames,
                                                     prepare_driveact)
from mome_mmaction.datasets.transforms.seekable_pyav_video import SeekableVideo

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


def video_paths(root: Path) -> List[str]:
    """The recording of each view under ``root``."""
    return [
        str(root / view / f'{RECORDING}.{view}.mp4') for view in VIEW_SIZES
    ]


def decord_reader(root: Path) -> Callable[[List[int]], List[np.ndarray]]:
    import decord
    readers = [
        decord.VideoReader(path, num_threads=1) for path in video_paths(root)
    ]
    return lambda frames: [
        reader.get_batch(frames).asnumpy() for reader in readers
    ]


def pyav_reader(root: Path) -> Callable[[List[int]], List[np.ndarray]]:
    """Reads with :class:`SeekableVideo`s, kept as the reader's ``videos``
    (their ``decoded_frames`` count what the reads cost)."""
    videos = [SeekableVideo(path, path) for path in video_paths(root)]

    def read(frames: List[int]) -> List[np.ndarray]:
        return [np.stack(video.read(frames)) for video in videos]

    read.videos = videos
    return read


def torchcodec_reader(root: Path) -> Callable[[List[int]], List[np.ndarray]]:
    from torchcodec.decoders import VideoDecoder
    decoders = [VideoDecoder(path) for path in video_paths(root)]
    return lambda frames: [
        decoder.get_frames_at(frames).data.permute(0, 2, 3, 1).numpy()
        for decoder in decoders
    ]


def dataset_reader(root: Path, init: str) -> Callable[[int], object]:
    """``dataset[i]`` of the training pipeline with reader ``init``
    (``CachedPyAVInit`` decodes with ``SeekingPyAVDecode``)."""
    init_default_scope('mmaction')
    pipeline = copy.deepcopy(TRAIN_PIPELINE)
    pipeline[0]['transforms'][0] = dict(type=init)
    if init == 'CachedPyAVInit':
        pipeline[0]['transforms'][2] = dict(type='SeekingPyAVDecode')
    dataset = DATASETS.build(
        dict(
            type='DriveActDataset',
            data_root=str(root),
            split=0,
            subset='train',
            pipeline=pipeline))
    return dataset.__getitem__


RAW_DECODERS = dict(
    decord=decord_reader, pyav=pyav_reader, torchcodec=torchcodec_reader)
PIPELINES = ('DecordInit', 'CachedDecordInit', 'CachedPyAVInit')
#: Prepared copy (a folder of the work dir) -> ``prepare_driveact``'s
#: ``fast_decode``.
PREPARED = dict(prepared=True, prepared_no_fastdecode=False)
#: Variant name -> (data, reader).
VARIANTS = {
    f'{data}, {reader}': (data, reader)
    for data in ('raw', *PREPARED)
    for reader in (*RAW_DECODERS, *PIPELINES)
}
#: Timed unless ``--variants`` says otherwise.
DEFAULT_VARIANTS = [
    name for name, (data, _) in VARIANTS.items()
    if data != 'prepared_no_fastdecode'
]


def sampled_chunks(frames: int, clips: int) -> List[int]:
    """Seeded chunk numbers; the first is the untimed warm-up."""
    rng = np.random.default_rng(0)
    return rng.integers(0, (frames - CHUNK) // CHUNK, clips + 1).tolist()


def time_variant(work_dir: Path, variant: str, frames: int,
                 clips: int) -> dict:
    """Seconds of ``clips`` reads of one variant (in this process)."""
    data, reader = VARIANTS[variant]
    chunks = sampled_chunks(frames, clips)
    if reader in RAW_DECODERS:
        read = RAW_DECODERS[reader](work_dir / data)
        items = chunk_frames([chunk * CHUNK for chunk in chunks])
    else:
        read, items = dataset_reader(work_dir / data, reader), chunks
    read(items[0])
    start = time.perf_counter()
    for item in items[1:]:
        read(item)
    result = dict(seconds=time.perf_counter() - start)
    if reader == 'pyav':
        result['decoded_per_read'] = sum(video.decoded_frames
                                         for video in read.videos) / (
                                             len(items) * len(VIEW_SIZES))
    return result


def max_pixel_differences(work_dir: Path, frames: int,
                          clips: int) -> Dict[str, object]:
    """Raw decoder -> max pixel difference to decord over 3 clips (or why
    it did not run)."""
    seeks = chunk_frames(
        [chunk * CHUNK for chunk in sampled_chunks(frames, clips)[:3]])
    read = decord_reader(work_dir / 'raw')
    expected = [read(frames_at) for frames_at in seeks]
    del read  # decord's readers hold gigabytes on 1080p recordings
    differences: Dict[str, object] = {}
    for name, make_reader in RAW_DECODERS.items():
        if name == 'decord':
            continue
        try:
            read = make_reader(work_dir / 'raw')
        except (ImportError, OSError, RuntimeError) as error:
            differences[name] = f'not run: {type(error).__name__}: ' + str(
                error).splitlines()[0][:200]
            continue
        differences[name] = int(
            max(
                np.abs(clip.astype(int) - reference.astype(int)).max()
                for frames_at, clips_at in zip(seeks, expected)
                for clip, reference in zip(read(frames_at), clips_at)))
    return differences


class ChildResult(NamedTuple):
    """What :func:`run_with_rss_limit` saw of one child process.

    Attributes:
        stdout (str): Its standard output.
        peak_rss (int): Largest resident memory polled, in bytes.
        killed (bool): Killed for passing the memory limit.
        returncode (int): Exit status.
        stderr_tail (str): The end of its standard error.
    """
    stdout: str
    peak_rss: int
    killed: bool
    returncode: int
    stderr_tail: str


def resident_bytes(pid: int) -> int:
    """Resident memory of a live process (Linux ``/proc``), 0 once gone."""
    try:
        with open(f'/proc/{pid}/status') as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_with_rss_limit(command: List[str],
                       max_rss: float,
                       poll_s: float = 0.1) -> ChildResult:
    """Run ``command``, killing it once its resident memory passes
    ``max_rss`` bytes (polled every ``poll_s`` seconds)."""
    with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True) as child:
        output: Dict[str, str] = {}
        reader = threading.Thread(target=lambda: output.update(
            zip(('stdout', 'stderr'), child.communicate())))
        reader.start()
        peak, killed = 0, False
        while child.poll() is None:
            peak = max(peak, resident_bytes(child.pid))
            if peak > max_rss:
                child.kill()
                killed = True
                break
            time.sleep(poll_s)
        reader.join()
    return ChildResult(
        output.get('stdout', ''), peak, killed, child.returncode,
        output.get('stderr', '')[-2000:])


def reference_decoder(variant: str) -> Optional[str]:
    """The raw-decoder variant a pipeline variant is limited by."""
    data, reader = VARIANTS[variant]
    if reader in RAW_DECODERS:
        return None
    return f'{data}, {"pyav" if reader == "CachedPyAVInit" else "decord"}'


def failure(result: ChildResult) -> Optional[str]:
    """Why a child gave no result, or None."""
    if result.killed:
        return f'killed at {result.peak_rss / 1e9:.1f} GB RSS'
    if result.returncode:
        return 'failed: ' + (result.stderr_tail.strip()
                             or '?').splitlines()[-1][:160]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--work-dir', type=Path, default=Path('work_dirs/decode_long_videos'))
    parser.add_argument('--frames', type=int, default=20000)
    parser.add_argument('--clips', type=int, default=24)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--keyframe-interval', type=int, default=250)
    parser.add_argument(
        '--variants',
        nargs='+',
        choices=list(VARIANTS),
        default=DEFAULT_VARIANTS,
        metavar='VARIANT',
        help=f'of {list(VARIANTS)}; by default all but those of the copy '
        'prepared without x264 tune=fastdecode')
    parser.add_argument(
        '--max-rss-gb',
        type=float,
        default=8.,
        help='kill a variant whose process passes this resident memory')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == 'differences':
        print(
            json.dumps(
                max_pixel_differences(args.work_dir, args.frames, args.clips)))
        return
    if args.child:
        print(
            json.dumps(
                time_variant(args.work_dir, args.child, args.frames,
                             args.clips)))
        return

    raw = args.work_dir / 'raw'
    write_layout(raw, args.frames, args.keyframe_interval)
    for data in {VARIANTS[name][0] for name in args.variants} & set(PREPARED):
        start = time.perf_counter()
        prepare_driveact(
            str(raw),
            str(args.work_dir / data),
            256,
            16,
            fast_decode=PREPARED[data])
        print(f'prepare_driveact ({data}): '
              f'{time.perf_counter() - start:.1f} s')
    max_rss = args.max_rss_gb * 1e9

    def child(name: str) -> List[str]:
        return [
            sys.executable, __file__, '--child', name, '--work-dir',
            str(args.work_dir), '--frames',
            str(args.frames), '--clips',
            str(args.clips)
        ]

    checked = run_with_rss_limit(child('differences'), max_rss)
    print('max pixel difference to decord, 3 clips:',
          failure(checked) or checked.stdout.strip().splitlines()[-1])
    times: Dict[str, List[float]] = {name: [] for name in args.variants}
    peaks = {name: 0 for name in args.variants}
    decoded: Dict[str, float] = {}
    failed: Dict[str, str] = {}
    for round_index in range(args.rounds):
        for name in args.variants:
            if name in failed:
                continue
            result = run_with_rss_limit(child(name), max_rss)
            peaks[name] = max(peaks[name], result.peak_rss)
            if failure(result):
                failed[name] = failure(result)
            else:
                measured = json.loads(result.stdout.strip().splitlines()[-1])
                times[name].append(measured['seconds'])
                if 'decoded_per_read' in measured:
                    decoded[name] = measured['decoded_per_read']
            print(
                f'round {round_index + 1}, {name}: ' +
                (failed.get(name) or f'{times[name][-1]:.1f} s'),
                flush=True)
    rates = {
        name: args.clips / statistics.median(seconds)
        for name, seconds in times.items() if seconds
    }
    print(f'\n{args.frames} frames per view, keyframe every '
          f'{args.keyframe_interval} (prepared: 16); '
          f'{args.clips} random '
          f'chunks, median of {args.rounds} interleaved rounds (clips of 8 '
          'frames x 3 views)')
    print('| data, reader | clips/s | ratio to its raw decoder | '
          'peak RSS (GB) | frames decoded per view read |\n|---|---|---|---|'
          '---|')
    for name in args.variants:
        reference = reference_decoder(name)
        cells = [
            f'{rates[name]:.2f}' if name in rates else failed.get(name, ''),
            f'{rates[name] / rates[reference]:.2f}' if name in rates
            and reference in rates else '', f'{peaks[name] / 1e9:.1f}',
            f'{decoded[name]:.0f}' if name in decoded else ''
        ]
        print(f'| {name} | ' + ' | '.join(cells) + ' |')
    for name in args.variants:
        data, reader = VARIANTS[name]
        for copy_name in PREPARED:
            other = f'{copy_name}, {reader}'
            if data == 'raw' and name in rates and other in rates:
                print(f'{copy_name} / raw, {reader}: '
                      f'{rates[other] / rates[name]:.2f} (target >= 5)')
    for name in rates:
        reference = reference_decoder(name)
        if reference in rates:
            print(f'{name} / {reference}: '
                  f'{rates[name] / rates[reference]:.2f} (target >= 0.8)')


if __name__ == '__main__':
    main()
