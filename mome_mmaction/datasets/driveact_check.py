"""Check a whole Drive&Act-layout dataset up front (``check_driveact.py``)."""
import numpy as np
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

from ..utils.progress import LogFriendlyProgressBar
from .driveact_dataset import (DEFAULT_DRIVEACT_MODALITIES,
                               DRIVEACT_MIDLEVEL_CLASSES, driveact_csv_path,
                               load_driveact_samples, read_driveact_view_csv)

SUBSETS = ('train', 'val', 'test')


def check_driveact(data_root: str,
                   modalities: Optional[Dict[str, str]] = None,
                   classes: Optional[Sequence[str]] = None,
                   splits: Sequence[int] = (0, 1, 2),
                   subsets: Sequence[str] = SUBSETS,
                   frame_end_inclusive: bool = False,
                   progress: bool = True) -> Tuple[List[str], Dict]:
    """Check every CSV, the view alignment and that every range decodes.

    For each split and subset: each view's CSV is read (columns, fields,
    duplicated keys), the views are aligned and activities looked up
    (:func:`load_driveact_samples`). Then every video is opened once with
    decord and, for every chunk in it, the range is checked against the
    video's length and its first and last frames are decoded.

    Args:
        data_root (str): Dataset root.
        modalities (dict[str, str], optional): Model key -> view. Defaults
            to colour, IR and depth.
        classes (Sequence[str], optional): Class list; defaults to the 34
            mid-level activities.
        splits (Sequence[int]): Splits to check.
        subsets (Sequence[str]): Subsets to check.
        frame_end_inclusive (bool): See :class:`DriveActDataset`.
        progress (bool): Show a progress bar over the chunk ranges.

    Returns:
        tuple[list[str], dict]: The errors (empty when the dataset is good)
        and the counts ``{(split, subset): Counter(activity -> chunks)}``.
    """
    import decord
    modalities = dict(modalities or DEFAULT_DRIVEACT_MODALITIES)
    classes = tuple(classes or DRIVEACT_MIDLEVEL_CLASSES)
    errors, counts = [], {}
    # video -> {(start, length): (csv file, row)}
    ranges: Dict[str, Dict[Tuple[int, int], Tuple[str,
                                                  int]]] = defaultdict(dict)
    for split in splits:
        for subset in subsets:
            for view in modalities.values():
                try:
                    chunks = read_driveact_view_csv(
                        driveact_csv_path(data_root, view, split, subset),
                        view, data_root, frame_end_inclusive)
                except (OSError, ValueError) as error:
                    errors.append(str(error))
                    continue
                for chunk in chunks.values():
                    ranges[chunk['filename']].setdefault(
                        (chunk['start_index'], chunk['total_frames']),
                        (chunk['ann_file'], chunk['ann_row']))
            try:
                samples, _ = load_driveact_samples(data_root, split, subset,
                                                   modalities, classes,
                                                   frame_end_inclusive)
            except (OSError, ValueError) as error:
                message = str(error)
                if message not in errors:
                    errors.append(message)
                continue
            counts[(split, subset)] = Counter(sample['activity']
                                              for sample in samples)
    num_ranges = sum(len(video_ranges) for video_ranges in ranges.values())
    bar = (
        LogFriendlyProgressBar(num_ranges, desc='check')
        if progress and num_ranges else None)
    for filename, video_ranges in sorted(ranges.items()):
        try:
            reader = decord.VideoReader(filename, num_threads=1)
        except Exception as error:  # decord raises its own DECORDError
            first = min(video_ranges.values())
            errors.append(f'missing or unreadable video {filename} (first '
                          f'used at {first[0]} row {first[1]}): {error}')
            if bar:
                for _ in video_ranges:
                    bar.update()
            continue
        num_frames = len(reader)
        for (start, length), (ann_file, row) in sorted(video_ranges.items()):
            if start + length > num_frames:
                errors.append(f'{ann_file} row {row}: frames [{start}, '
                              f'{start + length}) outside video {filename} '
                              f'({num_frames} frames)')
            else:
                try:
                    reader.get_batch([start, start + length - 1]).asnumpy()
                except Exception as error:
                    errors.append(f'{ann_file} row {row}: cannot decode '
                                  f'frames {start} and {start + length - 1} '
                                  f'of {filename}: {error}')
            if bar:
                bar.update()
        del reader
    return errors, counts


def format_class_counts(counts: Dict, classes: Sequence[str]) -> str:
    """A table of chunks per class (rows) and split/subset (columns); classes
    without chunks anywhere are summed up in one line."""
    columns = sorted(
        counts,
        key=lambda column: (column[0], SUBSETS.index(column[1])
                            if column[1] in SUBSETS else len(SUBSETS)))
    absent = [
        name for name in classes
        if not any(counts[column][name] for column in columns)
    ]
    classes = [name for name in classes if name not in absent]
    names = [f'split_{split}.{subset}' for split, subset in columns]
    width = max(len(name) for name in classes) if classes else 8
    lines = ['class'.ljust(width) + ''.join(f'{name:>16}' for name in names)]
    for name in classes:
        lines.append(
            name.ljust(width) + ''.join(f'{counts[column][name]:>16}'
                                        for column in columns))
    lines.append('total'.ljust(width) +
                 ''.join(f'{sum(counts[column].values()):>16}'
                         for column in columns))
    if absent:
        lines.append(f'{len(absent)} classes without chunks: {absent}')
    return '\n'.join(lines)


