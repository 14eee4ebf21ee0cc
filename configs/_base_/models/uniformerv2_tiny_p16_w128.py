# MMAction2's Recognizer3D with the tiny expert (tiny_pretrained_expert.py)
# and a UniFormerHead for the 72 classes of the motion pretraining corpus:
# the model configs/pretrain/uniformerv2_tiny_motion_pretrain.py trains
# from scratch. Little dropout (0.1): short CPU schedules underfit rather
# than overfit.
_base_ = ['./tiny_pretrained_expert.py']

model = dict(
    type='Recognizer3D',
    backbone=_base_.tiny_expert_backbone,
    cls_head=dict(
        type='UniFormerHead',
        dropout_ratio=0.1,
        num_classes=72,  # the motion pretraining corpus
        in_channels=_base_.tiny_expert_channels,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        format_shape='NCTHW',
        **_base_.tiny_expert_normalization))
