import csv
import json
import logging
import numpy as np
import pytest
import shutil
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger

from mome_mmaction.datasets import (DRIVEACT_MIDLEVEL_CLASSES,
                                    DriveActAnnotationError, FrameRangeError,
                                    VideoReadError)
from mome_mmaction.datasets.synthetic import (SYNTHETIC_DRIVEACT_CLASSES,
                                              decode_instant)

VIEWS = dict(rgb='kinect_color', ir='kinect_ir', depth='kinect_depth')
DECODE_ONLY = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='DecordInit'),
            dict(
                type='SampleFrames', clip_len=4, frame_interval=3,
                num_clips=1),
            dict(type='DecordDecode'),
        ])
]


def _build(root, pipeline=DECODE_ONLY, **kwargs):
    cfg = dict(
        type='DriveActDataset',
        data_root=str(root),
        split=0,
        subset='train',
        modalities=VIEWS,
        classes=SYNTHETIC_DRIVEACT_CLASSES,
        pipeline=pipeline)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def _csv(root, view, split=0, subset='train'):
    return (root / 'activities_3s' / view /
            f'midlevel.chunks_90.split_{split}.{subset}.csv')


def _read_rows(path):
    with open(path, newline='') as stream:
        return list(csv.reader(stream))


def _write_rows(path, rows):
    with open(path, 'w', newline='') as stream:
        csv.writer(stream).writerows(rows)


@pytest.fixture
def dataset_copy(synthetic_driveact_root, tmp_path):
    """A private copy to break."""
    root = tmp_path / 'driveact'
    shutil.copytree(synthetic_driveact_root, root)
    return root


def test_samples_carry_each_views_own_chunk(synthetic_driveact_root):
    root = synthetic_driveact_root
    dataset = _build(root)
    rows = {
        key: _read_rows(_csv(root, view))[1:]
        for key, view in VIEWS.items()
    }
    assert len(dataset) == len(rows['rgb'])
    meta = json.loads((root / 'synthetic_driveact.json').read_text())
    assert dataset.metainfo['classes'] == SYNTHETIC_DRIVEACT_CLASSES
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert info['label'] == SYNTHETIC_DRIVEACT_CLASSES.index(
            info['activity'])
        delays = meta['recordings'][info['recording']]['delays']
        for key, view in VIEWS.items():
            chunk = info['modality_infos'][key]
            participant, file_id, annotation, start, end, activity, chunk_id \
                = rows[key][index]
            assert file_id == f'{info["recording"]}.{view}'
            assert chunk['filename'] == str(root / view / (file_id + '.mp4'))
            assert chunk['start_index'] == int(start)
            assert chunk['total_frames'] == int(end) - int(start)
            assert chunk['ann_row'] == index + 2
            # The same instant lies at another frame number in each view.
            assert chunk['start_index'] + delays[view] == (
                info['modality_infos']['rgb']['start_index'] +
                delays['kinect_color'])
            if key != 'rgb':  # IR and depth start recording later
                assert chunk['start_index'] < (
                    info['modality_infos']['rgb']['start_index'])


def test_decoded_frames_of_all_views_show_the_same_instant(
        synthetic_driveact_root):
    dataset = _build(synthetic_driveact_root)
    for index in range(len(dataset)):
        np.random.seed(index)
        results = dataset.pipeline(dataset.get_data_info(index))
        instants = {
            key: [decode_instant(frame) for frame in results[key]]
            for key in VIEWS
        }
        assert instants['rgb'] == instants['ir'] == instants['depth']
        frame_inds = {
            key: results['modality_metas'][key]['frame_inds']
            for key in VIEWS
        }
        # ... from different frame numbers.
        assert np.all(frame_inds['ir'] < frame_inds['rgb'])
        assert np.all(frame_inds['depth'] < frame_inds['rgb'])
        # Sampled inside the chunk of the reference view.
        chunk = dataset.get_data_info(index)['modality_infos']['rgb']
        assert all(chunk['start_index'] <= inds < chunk['start_index'] +
                   chunk['total_frames'] for inds in frame_inds['rgb'])


