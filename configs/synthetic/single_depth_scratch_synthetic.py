# The transfer baseline of single_depth_synthetic.py: the same tiny expert
# and schedule, trained from scratch (no Pretrained init).
_base_ = ['./single_depth_synthetic.py']

model = dict(backbone=dict(init_cfg=_base_.tiny_expert_backbone.init_cfg[:2]))
