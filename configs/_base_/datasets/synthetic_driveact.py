# Synthetic Drive&Act, written by
#   python tools/data/make_synthetic_driveact.py data/synthetic_driveact
# 3 views, 5 flip-invariant motion classes; 4 frames at 32x32 for the tiny
# UniFormerV2 (configs/_base_/models/uniformerv2_tiny.py: t_size=4,
# input_resolution=32). A model config inheriting this needs
# model.data_preprocessor = driveact_data_preprocessor (per-modality
# mean/std for MultiModalDataPreprocessor) and a recognizer taking the dict
# of inputs; change `modalities` and `collect_keys` together.
dataset_type = 'DriveActDataset'
data_root = 'data/synthetic_driveact'
split = 0
classes = [
    'fastening_seat_belt', 'unfastening_seat_belt', 'opening_laptop',
    'closing_laptop', 'looking_or_moving_around (e.g. searching)'
]
num_classes = 5
modalities = dict(rgb='kinect_color', ir='kinect_ir', depth='kinect_depth')
collect_keys = ('rgb', 'ir', 'depth')

# Colour is 80x64, IR/depth 64x64: resize every view to the same size before
# the random crop so all modalities get the same crop box.
train_pipeline = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='DecordInit'),
            dict(
                type='SampleFrames', clip_len=4, frame_interval=3,
                num_clips=1),
            dict(type='DecordDecode'),
            dict(type='Resize', scale=(40, 40), keep_ratio=False),
            dict(type='RandomResizedCrop', area_range=(0.6, 1.0)),
            dict(type='Resize', scale=(32, 32), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5),
            dict(type='FormatShape', input_format='NCTHW'),
        ]),
    dict(type='PackActionInputs', collect_keys=collect_keys)
]
val_pipeline = [
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
    dict(type='PackActionInputs', collect_keys=collect_keys)
]
test_pipeline = val_pipeline

# Decoding in the main process: on a 2-core CPU, worker processes only
# compete with training (0.11 s per MoME step with 0 workers, 0.17 with 2).
# Raise num_workers (and set persistent_workers=True) on bigger machines.

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split=split,
        subset='train',
        modalities=modalities,
        classes=classes,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split=split,
        subset='val',
        modalities=modalities,
        classes=classes,
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split=split,
        subset='test',
        modalities=modalities,
        classes=classes,
        pipeline=test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

# Per-modality mean/std measured on the generated frames (seed 0); use as
# model = dict(data_preprocessor=driveact_data_preprocessor) in a model config.
driveact_data_preprocessor = dict(
    type='MultiModalDataPreprocessor',
    preprocessors=dict(
        rgb=dict(
            type='ActionDataPreprocessor',
            mean=[45.5, 46.3, 44.7],
            std=[57.1, 56.8, 55.4],
            format_shape='NCTHW'),
        ir=dict(
            type='ActionDataPreprocessor',
            mean=[55.8, 55.8, 55.8],
            std=[62.9, 62.9, 62.9],
            format_shape='NCTHW'),
        depth=dict(
            type='ActionDataPreprocessor',
            mean=[63.7, 63.7, 63.7],
            std=[54.5, 54.5, 54.5],
            format_shape='NCTHW')))
