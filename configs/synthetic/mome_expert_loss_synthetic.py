# MoME without HTL (mome_synthetic.py) plus each expert's token through the
# shared classifier with its own cross-entropy
# (TokenVotingGateHead(expert_loss_weight=1), Gradient-Blending): the
# stabilizer of mome_htl_stable_synthetic.py without HTL, to measure what
# HTL adds (docs/training_health.md).
_base_ = ['./mome_synthetic.py']

model = dict(cls_head=dict(expert_loss_weight=1.0))
