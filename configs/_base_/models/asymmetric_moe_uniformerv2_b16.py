# Asymmetric MoE (adaptation of AsyMoE) over three UniFormerV2-B16 experts:
# per-frame class tokens (B, 3, 8, 768) from the token tap, projected to
# 256 and routed top-2 among 6 intra-modality experts (two per camera, each
# only for its camera's tokens), 4 hyperbolic inter-modality experts
# (Poincare ball, learnable curvature) and 2 evidence-priority experts;
# Switch load balancing (0.02) and the evidence probe's loss (0.1).
_base_ = ['./mome_uniformerv2_b16.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='AsymmetricMoEHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=768,
        num_experts=3,
        num_frames=8,  # T of the frame tokens
        hidden_channels=256,
        intra_experts_per_modality=2,
        num_inter_experts=4,
        num_evidence_experts=2,
        top_k=2,
        num_heads=4,
        hyperbolic_channels=128,
        curvature=1.,
        learn_curvature=True,
        expert_dropout=0.1,
        dropout_ratio=0.5,
        load_balance_weight=0.02,
        evidence_loss_weight=0.1,
        average_clips='prob'))
# The head reads the per-frame class tokens of the last block, so the
# experts' temporal decoders get no gradient: let DDP allow that.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
