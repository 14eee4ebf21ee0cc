# Early-fusion baseline: the modalities concatenated on channels into one
# UniFormerV2 whose pretrained patch embedding (conv1) is tiled over the
# extra input channels instead of being re-initialized.
_base_ = ['./mome_uniformerv2_tiny.py']

model = dict(
    _delete_=True,
    type='EarlyFusionRecognizer',
    modalities={{_base_.model.modalities}},
    backbone={{_base_.model.backbone}},
    patch_embed_path='conv1',
    cls_head=dict(
        type='UniFormerHead',
        dropout_ratio=0.1,
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=64,
        average_clips='prob'),
    data_preprocessor={{_base_.model.data_preprocessor}})
