# Anchor embedding with semantic synchronization (adaptation of A-MESS)
# over three tiny UniFormerV2 experts: 4 learnable anchors cross-attend to
# the per-frame class tokens (B, 3, 4, 64) of all cameras; the fused
# embedding is classified and, in training, pulled toward its label's
# description (triplet loss against the hardest other label's, weight 0.1)
# embedded by a bag-of-words encoder trained with the head (no download).
# A dataset config sets num_classes and class_names together (the keys of
# the descriptions, mome_mmaction/resources/label_descriptions/); here, the
# 4 classes of the tiny MoME base.
_base_ = ['./mome_uniformerv2_tiny.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='AnchorSemanticHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=64,
        num_experts=3,
        num_frames=4,  # T of the frame tokens
        num_anchors=4,
        hidden_channels=32,
        num_heads=2,
        anchor_dropout=0.1,
        dropout_ratio=0.1,
        class_names=['drinking', 'eating', 'opening_laptop', 'closing_laptop'],
        label_descriptions=None,
        text_encoder=dict(type='BagOfWordsTextEncoder', embed_channels=32),
        loss_semantic=dict(
            type='SemanticTripletLoss', margin=0.2, loss_weight=0.1),
        average_clips='prob'))
# The head reads the per-frame class tokens of the last block, so the
# experts' temporal decoders get no gradient: let DDP allow that.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
