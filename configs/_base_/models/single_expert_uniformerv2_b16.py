# Single-modality baseline: one UniFormerV2-B16 fine-tuned alone from the
# Kinetics-710 checkpoint with MMAction2's Recognizer3D and UniFormerHead, as
# MMAction2 fine-tunes UniFormerV2 (the dataset config picks the modality);
# stage 1 of the two-stage recipe. The backbone is the MoME experts'. The
# tiny counterpart is single_expert_uniformerv2_tiny.py.
_base_ = ['./mome_uniformerv2_b16.py']

model = dict(
    _delete_=True,
    type='Recognizer3D',
    backbone={{_base_.model.backbone}},
    cls_head=dict(
        type='UniFormerHead',
        dropout_ratio=0.5,
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=768,
        average_clips='prob'),
    data_preprocessor={{_base_.model.data_preprocessor.preprocessors.rgb}})
