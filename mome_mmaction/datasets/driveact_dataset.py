"""Drive&Act chunks, aligned across camera views."""
import csv
import logging
import os.path as osp
from collections import Counter
from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmengine.logging import MMLogger, print_log
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..utils.modalities import check_modality_mask_packed
from ..utils.random_states import seeded_random_states
from .transforms.synchronized_modality_transforms import VideoReadError

#: The 34 Drive&Act mid-level activities; class id = position.
DRIVEACT_MIDLEVEL_CLASSES: Tuple[str, ...] = (
    'closing_bottle', 'closing_door_inside', 'closing_door_outside',
    'closing_laptop', 'drinking', 'eating', 'entering_car', 'exiting_car',
    'fastening_seat_belt', 'fetching_an_object', 'interacting_with_phone',
    'looking_or_moving_around (e.g. searching)', 'opening_backpack',
    'opening_bottle', 'opening_door_inside', 'opening_door_outside',
    'opening_laptop', 'placing_an_object', 'preparing_food',
    'pressing_automation_button', 'putting_laptop_into_backpack',
    'putting_on_jacket', 'putting_on_sunglasses', 'reading_magazine',
    'reading_newspaper', 'sitting_still', 'taking_laptop_from_backpack',
    'taking_off_jacket', 'taking_off_sunglasses', 'talking_on_phone',
    'unfastening_seat_belt', 'using_multimedia_display', 'working_on_laptop',
    'writing')

#: Model-side modality key -> Drive&Act view.
DEFAULT_DRIVEACT_MODALITIES: Dict[str, str] = {
    'rgb': 'kinect_color',
    'ir': 'kinect_ir',
    'depth': 'kinect_depth'
}

DRIVEACT_CSV_COLUMNS: Tuple[str, ...] = ('participant_id', 'file_id',
                                         'annotation_id', 'frame_start',
                                         'frame_end', 'activity', 'chunk_id')
_INTEGER_COLUMNS = ('participant_id', 'annotation_id', 'frame_start',
                    'frame_end', 'chunk_id')

#: (participant_id, recording stem, annotation_id, chunk_id)
ChunkKey = Tuple[int, str, int, int]


class DriveActAnnotationError(ValueError):
    """A Drive&Act CSV is malformed or inconsistent; names file and row."""


def driveact_csv_path(data_root: str, view: str, split: int,
                      subset: str) -> str:
    """Path of a view's chunk CSV, e.g.
    ``activities_3s/kinect_ir/midlevel.chunks_90.split_0.train.csv``."""
    return osp.join(data_root, 'activities_3s', view,
                    f'midlevel.chunks_90.split_{split}.{subset}.csv')


def recording_stem(file_id: str) -> str:
    """``vp1/run1b_2018-05-29-14-02-47.kinect_color`` ->
    ``vp1/run1b_2018-05-29-14-02-47`` (the view suffix removed)."""
    folder, name = osp.split(file_id)
    return osp.join(folder, name.rsplit('.', 1)[0]) if '.' in name else \
        file_id


