# mome_htl_stable_linear_classifier_synthetic.py with one change: L_inter on
# the class tokens standardized per channel over the batch
# (HTLLoss(inter_batch_standardize=True)), so it cannot fall by every expert
# emitting one vector (docs/training_health.md).
_base_ = ['./mome_htl_stable_linear_classifier_synthetic.py']

model = dict(htl_loss=dict(inter_batch_standardize=True))
