# One tiny UniFormerV2 expert on the synthetic Drive&Act's depth view alone.
_base_ = [
    '../_base_/models/mome_uniformerv2_tiny.py',
    '../_base_/datasets/synthetic_driveact_depth.py',
    '../_base_/schedules/adamw_cosine_cpu_demo.py',
    '../_base_/default_runtime.py'
]

model = dict(
    modalities=_base_.collect_keys,
    cls_head=dict(num_classes=_base_.num_classes, num_experts=1),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=1))
randomness = dict(seed=0)
