# Late-fusion baseline: one UniFormerV2 expert per modality, each with its
# own classifier; the experts' scores are averaged.
_base_ = ['./mome_uniformerv2_tiny.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='LateFusionHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=64,
        num_experts=3,
        dropout_ratio=0.1,
        average_clips='prob'))
