# Single expert fine-tuned alone on the colour view (Table 4 "fine-tune"),
# also stage 1 of the two-stage recipe (../mome_htl_two_stage_driveact.py):
# MMAction2's Recognizer3D with one UniFormerV2-B16 from Kinetics-710 and a
# UniFormerHead, as MMAction2 fine-tunes UniFormerV2, so an MMAction2
# checkpoint of this modality can start a stage-2 expert as well.
_base_ = [
    '../_base_/models/single_expert_uniformerv2_b16.py',
    '../_base_/datasets/driveact_rgb_recognizer3d.py',
    '../_base_/schedules/driveact_adamw_cosine_100e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    cls_head=dict(num_classes=_base_.num_classes),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=2))
