# The harder synthetic Drive&Act, the benchmark data of the synthetic
# family, written by
#   python tools/data/make_synthetic_driveact.py \
#       data/synthetic_driveact_hard --preset hard
# (tools/demo.sh writes it when absent): 3 views, 10 motion classes (subtle
# motions, distractors, per-camera failures, one or two views replaying
# another activity; mome_mmaction/datasets/synthetic_driveact.py), about
# 95-108 test chunks per split. 8 frames at 64x64 for the pretrained tiny
# expert (configs/_base_/models/tiny_pretrained_expert.py). No Flip: left
# and right (fetching / placing an object) are different classes. A model
# config inheriting this needs model.data_preprocessor =
# driveact_data_preprocessor (per-modality mean/std for
# MultiModalDataPreprocessor) and a recognizer taking the dict of inputs;
# change `modalities` and `collect_keys` together.
dataset_type = 'DriveActDataset'
data_root = 'data/synthetic_driveact_hard'
split = 0
classes = [
    'fastening_seat_belt', 'unfastening_seat_belt', 'opening_laptop',
    'closing_laptop', 'looking_or_moving_around (e.g. searching)',
    'fetching_an_object', 'placing_an_object', 'drinking',
    'pressing_automation_button', 'sitting_still'
]
num_classes = 10
modalities = dict(rgb='kinect_color', ir='kinect_ir', depth='kinect_depth')
collect_keys = ('rgb', 'ir', 'depth')
# The chunk of every prediction, so tools/analysis/gate_report.py can give
# the gate weights per sensing condition (synthetic_driveact.json).
meta_keys = ('img_shape', 'participant_id', 'recording', 'annotation_id',
             'chunk_id')

# Colour is 80x64, IR/depth 64x64: resize every view to the same size before
# the random crop so all modalities get the same crop box.
train_pipeline = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='CachedDecordInit'),
            dict(
                type='SampleFrames', clip_len=8, frame_interval=2,
                num_clips=1),
            dict(type='DecordDecode'),
            dict(type='Resize', scale=(72, 72), keep_ratio=False),
            dict(type='RandomResizedCrop', area_range=(0.7, 1.0)),
            dict(type='Resize', scale=(64, 64), keep_ratio=False),
            dict(type='FormatShape', input_format='NCTHW'),
        ]),
    dict(type='PackActionInputs', collect_keys=collect_keys)
]
val_pipeline = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='CachedDecordInit'),
            dict(
                type='SampleFrames',
                clip_len=8,
                frame_interval=2,
                num_clips=1,
                test_mode=True),
            dict(type='DecordDecode'),
            dict(type='Resize', scale=(68, 68), keep_ratio=False),
            dict(type='CenterCrop', crop_size=64),
            dict(type='FormatShape', input_format='NCTHW'),
        ]),
    dict(
        type='PackActionInputs',
        collect_keys=collect_keys,
        meta_keys=meta_keys)
]
test_pipeline = val_pipeline

# Decoding in the main process: on a 2-core CPU, worker processes only
# compete with training (0.11 s per step of the old 32x32 MoME with 0
# workers, 0.17 with 2).
# Raise num_workers (and set persistent_workers=True) on bigger machines:
# SampleSeededSampler (DefaultSampler's order, every sample's random choices
# seeded from (seed, epoch, index), as driveact_rgb_ir_depth.py) gives the
# same augmentation whatever the workers, and an exact --resume.

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='SampleSeededSampler', shuffle=True),
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

# The pretrained tiny expert's input normalization for every modality, as
# the full-size configs use Kinetics-710's; use as
# model = dict(data_preprocessor=driveact_data_preprocessor).
driveact_data_preprocessor = dict(
    type='MultiModalDataPreprocessor',
    preprocessors=dict(
        rgb=dict(
            type='ActionDataPreprocessor',
            mean=[114.75, 114.75, 114.75],
            std=[57.375, 57.375, 57.375],
            format_shape='NCTHW'),
        ir=dict(
            type='ActionDataPreprocessor',
            mean=[114.75, 114.75, 114.75],
            std=[57.375, 57.375, 57.375],
            format_shape='NCTHW'),
        depth=dict(
            type='ActionDataPreprocessor',
            mean=[114.75, 114.75, 114.75],
            std=[57.375, 57.375, 57.375],
            format_shape='NCTHW')))