@pytest.mark.parametrize('modalities', [
    dict(depth='kinect_depth'),
    dict(ir='kinect_ir', rgb='kinect_color'),
    dict(rgb='kinect_color', ir='kinect_ir', depth='kinect_depth'),
])
def test_one_two_three_modalities_feed_multimodal_preprocessor(
        synthetic_driveact_root, modalities):
    keys = tuple(modalities)
    pipeline = [
        dict(
            type='SynchronizedModalityTransforms',
            transforms=[
                dict(type='DecordInit'),
                dict(
                    type='SampleFrames',
                    clip_len=4,
                    frame_interval=3,
                    num_clips=1,
                    test_mode=True),
                dict(type='DecordDecode'),
                dict(type='Resize', scale=(36, 36), keep_ratio=False),
                dict(type='CenterCrop', crop_size=32),
                dict(type='FormatShape', input_format='NCTHW'),
            ]),
        dict(type='PackActionInputs', collect_keys=keys)
    ]
    dataset = _build(
        synthetic_driveact_root,
        pipeline,
        modalities=modalities,
        subset='val',
        test_mode=True)
    batch = pseudo_collate([dataset[0], dataset[1]])
    assert set(batch['inputs']) == set(keys)
    means = dict(rgb=10., ir=20., depth=30.)
    preprocessor = MODELS.build(
        dict(
            type='MultiModalDataPreprocessor',
            preprocessors={
                key:
                dict(
                    type='ActionDataPreprocessor',
                    mean=[means[key]] * 3,
                    std=[2.] * 3,
                    format_shape='NCTHW')
                for key in keys
            }))
    data = preprocessor(batch)
    labels = [sample.gt_label.item() for sample in data['data_samples']]
    assert labels == [dataset.get_data_info(i)['label'] for i in (0, 1)]
    for key in keys:
        raw = torch.stack(batch['inputs'][key]).float()
        assert data['inputs'][key].shape == (2, 1, 3, 4, 32, 32)
        torch.testing.assert_close(data['inputs'][key],
                                   (raw - means[key]) / 2.)


def test_default_classes_and_modalities(synthetic_driveact_root):
    dataset = _build(synthetic_driveact_root, modalities=None, classes=None)
    assert dataset.modalities == VIEWS
    assert len(DRIVEACT_MIDLEVEL_CLASSES) == 34
    assert dataset.metainfo['classes'] == DRIVEACT_MIDLEVEL_CLASSES
    info = dataset.get_data_info(0)
    assert info['label'] == DRIVEACT_MIDLEVEL_CLASSES.index(info['activity'])


def test_frame_end_inclusive(dataset_copy):
    for view in VIEWS.values():
        rows = _read_rows(_csv(dataset_copy, view))
        for row in rows[1:]:
            row[4] = str(int(row[4]) - 1)
        _write_rows(_csv(dataset_copy, view), rows)
    inclusive = _build(dataset_copy, frame_end_inclusive=True)
    exclusive = _build(dataset_copy)
    for key in VIEWS:
        first, second = (
            dataset.get_data_info(0)['modality_infos'][key]
            for dataset in (inclusive, exclusive))
        assert first['total_frames'] == second['total_frames'] + 1 == 16


def test_wrong_columns(dataset_copy):
    path = _csv(dataset_copy, 'kinect_ir')
    rows = _read_rows(path)
    rows[0][5] = 'label'
    _write_rows(path, rows)
    with pytest.raises(
            DriveActAnnotationError,
            match=rf"{path} row 1: header .* lacks columns "
            r"\['activity'\]"):
        _build(dataset_copy)


