# Self-distillation (Table 4; Sultana et al., ACCV 2022): a classifier on
# each intermediate block's class token of the single depth expert learns
# the final prediction of the same pass (KL on class logits). HTL's
# class-token term alone: htl_loss=dict(target='class_token').
_base_ = ['./mome_single_expert_depth_driveact.py']

model = dict(
    htl_loss=dict(
        type='ClassTokenSelfDistillLoss',
        num_blocks=12,
        in_channels=768,
        num_classes=_base_.num_classes))