def read_driveact_view_csv(csv_file: str,
                           view: str,
                           data_root: str,
                           frame_end_inclusive: bool = False
                           ) -> Dict[ChunkKey, dict]:
    """Read one view's chunk CSV into chunk key -> chunk.

    Args:
        csv_file (str): The view's ``midlevel.chunks_90...csv``.
        view (str): The view folder name, e.g. ``kinect_ir``.
        data_root (str): Dataset root; videos are
            ``<data_root>/<view>/<file_id>.mp4``.
        frame_end_inclusive (bool): Whether ``frame_end`` is the last frame
            of the chunk (True) or one past it (False).

    Returns:
        dict: Chunk key (participant_id, recording stem, annotation_id,
        chunk_id) -> dict with ``view``, ``filename``, ``start_index``,
        ``total_frames``, ``frame_start``, ``frame_end``, ``activity``,
        ``ann_file`` and ``ann_row`` (1-based line number in the CSV), in
        file order.

    Raises:
        FileNotFoundError: The CSV does not exist.
        DriveActAnnotationError: Wrong columns, a malformed or empty range,
            a non-integer field or a duplicated chunk key; the message names
            the file and row.
    """
    if not osp.isfile(csv_file):
        raise FileNotFoundError(f'Drive&Act annotation file {csv_file} '
                                f'(view {view}) does not exist')
    chunks: Dict[ChunkKey, dict] = {}
    with open(csv_file, newline='') as stream:
        reader = csv.DictReader(stream)
        columns = [name.strip() for name in (reader.fieldnames or [])]
        missing = [
            name for name in DRIVEACT_CSV_COLUMNS if name not in columns
        ]
        if missing:
            raise DriveActAnnotationError(
                f'{csv_file} row 1: header {columns} lacks columns '
                f'{missing}; expected {list(DRIVEACT_CSV_COLUMNS)}')
        reader.fieldnames = columns
        for row in reader:
            line = reader.line_num
            if None in row or any(row[name] is None for name in columns):
                raise DriveActAnnotationError(
                    f'{csv_file} row {line}: expected {len(columns)} fields '
                    f'({",".join(columns)}), got {row}')
            try:
                values = {name: int(row[name]) for name in _INTEGER_COLUMNS}
            except ValueError as error:
                raise DriveActAnnotationError(
                    f'{csv_file} row {line}: non-integer field: '
                    f'{error}') from None
            file_id = row['file_id'].strip()
            start = values['frame_start']
            length = values['frame_end'] - start + int(frame_end_inclusive)
            if start < 0 or length <= 0:
                raise DriveActAnnotationError(
                    f'{csv_file} row {line}: empty or negative frame range '
                    f'frame_start={start}, frame_end={values["frame_end"]} '
                    f'(frame_end_inclusive={frame_end_inclusive})')
            key = (values['participant_id'], recording_stem(file_id),
                   values['annotation_id'], values['chunk_id'])
            if key in chunks:
                raise DriveActAnnotationError(
                    f'{csv_file} row {line}: duplicated chunk (participant_id,'
                    f' recording, annotation_id, chunk_id) = {key}, first at '
                    f'row {chunks[key]["ann_row"]}')
            chunks[key] = dict(
                view=view,
                filename=osp.join(data_root, view, file_id + '.mp4'),
                start_index=start,
                total_frames=length,
                frame_start=start,
                frame_end=values['frame_end'],
                activity=row['activity'].strip(),
                ann_file=csv_file,
                ann_row=line)
    return chunks


def load_driveact_samples(data_root: str,
                          split: int,
                          subset: str,
                          modalities: Dict[str, str],
                          classes: Sequence[str],
                          frame_end_inclusive: bool = False,
                          on_missing_view: str = 'error'
                          ) -> Tuple[List[dict], Dict[str, List[dict]]]:
    """Read every view's CSV of a split/subset and align their chunks.

    Args:
        data_root (str): Dataset root.
        split (int): Split 0, 1 or 2.
        subset (str): ``train``, ``val`` or ``test``.
        modalities (dict[str, str]): Model key -> view; the first is the
            reference whose row order the samples follow.
        classes (Sequence[str]): Activity names; label = position.
        frame_end_inclusive (bool): See :func:`read_driveact_view_csv`.
        on_missing_view (str): A chunk some views have and another lacks:
            ``'error'`` raises, ``'skip'`` leaves the chunk out.

    Returns:
        tuple[list[dict], dict[str, list[dict]]]: One sample per chunk in
        every view, with ``label``, ``activity``, ``participant_id``,
        ``recording``, ``annotation_id``, ``chunk_id`` and
        ``modality_infos`` (key -> the view's chunk, see
        :func:`read_driveact_view_csv`); and per modality key the chunks
        (of another view) it lacks, empty lists when nothing is missing.

    Raises:
        DriveActAnnotationError: As :func:`read_driveact_view_csv`, a chunk
            present in one view and not another (``on_missing_view=
            'error'``), activities that disagree across views, or an
            activity not in ``classes``.
    """
    if on_missing_view not in ('error', 'skip'):
        raise ValueError("on_missing_view must be 'error' or 'skip', got "
                         f'{on_missing_view!r}')
    if not modalities:
        raise ValueError('modalities must map at least one model key to a '
                         'view, e.g. {"rgb": "kinect_color"}')
    class_ids = {name: index for index, name in enumerate(classes)}
    chunks_per_key = {
        key:
        read_driveact_view_csv(
            driveact_csv_path(data_root, view, split, subset), view, data_root,
            frame_end_inclusive)
        for key, view in modalities.items()
    }
    keys = list(modalities)
    missing = _missing_chunks(chunks_per_key)
    if on_missing_view == 'error':
        for key, chunks in missing.items():
            if chunks:
                chunk = chunks[0]
                raise DriveActAnnotationError(
                    f'chunk (participant_id, recording, annotation_id, '
                    f'chunk_id) = {chunk["chunk_key"]} at '
                    f'{chunk["ann_file"]} row {chunk["ann_row"]} is missing '
                    'from ' + driveact_csv_path(data_root, modalities[key],
                                                split, subset) +
                    " (on_missing_view='skip' leaves such chunks out)")
    skipped = {
        chunk['chunk_key']
        for chunks in missing.values()
        for chunk in chunks
    }
    reference = {
        chunk_key: chunk
        for chunk_key, chunk in chunks_per_key[keys[0]].items()
        if chunk_key not in skipped
    }
    samples = []
    for chunk_key, reference_chunk in reference.items():
        activity = reference_chunk['activity']
        for key in keys[1:]:
            other = chunks_per_key[key][chunk_key]
            if other['activity'] != activity:
                raise DriveActAnnotationError(
                    f'activity {other["activity"]!r} at {other["ann_file"]} '
                    f'row {other["ann_row"]} differs from {activity!r} at '
                    f'{reference_chunk["ann_file"]} row '
                    f'{reference_chunk["ann_row"]} for chunk {chunk_key}')
        if activity not in class_ids:
            raise DriveActAnnotationError(
                f'{reference_chunk["ann_file"]} row '
                f'{reference_chunk["ann_row"]}: unknown activity '
                f'{activity!r}; classes are {list(classes)}')
        participant_id, recording, annotation_id, chunk_id = chunk_key
        samples.append(
            dict(
                label=class_ids[activity],
                activity=activity,
                participant_id=participant_id,
                recording=recording,
                annotation_id=annotation_id,
                chunk_id=chunk_id,
                modality_infos={
                    key: chunks_per_key[key][chunk_key]
                    for key in keys
                }))
    return samples, missing


