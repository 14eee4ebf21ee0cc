# A UniFormerV2 for 2-core CPUs, shared by the motion pretraining
# (configs/pretrain/uniformerv2_tiny_motion_pretrain.py) and every config
# whose experts start from its weights: 8 frames at 64x64, 8x8 patches
# (8 x 64 spatio-temporal tokens per block; UniFormerV2-B16: 8 x 196),
# width 128, 4 blocks of 4 heads, the temporal decoder on every block.
# 1.64M parameters (6.3 MiB in fp32). Little dropout (0.1): short CPU
# schedules underfit rather than overfit.
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='UniFormerV2',
        input_resolution=64,
        patch_size=8,
        width=128,
        layers=4,
        heads=4,
        t_size=8,
        dw_reduction=1.5,
        backbone_drop_path_rate=0.,
        temporal_downsample=False,
        no_lmhra=True,
        double_lmhra=True,
        return_list=[0, 1, 2, 3],
        n_layers=4,
        n_dim=128,
        n_head=4,
        mlp_factor=4.,
        drop_path_rate=0.,
        mlp_dropout=[0.1, 0.1, 0.1, 0.1],
        clip_pretrained=False),
    cls_head=dict(
        type='UniFormerHead',
        dropout_ratio=0.1,
        num_classes=72,  # the motion pretraining corpus
        in_channels=128,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[114.75, 114.75, 114.75],
        std=[57.375, 57.375, 57.375],
        format_shape='NCTHW'))
