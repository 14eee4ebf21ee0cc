"""Re-encode Drive&Act videos for fast random access.

Usage: ``python tools/data/prepare_driveact.py DATA_ROOT OUT
[--short-side 256] [--keyframe-interval 16] [--views V ...]
[--workers N] [--no-fast-decode]``.

Every video of the views is re-encoded (H.264, short side at most
``--short-side``, a keyframe every ``--keyframe-interval`` frames, same frame
rate and frame count, checked; x264 ``tune=fastdecode`` unless
``--no-fast-decode``) into ``OUT`` with the same layout, and the
annotation CSVs are copied, so the same configs run with
``--cfg-options {train,val,test}_dataloader.dataset.data_root=OUT``.
Resumable: finished videos (same frame count as their source) are skipped.
Needs PyAV (``pip install -e .[data]``).
"""
import argparse
import sys

import mome_mmaction  # noqa: F401  (stack fixes)
from mome_mmaction.datasets.driveact_prepare import (VideoPreparationError,
                                                     prepare_driveact)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('out')
    parser.add_argument('--short-side', type=int, default=256)
    parser.add_argument('--keyframe-interval', type=int, default=16)
    parser.add_argument(
        '--views',
        nargs='+',
        help='view folders (default: kinect_color kinect_ir kinect_depth)')
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument(
        '--no-fast-decode',
        action='store_true',
        help='encode without x264 tune=fastdecode (smaller, slower to '
        'decode)')
    args = parser.parse_args()
    try:
        done = prepare_driveact(
            args.data_root,
            args.out,
            args.short_side,
            args.keyframe_interval,
            args.views,
            args.workers,
            fast_decode=not args.no_fast_decode)
    except (FileNotFoundError, VideoPreparationError) as error:
        print(f'prepare_driveact: {error}', file=sys.stderr)
        return 1
    print(f'{args.out}: {len(done["encoded"])} videos encoded, '
          f'{len(done["skipped"])} already done')
    return 0


if __name__ == '__main__':
    sys.exit(main())
