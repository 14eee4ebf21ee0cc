# MoME + HTL as the paper sets it (mome_htl_synthetic.py) with one change,
# a departure from the paper's plain MSE: L_inter on the class tokens
# standardized per channel over the batch
# (HTLLoss(inter_batch_standardize=True)), so it cannot fall by every expert
# emitting one vector, only by the experts agreeing on what changes from
# clip to clip (docs/training_health.md).
_base_ = ['./mome_htl_synthetic.py']

model = dict(htl_loss=dict(inter_batch_standardize=True))
