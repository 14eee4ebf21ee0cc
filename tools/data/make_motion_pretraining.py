"""Write the generic synthetic motion corpus that pretrains tiny experts.

Usage: ``python tools/data/make_motion_pretraining.py OUT
[--videos-per-class N] [--val-videos-per-class M] [--seed S] [--size 64]
[--frames F] [--workers W]``.

72 classes = shape (6) x motion (12, each with its time-reversed motion as
another class) over cluttered moving backgrounds, half the clips grey (see
``mome_mmaction.datasets.synthetic.motion_pretraining``), in MMAction2's
``VideoDataset`` format: ``OUT/videos/<class>/*.mp4``, ``OUT/train.txt``,
``OUT/val.txt``, ``OUT/classes.txt``. The same arguments write the same
frames; rerunning them completes an interrupted corpus (existing clips are
kept), other arguments into the same OUT are refused.
Config: ``configs/pretrain/uniformerv2_tiny_motion_pretrain.py``.
"""
import argparse
import time
from mmengine.logging import print_log

from mome_mmaction.datasets.synthetic import make_motion_pretraining


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output folder (the data_root)')
    parser.add_argument(
        '--videos-per-class',
        type=int,
        default=120,
        help='training clips per class')
    parser.add_argument(
        '--val-videos-per-class',
        type=int,
        default=8,
        help='validation clips per class')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--size', type=int, default=64, help='frame side (>= 64)')
    parser.add_argument(
        '--frames', type=int, default=16, help='frames per clip')
    parser.add_argument(
        '--workers',
        type=int,
        default=1,
        help='processes rendering and encoding clips')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    result = make_motion_pretraining(
        args.out,
        videos_per_class=args.videos_per_class,
        val_videos_per_class=args.val_videos_per_class,
        seed=args.seed,
        size=args.size,
        num_frames=args.frames,
        workers=args.workers,
        progress=True)
    print_log(
        f'{len(result["classes"])} classes in {args.out}: wrote '
        f'{result["written"]} clips, kept {result["skipped"]} existing, in '
        f'{time.perf_counter() - start:.1f} s',
        logger='current')


if __name__ == '__main__':
    main()
