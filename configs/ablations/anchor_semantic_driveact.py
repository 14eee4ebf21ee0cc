# Anchor embedding with semantic synchronization (A-MESS adaptation) in
# place of the token voting gate: three UniFormerV2-B16 experts from K710,
# R+I+D, the paper's schedule, no HTL; compare with mome_driveact.py.
_base_ = [
    '../_base_/models/anchor_semantic_uniformerv2_b16.py',
    '../_base_/datasets/driveact_rgb_ir_depth.py',
    '../_base_/schedules/driveact_adamw_cosine_100e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    cls_head=dict(num_classes=_base_.num_classes, class_names=_base_.classes),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=2))
