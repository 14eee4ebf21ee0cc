# MoME + HTL with three UniFormerV2-L14 experts (ViT-L/14, 24 blocks, width
# 1024; about 1B parameters in all) on Drive&Act, sharded over the GPUs
# with mmengine's FlexibleRunner + FSDPStrategy:
#   tools/dist_train.sh configs/ablations/mome_htl_l14_driveact.py 8
# FSDP wraps every module of >= 10M parameters that is not inside a wrapped
# one (size-based auto-wrap): each expert block (12.6M), so a GPU holds its
# shard of the weights, gradients and AdamW states plus one gathered block at
# a time; blocks are also activation-checkpointed (with_cp). The experts
# start from MMAction2's UniFormerV2-L14 Kinetics-710 file at
# `k710_l14_checkpoint` (never downloaded: MMAction2 model zoo,
# configs/recognition/uniformerv2). Same data, schedule and HTL weights as
# configs/mome_htl_driveact.py (HTL over all 24 blocks).
_base_ = ['../mome_htl_driveact.py']

k710_l14_checkpoint = (
    'checkpoints/uniformerv2-large-p14-res224_clip-pre_u8_kinetics710-rgb_'
    '20230612-d002a407.pth')

model = dict(
    with_cp=True,
    backbone=dict(
        patch_size=14,
        width=1024,
        layers=24,
        heads=16,
        return_list=[20, 21, 22, 23],
        n_dim=1024,
        n_head=16,
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
            dict(
                type='Pretrained',
                checkpoint=k710_l14_checkpoint,
                prefix='backbone.')
        ]),
    htl_loss=dict(num_blocks=24),
    cls_head=dict(in_channels=1024, gate_channels=256, mlp_channels=1024))

runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
            min_num_params=int(1e7)),
        use_orig_params=True),
    # Full (unsharded) checkpoints on rank 0, loadable by tools/test.py.
    state_dict_cfg='full')
