# MoME + HTL with two stabilizers (mome_htl_stable_synthetic.py: per-expert
# cross-entropy, beta ramped up) with the fused token classified by Dropout ->
# Linear (TokenVotingGateHead(mlp_channels=0)) instead of the paper's MLP
# (docs/training_health.md).
_base_ = ['./mome_htl_stable_synthetic.py']

model = dict(cls_head=dict(mlp_channels=0))
