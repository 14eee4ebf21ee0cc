# Ablation of mome_htl_synthetic.py: L_inter as the squared L2 norm summed
# over the C channels (HTLLoss(inter_reduction='sum')), still at beta = 1:
# C = 128 times the MSE default.
_base_ = ['./mome_htl_synthetic.py']

model = dict(htl_loss=dict(inter_reduction='sum'))
