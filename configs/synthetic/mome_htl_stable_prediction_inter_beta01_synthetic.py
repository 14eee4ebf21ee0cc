# The named MoME + HTL recipe (mome_htl_stable_prediction_inter_synthetic.py)
# with L_inter at a tenth of the paper's weight (HTLLoss(beta=0.1)): a dose
# point, to tell whether what L_inter on predictions costs against MoME
# without HTL shrinks with its weight (docs/training_health.md).
_base_ = ['./mome_htl_stable_prediction_inter_synthetic.py']

model = dict(htl_loss=dict(beta=0.1))
