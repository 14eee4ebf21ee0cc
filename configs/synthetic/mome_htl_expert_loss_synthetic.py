# MoME + HTL (the paper's recipe, mome_htl_synthetic.py) plus one
# stabilizer: each expert's token also goes through the shared classifier
# with its own cross-entropy (TokenVotingGateHead(expert_loss_weight=1),
# Gradient-Blending's per-modality heads), so every expert must stay
# discriminative on its own (docs/training_health.md).
_base_ = ['./mome_htl_synthetic.py']

model = dict(cls_head=dict(expert_loss_weight=1.0))
