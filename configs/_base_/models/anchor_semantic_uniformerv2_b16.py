# Anchor embedding with semantic synchronization (adaptation of A-MESS)
# over three UniFormerV2-B16 experts: 8 learnable anchors cross-attend to
# the per-frame class tokens (B, 3, 8, 768) of all cameras (projected to
# 256); the fused embedding is classified and, in training, pulled toward
# its label's description (triplet loss against the hardest other label's,
# weight 0.1) embedded by a bag-of-words encoder trained with the head (no
# download). class_names=None: the 34 Drive&Act activities, described in
# mome_mmaction/resources/label_descriptions/driveact_midlevel.json.
_base_ = ['./mome_uniformerv2_b16.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='AnchorSemanticHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=768,
        num_experts=3,
        num_frames=8,  # T of the frame tokens
        num_anchors=8,
        hidden_channels=256,
        num_heads=4,
        anchor_dropout=0.1,
        dropout_ratio=0.5,
        class_names=None,
        label_descriptions=None,
        text_encoder=dict(type='BagOfWordsTextEncoder', embed_channels=128),
        loss_semantic=dict(
            type='SemanticTripletLoss', margin=0.2, loss_weight=0.1),
        average_clips='prob'))
# The head reads the per-frame class tokens of the last block, so the
# experts' temporal decoders get no gradient: let DDP allow that.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
