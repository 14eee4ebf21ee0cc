# The named MoME + HTL recipe until 2026-12-08
# (mome_htl_stable_linear_standardized_inter_synthetic.py) with L_intra off
# (HTLLoss(alpha=0)): L_inter alone, to tell which of HTL's two terms costs
# the experts their accuracy (docs/training_health.md).
_base_ = ['./mome_htl_stable_linear_standardized_inter_synthetic.py']

model = dict(htl_loss=dict(alpha=0.))
