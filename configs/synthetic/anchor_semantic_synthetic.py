# Anchor / semantic head (A-MESS adaptation) over three tiny UniFormerV2
# experts on the synthetic Drive&Act: mome_synthetic.py with this head in
# place of the token voting gate. The synthetic classes are Drive&Act
# activity names, described in the shipped description file. Predictions
# carry pred.anchor_attention (4 anchors, 3 cameras, 8 frames).
_base_ = [
    '../_base_/models/anchor_semantic_uniformerv2_tiny.py',
    '../_base_/datasets/synthetic_driveact.py',
    '../_base_/schedules/adamw_cosine_cpu_demo.py',
    '../_base_/default_runtime.py',
    '../_base_/models/tiny_pretrained_expert.py'
]

model = dict(
    backbone=_base_.tiny_expert_backbone,
    shared_expert_init=False,
    cls_head=dict(
        num_classes=_base_.num_classes,
        class_names=_base_.classes,
        in_channels=_base_.tiny_expert_channels,
        num_frames=_base_.tiny_expert_backbone.t_size),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=1))
randomness = dict(seed=0)
