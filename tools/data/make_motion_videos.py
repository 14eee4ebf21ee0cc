"""Write the 4-class moving-square videos of the smoke config.

Usage: ``python tools/data/make_motion_videos.py OUT [--videos-per-class N]
[--seed S]``; writes ``OUT/videos/*.mp4``, ``OUT/train.txt``, ``OUT/val.txt``.
"""
import argparse

from mome_mmaction.datasets.synthetic import make_motion_videos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out_dir')
    parser.add_argument('--videos-per-class', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    classes = make_motion_videos(
        args.out_dir, videos_per_class=args.videos_per_class, seed=args.seed)
    print(f'wrote {args.videos_per_class * len(classes)} videos of '
          f'{len(classes)} classes to {args.out_dir}')


if __name__ == '__main__':
    main()
