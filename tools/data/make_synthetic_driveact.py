"""Write a small synthetic dataset with the exact Drive&Act layout.

Usage: ``python tools/data/make_synthetic_driveact.py OUT [--preset hard]
[--seed S] [--participants N] [--annotations-per-class K] [--chunk-len L]
[--corrupt-prob P] [--difficulty D] [--classes NAME ...]``.

Three views (kinect_color 80x64, kinect_ir and kinect_depth 64x64), one long
recording per participant, chunks with per-view frame numbers, 3 participant
splits and motion classes (see
``mome_mmaction.datasets.synthetic.driveact``). The same seed writes the
same data. ``--preset hard`` writes the benchmark data of the synthetic
configs (``configs/_base_/datasets/synthetic_driveact.py``: 10 classes,
difficulty 0.5, per-camera failures); an option given after it overrides it.
Without a preset: the 5 flip-invariant classes at difficulty 0.
"""
import argparse
import time
from mmengine.logging import print_log

from mome_mmaction.datasets.synthetic import make_synthetic_driveact
from mome_mmaction.datasets.synthetic.driveact import (
    SYNTHETIC_DRIVEACT_CLASSES, SYNTHETIC_DRIVEACT_HARD)

PRESETS = dict(hard=SYNTHETIC_DRIVEACT_HARD)
DEFAULTS = dict(
    annotations_per_class=6,
    corrupt_prob=0.5,
    difficulty=0.,
    classes=SYNTHETIC_DRIVEACT_CLASSES)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output folder (the data_root)')
    parser.add_argument(
        '--preset', choices=sorted(PRESETS), help='a named data setting')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--participants',
        type=int,
        default=6,
        help='participants, one recording each (>= 3)')
    parser.add_argument(
        '--annotations-per-class',
        type=int,
        help='annotations of each class per recording (default 6)')
    parser.add_argument(
        '--chunk-len',
        type=int,
        default=16,
        help='frames per chunk (Drive&Act: 90)')
    parser.add_argument(
        '--corrupt-prob',
        type=float,
        help='chance an annotation has failing views (default 0.5)')
    parser.add_argument(
        '--difficulty',
        type=float,
        help='0 (default) to 1: subtler motions, clutter, per-camera and '
        'misleading failures')
    parser.add_argument(
        '--classes',
        nargs='+',
        help='activities (default: the 5 '
        'flip-invariant ones)')
    args = parser.parse_args()
    settings = dict(DEFAULTS, **PRESETS.get(args.preset, {}))
    for key in settings:
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    args.settings = settings
    return args


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    meta = make_synthetic_driveact(
        args.out,
        seed=args.seed,
        num_participants=args.participants,
        chunk_len=args.chunk_len,
        progress=True,
        **args.settings)
    failing = sum(bool(chunk['failures']) for chunk in meta['chunks'])
    print_log(
        f'wrote {len(meta["recordings"])} recordings x 3 views, '
        f'{len(meta["chunks"])} chunks ({failing} with failing views), '
        f'{len(meta["classes"])} classes, difficulty {meta["difficulty"]} '
        f'to {args.out} in {time.perf_counter() - start:.1f} s',
        logger='current')


if __name__ == '__main__':
    main()
