# Single expert fine-tuned alone on the infrared view (Table 4 "fine-tune"):
# finetune_rgb_driveact.py on _base_/datasets/driveact_ir.py.
_base_ = [
    '../_base_/models/mome_uniformerv2_b16.py',
    '../_base_/datasets/driveact_ir.py',
    '../_base_/schedules/driveact_adamw_cosine_100e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    modalities=_base_.collect_keys,
    cls_head=dict(num_classes=_base_.num_classes, num_experts=1),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=2))