def test_duplicated_key(dataset_copy):
    path = _csv(dataset_copy, 'kinect_depth')
    rows = _read_rows(path)
    rows.insert(4, list(rows[2]))
    _write_rows(path, rows)
    with pytest.raises(
            DriveActAnnotationError,
            match=rf'{path} row 5: duplicated chunk .* first at '
            'row 3'):
        _build(dataset_copy)


def test_chunk_missing_from_one_view(dataset_copy):
    path = _csv(dataset_copy, 'kinect_ir')
    rows = _read_rows(path)
    removed = rows.pop(3)
    _write_rows(path, rows)
    rgb_csv = _csv(dataset_copy, 'kinect_color')
    with pytest.raises(DriveActAnnotationError) as error:
        _build(dataset_copy)
    message = str(error.value)
    assert f'at {rgb_csv} row 4 is missing from {path}' in message
    assert f"'{removed[1].rsplit('.', 1)[0]}', {removed[2]}, " \
        f'{removed[6]})' in message


def test_chunks_missing_from_a_view_skipped_and_reported(
        dataset_copy, tmp_path):
    ir_csv, depth_csv = (
        _csv(dataset_copy, view) for view in ('kinect_ir', 'kinect_depth'))
    num_chunks = len(_read_rows(ir_csv)) - 1
    removed = {}
    for path, row in ((ir_csv, 3), (depth_csv, 5)):
        rows = _read_rows(path)
        removed[path] = rows.pop(row)
        _write_rows(path, rows)
    log_dir = tmp_path / 'work_dir' / '20261203_000000'
    log_dir.mkdir(parents=True)
    logger = MMLogger.get_instance(
        'test_missing_view', log_file=str(log_dir / 'run.log'))
    dataset = _build(dataset_copy, on_missing_view='skip')
    assert len(dataset) == num_chunks - 2
    kept = {(info['recording'], info['annotation_id'], info['chunk_id'])
            for info in (dataset.get_data_info(index)
                         for index in range(len(dataset)))}
    for row in removed.values():
        assert (row[1].rsplit('.', 1)[0], int(row[2]), int(row[6])) \
            not in kept
    assert [len(chunks)
            for chunks in dataset.missing_view_chunks.values()] == [0, 1, 1]
    for handler in logger.handlers:
        handler.flush()
    log = (log_dir / 'run.log').read_text()
    assert ('skipped 2 chunks missing from a view (on_missing_view=\'skip\')'
            ': kinect_color lacks 0, kinect_ir lacks 1, kinect_depth lacks 1'
            in log)
    listed = _read_rows(log_dir / 'missing_view_chunks.split_0.train.csv')
    assert listed[0][0] == 'missing_from_view'
    assert sorted((row[0], row[2], row[4]) for row in listed[1:]) == sorted(
        (view, removed[path][1].rsplit('.', 1)[0], removed[path][6])
        for view, path in (('kinect_ir', ir_csv), ('kinect_depth', depth_csv)))
    with pytest.raises(ValueError, match="on_missing_view must be 'error'"):
        _build(dataset_copy, on_missing_view='drop')


def test_unknown_activity(dataset_copy):
    for view in VIEWS.values():
        path = _csv(dataset_copy, view)
        rows = _read_rows(path)
        rows[6][5] = 'juggling'
        _write_rows(path, rows)
    with pytest.raises(
            DriveActAnnotationError,
            match=rf"{_csv(dataset_copy, 'kinect_color')} row 7: "
            "unknown activity 'juggling'"):
        _build(dataset_copy)


def test_activity_disagreeing_across_views(dataset_copy):
    path = _csv(dataset_copy, 'kinect_depth')
    rows = _read_rows(path)
    rows[2][5] = 'juggling'
    _write_rows(path, rows)
    with pytest.raises(
            DriveActAnnotationError,
            match=rf"'juggling' at {path} row 3 differs"):
        _build(dataset_copy)


