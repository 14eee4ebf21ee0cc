# MoME + MoDE (Table 3): mutual distillation among the experts' class-token
# predictions (Xie et al., 2024) in place of HTL.
_base_ = ['../mome_htl_driveact.py']

model = dict(
    htl_loss=dict(
        _delete_=True,
        type='MoDELoss',
        in_channels=768,
        num_classes=_base_.num_classes,
        num_experts=3))
