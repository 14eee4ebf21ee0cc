# Early fusion (Table 2): the modalities concatenated on channels into one
# UniFormerV2-B16 (pretrained patch embedding tiled over the extra channels).
_base_ = [
    '../_base_/models/early_fusion_uniformerv2_b16.py',
    '../_base_/datasets/driveact_rgb_ir_depth.py',
    '../_base_/schedules/driveact_adamw_cosine_100e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    cls_head=dict(num_classes=_base_.num_classes),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=2))
