# Drive&Act, 8 frames at 224x224, the kinect_color view alone
# (model key 'rgb'), for
# single-expert baselines. Same pipelines as driveact_rgb_ir_depth.py.
_base_ = ['./driveact_rgb_ir_depth.py']

# _delete_: replace the base's three views, do not add to them.
modalities = dict(_delete_=True, rgb='kinect_color')
collect_keys = ('rgb', )
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
        rgb=_base_.driveact_data_preprocessor.preprocessors.rgb))