#: Upper bounds (exclusive) of the chunk-length histogram's bins.
CHUNK_LENGTH_BINS = (8, 16, 32, 48, 64)


def _length_bin(length: int) -> str:
    lower = 1
    for upper in CHUNK_LENGTH_BINS:
        if length < upper:
            return f'{lower}-{upper - 1}'
        lower = upper
    return f'>={lower}'


def view_report(data_root: str,
                modalities: Optional[Dict[str, str]] = None,
                classes: Optional[Sequence[str]] = None,
                splits: Sequence[int] = (0, 1, 2),
                subsets: Sequence[str] = SUBSETS,
                frame_end_inclusive: bool = False) -> str:
    """What each view's CSVs and videos hold, as text.

    Per view: rows per split/subset, recordings, a histogram of chunk
    lengths, the ratio of the CSV's frame numbering (a recording's largest
    ``frame_end``) to its video's frame count with the video's fps (about
    0.5 means the CSV counts at half the video's rate), the chunks other
    views have and this one lacks, and labels outside ``classes``. Chunks
    are counted once across splits. CSVs that cannot be read are left out
    (:func:`check_driveact` reports them).

    Args:
        data_root (str): Dataset root.
        modalities (dict[str, str], optional): Model key -> view.
        classes (Sequence[str], optional): The class list.
        splits (Sequence[int]): Splits to read.
        subsets (Sequence[str]): Subsets to read.
        frame_end_inclusive (bool): See :class:`DriveActDataset`.

    Returns:
        str: The report, a paragraph per view.
    """
    import decord
    modalities = dict(modalities or DEFAULT_DRIVEACT_MODALITIES)
    known = set(classes or DRIVEACT_MIDLEVEL_CLASSES)
    chunks = {view: {} for view in modalities.values()}  # key -> chunk
    rows = {view: Counter() for view in modalities.values()}
    missing = {view: set() for view in modalities.values()}
    for split in splits:
        for subset in subsets:
            per_view = {}
            for view in modalities.values():
                try:
                    per_view[view] = read_driveact_view_csv(
                        driveact_csv_path(data_root, view, split, subset),
                        view, data_root, frame_end_inclusive)
                except (OSError, ValueError):
                    continue
                rows[view][f'split_{split}.{subset}'] = len(per_view[view])
                chunks[view].update(per_view[view])
            every_key = set().union(*per_view.values()) if per_view else set()
            for view, view_chunks in per_view.items():
                missing[view] |= every_key - set(view_chunks)
    lines = []
    for view, view_chunks in chunks.items():
        recordings = {chunk['filename'] for chunk in view_chunks.values()}
        lines.append(f'view {view}: ' +
                     ', '.join(f'{name} {count}'
                               for name, count in rows[view].items()) +
                     f' rows; {len(view_chunks)} chunks in '
                     f'{len(recordings)} recordings')
        if not view_chunks:
            continue
        histogram = Counter(
            _length_bin(chunk['total_frames'])
            for chunk in view_chunks.values())
        bins = [_length_bin(upper - 1) for upper in CHUNK_LENGTH_BINS
                ] + [_length_bin(CHUNK_LENGTH_BINS[-1])]
        lengths = [chunk['total_frames'] for chunk in view_chunks.values()]
        lines.append('  chunk length (frames): ' +
                     ' | '.join(f'{name}: {histogram[name]}'
                                for name in bins) +
                     f' (min {min(lengths)}, median '
                     f'{int(np.median(lengths))}, max {max(lengths)})')
        last_frame = defaultdict(int)
        for chunk in view_chunks.values():
            last_frame[chunk['filename']] = max(last_frame[chunk['filename']],
                                                chunk['frame_end'])
        ratios, rates, unreadable = [], set(), 0
        for filename, frame_end in sorted(last_frame.items()):
            try:
                reader = decord.VideoReader(filename, num_threads=1)
            except Exception:  # missing / unreadable: check_driveact says
                unreadable += 1
                continue
            ratios.append(frame_end / len(reader))
            rates.add(round(reader.get_avg_fps(), 2))
            del reader
        if ratios:
            lines.append(
                '  CSV frame numbering / video frames per recording: min '
                f'{min(ratios):.3f}, median {np.median(ratios):.3f}, max '
                f'{max(ratios):.3f}; video fps {sorted(rates)}' +
                (f'; {unreadable} videos unreadable' if unreadable else ''))
        others = {
            other: len(missing[view] & set(chunks[other]))
            for other in chunks if other != view
        }
        lines.append(f'  chunks this view lacks: {len(missing[view])}' +
                     (' (' + ', '.join(f'{count} of {other}'
                                       for other, count in others.items()) +
                      ')' if missing[view] else ''))
        unknown = Counter(chunk['activity'] for chunk in view_chunks.values()
                          if chunk['activity'] not in known)
        lines.append(
            f'  labels outside the class list: {sum(unknown.values())} '
            'chunks' + (f' {dict(unknown)}' if unknown else ''))
    return '\n'.join(lines)
