# Drive&Act, 8 frames at 224x224, the kinect_depth view alone
# (model key 'depth'), for
# single-expert baselines. Same pipelines as driveact_rgb_ir_depth.py.
_base_ = ['./driveact_rgb_ir_depth.py']

# _delete_: replace the base's three views, do not add to them.
modalities = dict(_delete_=True, depth='kinect_depth')
collect_keys = ('depth', )
train_pipeline = [
    _base_.train_pipeline[0],
    dict(type='PackActionInputs', collect_keys=collect_keys)
]
val_pipeline = [
    _base_.val_pipeline[0],
    dict(type='PackActionInputs', collect_keys=collect_keys)
]
test_pipeline = val_pipeline
train_dataloader = dict(
    dataset=dict(modalities=modalities, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(modalities=modalities, pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(modalities=modalities, pipeline=test_pipeline))
driveact_data_preprocessor = dict(
    type='MultiModalDataPreprocessor',
    preprocessors=dict(
        _delete_=True,
        depth=_base_.driveact_data_preprocessor.preprocessors.depth))
