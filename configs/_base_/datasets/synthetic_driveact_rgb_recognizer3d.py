# Synthetic Drive&Act (hard), 8 frames at 64x64, the kinect_color
# view alone as one
# clip tensor per sample (MMAction2's `imgs`), for single-input recognizers
# such as Recognizer3D (stage 1 of the two-stage recipe);
# synthetic_driveact_rgb.py packs the same clip as {'rgb': clip} for
# multimodal recognizers. Same pipelines as synthetic_driveact.py.
_base_ = ['./synthetic_driveact.py']

# _delete_: replace the base's three views, do not add to them. The view is
# read under the key PackActionInputs packs (as a tensor) by default.
modalities = dict(_delete_=True, imgs='kinect_color')
collect_keys = ('imgs', )
train_pipeline = [_base_.train_pipeline[0], dict(type='PackActionInputs')]
val_pipeline = [_base_.val_pipeline[0], dict(type='PackActionInputs')]
test_pipeline = val_pipeline
train_dataloader = dict(
    dataset=dict(modalities=modalities, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(modalities=modalities, pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(modalities=modalities, pipeline=test_pipeline))
# The rgb view's mean/std, for ActionDataPreprocessor.
driveact_data_preprocessor = dict(
    _delete_=True, **_base_.driveact_data_preprocessor.preprocessors.rgb)
