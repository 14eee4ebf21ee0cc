# MoME + HTL as the paper sets it (mome_htl_synthetic.py) with one change, a
# departure from the paper's MLP: the fused token classified by Dropout ->
# Linear (TokenVotingGateHead(mlp_channels=0)), the classifier late fusion
# gives each expert (docs/training_health.md).
_base_ = ['./mome_htl_synthetic.py']

model = dict(cls_head=dict(mlp_channels=0))
