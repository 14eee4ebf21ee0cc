# Early fusion (channel-concatenated views, one backbone) on the synthetic
# Drive&Act.
_base_ = [
    '../_base_/models/early_fusion_uniformerv2_tiny.py',
    '../_base_/datasets/synthetic_driveact.py',
    '../_base_/schedules/adamw_cosine_cpu_demo.py',
    '../_base_/default_runtime.py',
    '../_base_/models/tiny_pretrained_expert.py'
]

model = dict(
    backbone=_base_.tiny_expert_backbone,
    cls_head=dict(
        num_classes=_base_.num_classes,
        in_channels=_base_.tiny_expert_channels),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=1))
randomness = dict(seed=0)