def test_non_integer_field_and_missing_csv(dataset_copy):
    path = _csv(dataset_copy, 'kinect_color')
    rows = _read_rows(path)
    rows[3][3] = 'ten'
    _write_rows(path, rows)
    with pytest.raises(
            DriveActAnnotationError,
            match=rf'{path} row 4: non-integer field'):
        _build(dataset_copy)
    _csv(dataset_copy, 'kinect_ir', subset='val').unlink()
    with pytest.raises(FileNotFoundError, match='split_0.val.csv'):
        _build(dataset_copy, subset='val', test_mode=True)


def test_frame_range_outside_video_when_read(dataset_copy):
    path = _csv(dataset_copy, 'kinect_ir')
    rows = _read_rows(path)
    rows[2][3], rows[2][4] = '990', '1006'
    _write_rows(path, rows)
    dataset = _build(dataset_copy)  # ranges are checked when read
    video = dataset.get_data_info(1)['modality_infos']['ir']['filename']
    with pytest.raises(
            FrameRangeError,
            match=rf'frames \[990, 1006\) outside the video .* '
            rf'{video}, row 3 of {path}'):
        dataset[1]


def test_missing_and_unreadable_videos(dataset_copy):
    dataset = _build(dataset_copy, subset='val', test_mode=True)
    infos = dataset.get_data_info(0)['modality_infos']
    missing, broken = infos['depth']['filename'], infos['ir']['filename']
    shutil.move(missing, missing + '.bak')
    with pytest.raises(
            VideoReadError, match=rf'missing video.*{missing}, row 2 of '):
        dataset[0]
    shutil.move(missing + '.bak', missing)
    with open(broken, 'wb') as stream:
        stream.write(b'not a video' * 100)
    with pytest.raises(
            VideoReadError, match=rf'unreadable video.*{broken}, row 2 of '):
        dataset[0]


def test_skip_unreadable_counts_and_logs(dataset_copy):
    dataset = _build(dataset_copy, skip_unreadable=True)
    broken = dataset.get_data_info(0)['modality_infos']['rgb']['filename']
    with open(broken, 'wb') as stream:
        stream.write(b'garbage')
    records = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        results = dataset[0]  # skipped, another sample is drawn instead
    finally:
        logger.removeHandler(handler)
    assert len(results['rgb']) == 4  # 4 decoded frames of a good sample
    assert results['modality_metas']['rgb']['filename'] != broken
    assert dataset.skipped_videos[broken] >= 1
    assert set(dataset.skipped_videos) == {broken}
    messages = [
        record.getMessage() for record in records
        if 'skipped sample' in record.getMessage()
    ]
    assert len(messages) == sum(dataset.skipped_videos.values())
    assert all(broken in message for message in messages)
    with pytest.raises(ValueError, match='testing never skips'):
        _build(
            dataset_copy, skip_unreadable=True, test_mode=True, subset='test')


def test_bad_arguments(synthetic_driveact_root):
    with pytest.raises(ValueError, match='split must be 0, 1 or 2'):
        _build(synthetic_driveact_root, split=3)
    with pytest.raises(ValueError, match='subset must be'):
        _build(synthetic_driveact_root, subset='training')


def test_a_modality_mask_the_packing_would_drop_is_an_error(
        synthetic_driveact_root):
    masked = DECODE_ONLY + [
        dict(type='DropModality', modality='ir', mask=True)
    ]
    with pytest.raises(
            ValueError,
            match=r"DropModality\(mask=True\).*add 'modality_mask"):
        _build(
            synthetic_driveact_root,
            pipeline=masked + [dict(type='PackActionInputs')])
    dataset = _build(
        synthetic_driveact_root,
        pipeline=masked + [
            dict(
                type='PackActionInputs',
                collect_keys=('rgb', 'ir', 'depth'),
                meta_keys=('modality_mask', ))
        ])
    assert dataset[0]['data_samples'].modality_mask == dict(ir=False)
