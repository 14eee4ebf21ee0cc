# The named MoME + HTL recipe until 2026-12-08
# (mome_htl_stable_linear_standardized_inter_synthetic.py) with L_inter off
# (HTLLoss(beta=0)): L_intra alone, to tell which of HTL's two terms costs
# the experts their accuracy (docs/training_health.md).
_base_ = ['./mome_htl_stable_linear_standardized_inter_synthetic.py']

model = dict(htl_loss=dict(beta=0.))
