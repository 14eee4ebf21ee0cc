# Temporal RUS-guided MoE head over three tiny UniFormerV2 experts on the
# synthetic Drive&Act: mome_synthetic.py with this head in place of the token
# voting gate. Predictions carry pred.routing_weights (N, T, E).
# The RUS file (model.cls_head.rus_file) must exist first: estimate it from
# a trained mome_synthetic.py checkpoint with
#   python tools/analysis/compute_temporal_rus.py \
#       configs/synthetic/rus_guided_moe_synthetic.py <mome_synthetic ckpt>
_base_ = [
    '../_base_/models/rus_guided_moe_uniformerv2_tiny.py',
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
        in_channels=_base_.tiny_expert_channels,
        num_frames=_base_.tiny_expert_backbone.t_size),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=1))
randomness = dict(seed=0)
