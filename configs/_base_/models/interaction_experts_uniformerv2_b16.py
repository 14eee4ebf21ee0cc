# Interaction experts (I2MoE adaptation, Xin et al. 2025) over three
# UniFormerV2-B16 experts: N + 2 = 5 fusion experts (uniqueness of RGB, IR,
# depth; synergy; redundancy), each a 1-layer transformer of width 256 over
# the modality tokens, trained with the weakly supervised interaction
# losses (lambda 0.01) and reweighted per sample by an MLP.
# token_source='frame' (with num_frames=8) fuses the 8 per-frame class
# tokens of each expert from the token tap instead of the experts' outputs.
# With token_source='frame' the experts' temporal decoders get no gradient:
# multi-GPU runs then need model_wrapper_cfg = dict(
#     type='MMDistributedDataParallel', find_unused_parameters=True).
_base_ = ['./mome_uniformerv2_b16.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='InteractionExpertsHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=768,
        num_experts=3,
        token_source='class',
        hidden_channels=256,
        num_layers=1,
        num_heads=4,
        expert_dropout=0.1,
        replace='noise',
        interaction_loss_weight=0.01,
        reweight_channels=256,
        reweight_dropout=0.5,
        temperature=1.,
        average_clips='prob'))
