# The model of configs/mome_htl_driveact.py, tested with 4 clips x 3 crops
# per sample (MMAction2's UniFormerV2 protocol) instead of 1 clip, centre
# crop; for testing its checkpoints (train with mome_htl_driveact.py):
#   tools/dist_test.sh configs/mome_htl_driveact_test4x3.py CKPT 2
_base_ = [
    '_base_/models/mome_uniformerv2_b16.py',
    '_base_/datasets/driveact_rgb_ir_depth_test4x3.py',
    '_base_/schedules/driveact_adamw_cosine_100e.py',
    '_base_/default_runtime.py'
]

model = dict(
    htl_loss=dict(type='HTLLoss', num_blocks=12, alpha=0.01, beta=1.0),
    cls_head=dict(num_classes=_base_.num_classes),
    data_preprocessor=_base_.driveact_data_preprocessor)
