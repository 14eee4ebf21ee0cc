# Interaction experts (I2MoE adaptation) over three tiny UniFormerV2
# experts: N + 2 = 5 fusion experts (uniqueness x3, synergy, redundancy),
# trained with the weakly supervised interaction losses, reweighted per
# sample. token_source='frame' fuses the per-frame class tokens
# (B, N, T, C) of the token tap instead of the experts' outputs.
# With token_source='frame' the experts' temporal decoders get no gradient:
# multi-GPU runs then need model_wrapper_cfg = dict(
#     type='MMDistributedDataParallel', find_unused_parameters=True).
_base_ = ['./mome_uniformerv2_tiny.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='InteractionExpertsHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=64,
        num_experts=3,
        token_source='class',
        hidden_channels=32,
        num_layers=1,
        num_heads=2,
        expert_dropout=0.1,
        replace='noise',
        interaction_loss_weight=0.01,
        reweight_channels=32,
        reweight_dropout=0.5,
        temperature=1.,
        average_clips='prob'))
