# MoME + HTL on Drive&Act (R+I+D), the paper's recipe:
#   tools/dist_train.sh configs/mome_htl_driveact.py 2
# 3 UniFormerV2-B16 experts from the Kinetics-710 checkpoint (path:
# k710_b16_checkpoint in _base_/models/mome_uniformerv2_b16.py), token voting
# gate, HTL (alpha 0.01, beta 1), 8 frames at 224x224, AdamW lr 1e-5 x number
# of GPUs, cosine to 1e-7, 100 epochs; Top-1 / Mean-1, best checkpoint by
# Mean-1. Split: --cfg-options {train,val,test}_dataloader.dataset.split=K
# or tools/run_splits.sh configs/mome_htl_driveact.py 2.
_base_ = [
    '_base_/models/mome_uniformerv2_b16.py',
    '_base_/datasets/driveact_rgb_ir_depth.py',
    '_base_/schedules/driveact_adamw_cosine_100e.py',
    '_base_/default_runtime.py'
]

model = dict(
    htl_loss=dict(type='HTLLoss', num_blocks=12, alpha=0.01, beta=1.0),
    cls_head=dict(num_classes=_base_.num_classes),
    data_preprocessor=_base_.driveact_data_preprocessor)

default_hooks = dict(
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=2))
