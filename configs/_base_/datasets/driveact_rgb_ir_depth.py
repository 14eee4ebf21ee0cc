# Drive&Act, Kinect colour + IR + depth, mid-level activities (34 classes),
# 8 frames at 224x224 (the paper's recipe). Check the data first:
#   python tools/data/check_driveact.py data/drive_and_act
# A model config inheriting this sets
#   model = dict(data_preprocessor={{_base_.driveact_data_preprocessor}}, ...)
# and takes the dict of inputs {'rgb', 'ir', 'depth'}; to train on fewer
# views, change `modalities`, `collect_keys` and the preprocessors together.
dataset_type = 'DriveActDataset'
data_root = 'data/drive_and_act'
split = 0
classes = None  # DriveActDataset's default: the 34 mid-level activities
num_classes = 34
modalities = dict(rgb='kinect_color', ir='kinect_ir', depth='kinect_depth')
collect_keys = ('rgb', 'ir', 'depth')
file_client_args = dict(io_backend='disk')
# Videos are read with PyAV, seeking to the keyframe before each clip
# (CachedPyAVInit + SeekingPyAVDecode: on H.264 decord's frames exactly,
# readers kept open per process): on 20,000-frame 1080p recordings 3.38
# clips/s against 0.91 with CachedDecordInit, at 0.5 GB instead of 5 GB of
# memory, and 20.9 clips/s on the copy tools/data/prepare_driveact.py makes
# (README, "Decoding long recordings"). CachedDecordInit + DecordDecode
# still work.

# Colour (1280x1024-ish) and IR/depth (512x424) are resized to one size
# before the random crop, so every modality gets the same relative crop box;
# SynchronizedModalityTransforms gives all modalities the same frame offsets,
# crop and flip.
train_pipeline = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='CachedPyAVInit', **file_client_args),
            dict(type='UniformSample', clip_len=8, num_clips=1),
            dict(type='SeekingPyAVDecode'),
            dict(type='Resize', scale=(256, 256), keep_ratio=False),
            dict(type='RandomResizedCrop', area_range=(0.4, 1.0)),
            dict(type='Resize', scale=(224, 224), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5),
            dict(type='FormatShape', input_format='NCTHW'),
        ]),
    dict(type='PackActionInputs', collect_keys=collect_keys)
]
val_pipeline = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='CachedPyAVInit', **file_client_args),
            dict(
                type='UniformSample', clip_len=8, num_clips=1, test_mode=True),
            dict(type='SeekingPyAVDecode'),
            dict(type='Resize', scale=(256, 256), keep_ratio=False),
            dict(type='CenterCrop', crop_size=224),
            dict(type='FormatShape', input_format='NCTHW'),
        ]),
    dict(type='PackActionInputs', collect_keys=collect_keys)
]
test_pipeline = val_pipeline

# SampleSeededSampler: DefaultSampler's order, and every sample's random
# choices seeded from (randomness.seed, epoch, index), so that they do not
# depend on num_workers / persistent workers and --resume is exact.
train_dataloader = dict(
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
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
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
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
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
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

# Top-1 and mean class accuracy (MMAction2's mean_class_accuracy averages
# over the classes present in the labels).
val_evaluator = dict(
    type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))
test_evaluator = val_evaluator

# Per-modality normalization for MultiModalDataPreprocessor. Colour: the
# values of MMAction2's UniFormerV2 configs; IR and depth (8-bit grey videos
# decoded to 3 channels): generic mid-grey statistics; replace them with
# values measured on your copy.
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
            mean=[127.5, 127.5, 127.5],
            std=[63.75, 63.75, 63.75],
            format_shape='NCTHW'),
        depth=dict(
            type='ActionDataPreprocessor',
            mean=[127.5, 127.5, 127.5],
            std=[63.75, 63.75, 63.75],
            format_shape='NCTHW')))
