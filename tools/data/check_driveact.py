"""Check a Drive&Act-layout dataset before training.

Usage: ``python tools/data/check_driveact.py DATA_ROOT [--config CONFIG]
[--modalities rgb=kinect_color ir=kinect_ir ...] [--splits 0 1 2]
[--subsets train val test] [--frame-end-inclusive] [--no-progress]``.

Checks every split, subset and view: CSV columns and fields, duplicated
chunks, chunks missing from a view, unknown activities, and that every
chunk's frame range lies inside its video and decodes. Prints chunks per
class for each split/subset and, per view, its rows, recordings, chunk
lengths, CSV frame numbering against each video's frame count and fps,
chunks other views have and it lacks, and labels outside the class list;
exits with status 1 and the list of errors on
a bad dataset. ``--config`` takes ``classes`` and ``modalities`` from a
dataset config (e.g. ``configs/_base_/datasets/synthetic_driveact.py``);
otherwise the 34 mid-level classes and colour/IR/depth are used.
"""
import argparse
import sys
from mmengine.config import Config

from mome_mmaction.datasets.driveact_check import (check_driveact,
                                                   format_class_counts,
                                                   view_report)
from mome_mmaction.datasets.driveact_dataset import (
    DEFAULT_DRIVEACT_MODALITIES, DRIVEACT_MIDLEVEL_CLASSES)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root')
    parser.add_argument(
        '--config', help='dataset config giving classes '
        'and modalities')
    parser.add_argument(
        '--modalities',
        nargs='+',
        metavar='KEY=VIEW',
        help='e.g. rgb=kinect_color ir=kinect_ir')
    parser.add_argument('--splits', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument(
        '--subsets', nargs='+', default=['train', 'val', 'test'])
    parser.add_argument('--frame-end-inclusive', action='store_true')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    classes, modalities = DRIVEACT_MIDLEVEL_CLASSES, \
        DEFAULT_DRIVEACT_MODALITIES
    if args.config:
        cfg = Config.fromfile(args.config)
        classes = cfg.get('classes', classes)
        modalities = cfg.get('modalities', modalities)
    if args.modalities:
        modalities = dict(item.split('=', 1) for item in args.modalities)
    errors, counts = check_driveact(
        args.data_root,
        modalities,
        classes,
        args.splits,
        args.subsets,
        args.frame_end_inclusive,
        progress=not args.no_progress)
    print(f'\nviews: {dict(modalities)}')
    print(
        view_report(args.data_root, modalities, classes, args.splits,
                    args.subsets, args.frame_end_inclusive))
    if counts:
        print(format_class_counts(counts, classes))
    if errors:
        print(
            f'\n{len(errors)} error(s) in {args.data_root}:', file=sys.stderr)
        for error in errors:
            print(f'  {error}', file=sys.stderr)
        return 1
    print(f'\n{args.data_root}: OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
