# Temporal RUS-guided MoE (adaptation of Han et al. 2025) over three tiny
# UniFormerV2 experts: per-frame class tokens (B, 3, 4, 64) from the token
# tap, routed by dataset-level uniqueness / redundancy / synergy to 4 experts
# (1 synergy expert), top-2.
#
# The RUS file comes from the experts of a trained model, e.g.
#   python tools/train.py <a MoME synthetic config>
#   python tools/analysis/compute_temporal_rus.py <this config> \
#       work_dirs/<that config>/epoch_N.pth
# (written to `rus_file` below unless --out says otherwise).
_base_ = ['./mome_uniformerv2_tiny.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='RUSGuidedMoEHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=64,
        num_experts=3,
        # T of the frame tokens; the model builds before the RUS file exists.
        num_frames=4,
        rus_file='work_dirs/temporal_rus/synthetic_driveact_tiny.npz',
        hidden_channels=32,
        num_moe_experts=4,
        num_synergy_experts=1,
        top_k=2,
        synergy_heads=2,
        router_channels=32,
        attention_channels=8,
        gru_channels=16,
        expert_dropout=0.1,
        dropout_ratio=0.1,
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
