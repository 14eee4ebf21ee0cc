# The pretrained tiny expert: the CPU stand-in for the Kinetics-710
# UniFormerV2-B16 of the full-size configs, loaded the same way (backbone
# init_cfg Pretrained, prefix 'backbone.'). A UniFormerV2 for 2-core CPUs:
# 8 frames at 64x64, 16x16 patches (8 x 16 spatio-temporal tokens per block;
# UniFormerV2-B16: 8 x 196), width 128, 4 blocks of 4 heads, the temporal
# decoder on every block; 1.7M parameters. Pretrained on the generic
# synthetic motion corpus in two stages by configs/pretrain/
# uniformerv2_tiny_motion_pretrain.py and its _continued.py
# (`bash tools/pretrain_tiny_expert.sh` reproduces tiny_expert_checkpoint;
# docs/tiny_expert_and_benchmark.md).
# Only top-level names, so it combines with any model base: a config puts
# `backbone=_base_.tiny_expert_backbone` and `in_channels=
# _base_.tiny_expert_channels` into its model.
# The file ships in the repository, so it is found from any working
# directory ({{ fileDirname }} is this folder).
tiny_expert_checkpoint = ('{{ fileDirname }}/../../../checkpoints/'
                          'uniformerv2_tiny_motion_pretrain.pth')
tiny_expert_channels = 128
tiny_expert_backbone = dict(
    type='UniFormerV2',
    input_resolution=64,
    patch_size=16,
    width=tiny_expert_channels,
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
    n_dim=tiny_expert_channels,
    n_head=4,
    mlp_factor=4.,
    drop_path_rate=0.,
    mlp_dropout=[0.1, 0.1, 0.1, 0.1],
    clip_pretrained=False,
    init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        dict(
            type='Pretrained',
            checkpoint=tiny_expert_checkpoint,
            prefix='backbone.')
    ])
# The pretraining's input normalization, for every (3-channel) modality.
tiny_expert_normalization = dict(
    mean=[114.75, 114.75, 114.75], std=[57.375, 57.375, 57.375])
