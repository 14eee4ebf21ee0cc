# The single infrared expert as a MoMERecognizer with one expert: the token
# voting gate head over it (gate weight 1, so the head is its MLP
# classifier). The base of Table 4's deep supervision, self-distillation and
# HTL- ablations on this view, whose losses read the expert's blocks through
# MoMERecognizer's token tap (MMAction2's Recognizer3D of
# finetune_ir_driveact.py has none); trained alone, the same model without
# those losses.
_base_ = [
    '../_base_/models/mome_uniformerv2_b16.py',
    '../_base_/datasets/driveact_ir.py',
    '../_base_/schedules/driveact_adamw_cosine_100e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    modalities=_base_.collect_keys,
    cls_head=dict(num_classes=_base_.num_classes, num_experts=1),
    data_preprocessor=_base_.driveact_data_preprocessor)
default_hooks = dict(
    checkpoint=dict(save_best='acc/mean1', rule='greater', max_keep_ckpts=2))
