# MoME: three UniFormerV2-B16 experts (ViT-B/16, 12 blocks, width 768,
# 8 frames at 224x224), each starting from MMAction2's Kinetics-710 file,
# fused by the token voting gate.
#
# The checkpoint is never downloaded: get
# uniformerv2-base-p16-res224_clip-pre_u8_kinetics710-rgb_20221219-77d34f81.pth
# from MMAction2's model zoo (configs/recognition/uniformerv2,
# https://download.openmmlab.com/mmaction/v1.0/recognition/uniformerv2/
# kinetics710/) and put it at `k710_b16_checkpoint`. To use another path,
# override model.backbone.init_cfg in your config.
#
# Only `k710_b16_checkpoint` is a top-level variable, so this base combines
# with dataset bases (which define `modalities`, `num_classes`, ...);
# derived configs read e.g. the model dict of this base instead.
k710_b16_checkpoint = (
    'checkpoints/uniformerv2-base-p16-res224_clip-pre_u8_kinetics710-rgb_'
    '20221219-77d34f81.pth')

model = dict(
    type='MoMERecognizer',
    modalities=('rgb', 'ir', 'depth'),
    backbone=dict(
        type='UniFormerV2',
        input_resolution=224,
        patch_size=16,
        width=768,
        layers=12,
        heads=12,
        t_size=8,
        dw_reduction=1.5,
        backbone_drop_path_rate=0.,
        temporal_downsample=False,
        no_lmhra=True,
        double_lmhra=True,
        return_list=[8, 9, 10, 11],
        n_layers=4,
        n_dim=768,
        n_head=12,
        mlp_factor=4.,
        drop_path_rate=0.,
        mlp_dropout=[0.5, 0.5, 0.5, 0.5],
        clip_pretrained=False,
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
            dict(
                type='Pretrained',
                checkpoint=k710_b16_checkpoint,
                prefix='backbone.')
        ]),
    token_tap_path='transformer.resblocks',
    cls_head=dict(
        type='TokenVotingGateHead',
        num_classes=34,  # Drive&Act mid-level activities
        in_channels=768,
        num_experts=3,
        gate_channels=192,
        mlp_channels=768,
        dropout_ratio=0.5,
        average_clips='prob'),
    # K710 UniFormerV2 normalization for each (3-channel) modality; dataset
    # configs may provide per-modality statistics instead.
    data_preprocessor=dict(
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
