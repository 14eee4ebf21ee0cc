# MoME with three tiny UniFormerV2 experts (width 64, 2 blocks, 32x32,
# 4 frames; the backbone of uniformerv2_tiny.py): the MoME code paths,
# CPU-sized. No pretrained weights: every expert starts from the same random
# draw, as the full-size experts all start from the K710 checkpoint.
# Little dropout (0.1 in the experts and every tiny fusion head's
# classifier): the tiny experts see a few hundred clips, not Drive&Act.
_base_ = ['./uniformerv2_tiny.py']

model = dict(
    type='MoMERecognizer',
    modalities=('rgb', 'ir', 'depth'),
    token_tap_path='transformer.resblocks',
    shared_expert_init=True,
    backbone=dict(mlp_dropout=[0.1, 0.1]),
    cls_head=dict(
        _delete_=True,
        type='TokenVotingGateHead',
        num_classes=4,
        in_channels=64,
        num_experts=3,
        gate_channels=16,
        mlp_channels=64,
        dropout_ratio=0.1,
        average_clips='prob'),
    data_preprocessor=dict(
        _delete_=True,
        type='MultiModalDataPreprocessor',
        preprocessors=dict(
            rgb=dict(
                type='ActionDataPreprocessor',
                mean=[114.75, 114.75, 114.75],
                std=[57.375, 57.375, 57.375],
                format_shape='NCTHW'),
            ir=dict(
                type='ActionDataPreprocessor',
                mean=[114.75, 114.75, 114.75],
                std=[57.375, 57.375, 57.375],
                format_shape='NCTHW'),
            depth=dict(
                type='ActionDataPreprocessor',
                mean=[114.75, 114.75, 114.75],
                std=[57.375, 57.375, 57.375],
                format_shape='NCTHW'))))
