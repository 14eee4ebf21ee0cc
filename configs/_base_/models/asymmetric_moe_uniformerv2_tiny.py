# Asymmetric MoE (adaptation of AsyMoE) over three tiny UniFormerV2
# experts: per-frame class tokens (B, 3, 4, 64) from the token tap, routed
# top-2 among 3 intra-modality experts (one per camera, each only for its
# camera's tokens), 2 hyperbolic inter-modality experts (Poincare ball,
# learnable curvature) and 1 evidence-priority expert.
_base_ = ['./mome_uniformerv2_tiny.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='AsymmetricMoEHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=64,
        num_experts=3,
        num_frames=4,  # T of the frame tokens
        hidden_channels=32,
        intra_experts_per_modality=1,
        num_inter_experts=2,
        num_evidence_experts=1,
        top_k=2,
        num_heads=2,
        curvature=1.,
        learn_curvature=True,
        expert_dropout=0.1,
        dropout_ratio=0.1,
        load_balance_weight=0.02,
        evidence_loss_weight=0.1,
        average_clips='prob'))
# The head reads the per-frame class tokens of the last block, so the
# experts' temporal decoders get no gradient: let DDP allow that.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
