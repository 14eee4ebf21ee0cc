# Class-token self-distillation (Table 4): the deepest class token teaches
# the shallower ones (KL), no spatio-temporal tokens.
_base_ = ['./finetune_depth_driveact.py']

model = dict(htl_loss=dict(type='ClassTokenSelfDistillLoss', num_blocks=12))
