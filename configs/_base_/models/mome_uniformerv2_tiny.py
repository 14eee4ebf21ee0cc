# MoME with three tiny UniFormerV2 experts (width 64, 2 blocks, 32x32,
# 4 frames; the backbone of uniformerv2_tiny.py): the MoME code paths,
# CPU-sized. No pretrained weights.
_base_ = ['./uniformerv2_tiny.py']

modalities = ('rgb', 'ir', 'depth')
num_classes = 4
expert = {{_base_.model.backbone}}
modality_preprocessor = dict(
    type='ActionDataPreprocessor',
    mean=[114.75, 114.75, 114.75],
    std=[57.375, 57.375, 57.375],
    format_shape='NCTHW')
multimodal_data_preprocessor = dict(
    type='MultiModalDataPreprocessor',
    preprocessors={name: modality_preprocessor
                   for name in modalities})

model = dict(
    _delete_=True,
    type='MoMERecognizer',
    modalities=modalities,
    backbone=expert,
    token_tap_path='transformer.resblocks',
    cls_head=dict(
        type='TokenVotingGateHead',
        num_classes=num_classes,
        in_channels=64,
        num_experts=len(modalities),
        gate_channels=16,
        mlp_channels=64,
        dropout_ratio=0.5,
        average_clips='prob'),
    data_preprocessor=multimodal_data_preprocessor)
