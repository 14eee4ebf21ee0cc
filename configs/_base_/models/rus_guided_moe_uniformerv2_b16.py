# Temporal RUS-guided MoE (adaptation of Han et al. 2025, MERGE) over three
# UniFormerV2-B16 experts: per-frame class tokens (B, 3, 8, 768) from the
# token tap, projected to 256, routed by dataset-level uniqueness U (3, 8),
# redundancy R and synergy S (3, 3, 8) to 8 experts (2 synergy experts),
# top-2; JSD routing losses and Switch load balancing (0.02).
#
# The RUS file is estimated from the experts of a trained model on the
# training split (frozen tokens, learned discriminators):
#   python tools/analysis/compute_temporal_rus.py <this config> \
#       <MoME Drive&Act checkpoint>
# which writes `rus_file` below (per split: change it with the split).
_base_ = ['./mome_uniformerv2_b16.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='RUSGuidedMoEHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=768,
        num_experts=3,
        # T of the frame tokens; the model builds before the RUS file exists.
        num_frames=8,
        rus_file='work_dirs/temporal_rus/driveact_split0_b16.npz',
        hidden_channels=256,
        num_moe_experts=8,
        num_synergy_experts=2,
        top_k=2,
        synergy_heads=4,
        router_channels=128,
        attention_channels=32,
        gru_channels=64,
        expert_dropout=0.1,
        dropout_ratio=0.5,
        temporal_pooling='gru',  # frame tokens carry no order; see the head
        threshold_uniqueness=0.1,
        threshold_redundancy=0.1,
        threshold_synergy=0.1,
        weight_uniqueness=0.1,
        weight_redundancy=0.1,
        weight_synergy=0.1,
        load_balance_weight=0.02,
        average_clips='prob'))
# The head reads the per-frame class tokens of the last block, so the
# experts' temporal decoders get no gradient: let DDP allow that.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
