# MoME (3 pretrained tiny UniFormerV2 experts + token voting gate) on the
# harder synthetic Drive&Act (python tools/data/make_synthetic_driveact.py
# data/synthetic_driveact_hard --preset hard); CPU, minutes. Every expert
# starts from the pretrained tiny expert, as the full-size ones from the
# K710 file. Reports Top-1, Mean-1 and the mean gate weight per modality.
_base_ = [
    '../_base_/models/mome_uniformerv2_tiny.py',
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
        in_channels=_base_.tiny_expert_channels),
    data_preprocessor=_base_.driveact_data_preprocessor)
val_evaluator = [
    dict(type='AccMetric'),
    dict(type='GateWeightMetric', modalities=_base_.collect_keys)
]
test_evaluator = val_evaluator
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=1))
randomness = dict(seed=0)
