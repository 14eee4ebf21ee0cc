# HTL- (Table 4): the single depth expert with HTL's intra-expert term only
# (with one expert there is no inter-expert term).
_base_ = ['./mome_single_expert_depth_driveact.py']

model = dict(htl_loss=dict(type='HTLLoss', num_blocks=12, alpha=0.01))
