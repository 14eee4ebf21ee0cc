"""Write a small synthetic dataset with the exact Drive&Act layout.

Usage: ``python tools/data/make_synthetic_driveact.py OUT [--seed S]
[--participants N] [--annotations-per-class K] [--chunk-len L]
[--corrupt-prob P]``.

Three views (kinect_color 80x64, kinect_ir and kinect_depth 64x64), one long
recording per participant, chunks with per-view frame numbers, 3 participant
splits and 5 motion classes (see
``mome_mmaction.datasets.synthetic_driveact``). The same seed writes the
same data. Configs: ``configs/_base_/datasets/synthetic_driveact.py``.
"""
import argparse
import time

from mmengine.logging import print_log

from mome_mmaction.datasets import make_synthetic_driveact


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output folder (the data_root)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--participants',
        type=int,
        default=6,
        help='participants, one recording each (>= 3)')
    parser.add_argument(
        '--annotations-per-class',
        type=int,
        default=6,
        help='annotations of each class per recording (6: the demo data)')
    parser.add_argument(
        '--chunk-len',
        type=int,
        default=16,
        help='frames per chunk (Drive&Act: 90)')
    parser.add_argument(
        '--corrupt-prob',
        type=float,
        default=0.5,
        help='chance an annotation has one view dark/noisy')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    meta = make_synthetic_driveact(
        args.out,
        seed=args.seed,
        num_participants=args.participants,
        annotations_per_class=args.annotations_per_class,
        chunk_len=args.chunk_len,
        corrupt_prob=args.corrupt_prob,
        progress=True)
    corrupted = sum(chunk['corrupted_view'] is not None
                    for chunk in meta['chunks'])
    print_log(
        f'wrote {len(meta["recordings"])} recordings x 3 views, '
        f'{len(meta["chunks"])} chunks ({corrupted} with one view corrupted),'
        f' {len(meta["classes"])} classes to {args.out} in '
        f'{time.perf_counter() - start:.1f} s',
        logger='current')


if __name__ == '__main__':
    main()