def _missing_chunks(chunks_per_key: Dict[str, Dict[ChunkKey,
                                                   dict]]) -> Dict[str, List]:
    """Per modality key, the chunks other views have and it lacks (the
    first view's copy of each, with its ``chunk_key``), in file order."""
    every_chunk: Dict[ChunkKey, dict] = {}
    for chunks in chunks_per_key.values():
        for chunk_key, chunk in chunks.items():
            every_chunk.setdefault(chunk_key, chunk)
    return {
        key: [
            dict(chunk, chunk_key=chunk_key)
            for chunk_key, chunk in every_chunk.items()
            if chunk_key not in chunks
        ]
        for key, chunks in chunks_per_key.items()
    }


@DATASETS.register_module()
class DriveActDataset(BaseActionDataset):
    """Drive&Act activity chunks with one aligned video per modality.

    Reads ``<data_root>/activities_3s/<view>/midlevel.chunks_90.split_<split>
    .<subset>.csv`` of every view in ``modalities``; each view has its own
    frame numbering, and chunks are aligned by (participant_id, recording
    stem without the view suffix, annotation_id, chunk_id). Each sample's
    ``modality_infos[key]`` holds that view's ``filename``
    (``<data_root>/<view>/<file_id>.mp4``), ``start_index`` and
    ``total_frames`` of the chunk, plus ``ann_file`` / ``ann_row`` for error
    messages; ``label`` is the activity's position in ``classes``. Use
    :class:`SynchronizedModalityTransforms` in the pipeline to read them.

    Args:
        data_root (str): Dataset root.
        split (int): Participant split, 0, 1 or 2.
        subset (str): ``'train'``, ``'val'`` or ``'test'``.
        pipeline (list[dict | callable]): Transforms.
        modalities (dict[str, str], optional): Model key -> view, any subset
            and order (the first is the reference). Defaults to None, i.e.
            ``{'rgb': 'kinect_color', 'ir': 'kinect_ir',
            'depth': 'kinect_depth'}``.
        classes (Sequence[str], optional): Activity names, label = position.
            Defaults to None, i.e. the 34 mid-level activities.
        frame_end_inclusive (bool): Whether ``frame_end`` is the chunk's last
            frame. Defaults to False (exclusive).
        on_missing_view (str): A chunk that one view's CSV has and another's
            lacks: ``'error'`` (default) raises
            :class:`DriveActAnnotationError` naming it; ``'skip'`` leaves it
            out, logs per view how many it lacks when the dataset is built
            (in the main process) and writes the skipped chunks to
            ``missing_view_chunks.split_<split>.<subset>.csv`` next to the
            run's log file (``<work_dir>/<timestamp>/``); they are also in
            ``missing_view_chunks`` (modality key -> chunks).
        skip_unreadable (bool): Training only: a sample whose video is
            missing or cannot be decoded is skipped (another sample is drawn),
            counted per path in ``skipped_videos`` and logged with its
            path. Defaults to False (raise :class:`VideoReadError`).
        test_mode (bool): Validation/testing. Defaults to False.
        **kwargs: Passed to :class:`BaseActionDataset`.
    """

    def __init__(self,
                 data_root: str,
                 split: int,
                 subset: str,
                 pipeline: List[Union[dict, Callable]],
                 modalities: Optional[Dict[str, str]] = None,
                 classes: Optional[Sequence[str]] = None,
                 frame_end_inclusive: bool = False,
                 on_missing_view: str = 'error',
                 skip_unreadable: bool = False,
                 test_mode: bool = False,
                 **kwargs) -> None:
        if split not in (0, 1, 2):
            raise ValueError(f'split must be 0, 1 or 2, got {split!r}')
        if subset not in ('train', 'val', 'test'):
            raise ValueError(
                f"subset must be 'train', 'val' or 'test', got {subset!r}")
        if skip_unreadable and test_mode:
            raise ValueError('skip_unreadable is for training only; testing '
                             'never skips samples')
        check_modality_mask_packed(pipeline, type(self).__name__)
        self.split = split
        self.subset = subset
        self.modalities = dict(modalities or DEFAULT_DRIVEACT_MODALITIES)
        self.classes = tuple(classes or DRIVEACT_MIDLEVEL_CLASSES)
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f'classes has duplicates: {self.classes}')
        self.frame_end_inclusive = frame_end_inclusive
        self.on_missing_view = on_missing_view
        self.missing_view_chunks: Dict[str, List[dict]] = {}
        self.skip_unreadable = skip_unreadable
        self.skipped_videos: Counter = Counter()
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.setdefault('classes', self.classes)
        reference_view = next(iter(self.modalities.values()))
        super().__init__(
            # Joined with data_root by mmengine; for information only.
            ann_file=driveact_csv_path('', reference_view, split, subset),
            pipeline=pipeline,
            data_root=data_root,
            test_mode=test_mode,
            metainfo=metainfo,
            num_classes=len(self.classes),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read and align the views' CSVs (see :func:`load_driveact_samples`).
        """
        samples, self.missing_view_chunks = load_driveact_samples(
            self.data_root, self.split, self.subset, self.modalities,
            self.classes, self.frame_end_inclusive, self.on_missing_view)
        if any(self.missing_view_chunks.values()):
            self._report_missing_view_chunks()
        return samples

    def _report_missing_view_chunks(self) -> None:
        """Log per view how many chunks it lacks; write them to a CSV next
        to the current log file."""
        logger = MMLogger.get_current_instance()
        log_files = [
            handler.baseFilename for handler in logger.handlers
            if isinstance(handler, logging.FileHandler)
        ]
        skipped = {
            chunk['chunk_key']
            for chunks in self.missing_view_chunks.values()
            for chunk in chunks
        }
        counts = ', '.join(f'{self.modalities[key]} lacks {len(chunks)}'
                           for key, chunks in self.missing_view_chunks.items())
        message = (f'DriveActDataset split {self.split} {self.subset}: '
                   f'skipped {len(skipped)} chunks missing from a view '
                   f"(on_missing_view='skip'): {counts}")
        if log_files:
            out_file = osp.join(
                osp.dirname(log_files[0]), 'missing_view_chunks.split_'
                f'{self.split}.{self.subset}.csv')
            with open(out_file, 'w', newline='') as stream:
                writer = csv.writer(stream)
                writer.writerow(
                    ('missing_from_view', 'participant_id', 'recording',
                     'annotation_id', 'chunk_id', 'present_in', 'row'))
                for key, chunks in self.missing_view_chunks.items():
                    for chunk in chunks:
                        writer.writerow(
                            (self.modalities[key], *chunk['chunk_key'],
                             chunk['ann_file'], chunk['ann_row']))
            message += f'; the chunks are listed in {out_file}'
        print_log(message, logger=logger, level=logging.WARNING)

    def get_cat_ids(self, idx: int) -> List[int]:
        """The sample's class id, as mmengine's ``ClassBalancedDataset``
        needs; ``[label]``."""
        return [self.get_data_info(idx)['label']]

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the pipeline; with ``skip_unreadable``, a missing or
        unreadable video returns None (mmengine then draws another sample).
        An index from :class:`SampleSeededSampler` runs it with the random
        generators seeded from its ``sample_seed`` (restored afterwards).
        """
        seed = getattr(idx, 'sample_seed', None)
        try:
            if seed is None:
                return super().prepare_data(idx)
            with seeded_random_states(seed):
                return super().prepare_data(idx)
        except VideoReadError as error:
            if not self.skip_unreadable or self.test_mode:
                raise
            self.skipped_videos[error.filename] += 1
            print_log(
                f'skipped sample {idx} ({sum(self.skipped_videos.values())} '
                f'skipped so far in this process): {error}',
                logger='current',
                level=logging.WARNING)
            return None
