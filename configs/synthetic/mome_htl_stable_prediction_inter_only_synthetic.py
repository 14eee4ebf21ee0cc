# The named MoME + HTL recipe (mome_htl_stable_prediction_inter_synthetic.py)
# with L_intra off (HTLLoss(alpha=0)): L_inter on the experts' predictions
# alone, to measure which of HTL's two terms the named recipe still pays
# for against MoME without HTL (docs/training_health.md).
_base_ = ['./mome_htl_stable_prediction_inter_synthetic.py']

model = dict(htl_loss=dict(alpha=0.0))
