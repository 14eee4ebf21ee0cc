# Single-modality baseline, CPU-sized: MMAction2's Recognizer3D with the
# backbone of the tiny MoME experts (mome_uniformerv2_tiny.py, i.e.
# uniformerv2_tiny.py with dropout 0.1) and a UniFormerHead with the tiny
# fusion heads' dropout; the dataset config picks the modality. Its backbone
# is the experts' by construction, so its checkpoints start the experts of
# the tiny two-stage configs. Full size: single_expert_uniformerv2_b16.py.
_base_ = ['./mome_uniformerv2_tiny.py']

model = dict(
    _delete_=True,
    type='Recognizer3D',
    backbone={{_base_.model.backbone}},
    cls_head=dict(
        type='UniFormerHead',
        dropout_ratio={{_base_.model.cls_head.dropout_ratio}},
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels={{_base_.model.cls_head.in_channels}},
        average_clips='prob'),
    data_preprocessor={{_base_.model.data_preprocessor.preprocessors.rgb}})
