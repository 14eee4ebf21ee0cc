# MoME + MoDE (mutual distillation among the experts' predictions) on the
# synthetic Drive&Act.
_base_ = ['./mome_synthetic.py']

model = dict(
    htl_loss=dict(
        type='MoDELoss',
        in_channels=_base_.tiny_expert_channels,
        num_classes=_base_.num_classes,
        num_experts=3))
