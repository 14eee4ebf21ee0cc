# The named MoME + HTL recipe (mome_htl_stable_linear_standardized_inter_
# synthetic.py) with one change, a departure from the paper: L_inter aligns
# the experts' predictions through the shared classifier (KL, each expert
# learning from the others' detached predictions, Deep Mutual Learning)
# instead of their class tokens (HTLLoss(inter_target='predictions'); the
# batch standardization applies to tokens only). Hypothesis: L_inter on the
# tokens costs the fusion by erasing the differences between the experts'
# tokens outside the classifier's K directions, which the gate reads
# (docs/training_health.md).
_base_ = ['./mome_htl_stable_linear_standardized_inter_synthetic.py']

model = dict(
    htl_loss=dict(inter_batch_standardize=False, inter_target='predictions'))
