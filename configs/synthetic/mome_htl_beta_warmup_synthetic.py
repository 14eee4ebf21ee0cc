# MoME + HTL (the paper's recipe, mome_htl_synthetic.py) plus one
# stabilizer: L_inter's beta ramps up from 0 over the first 2 epochs of the
# synthetic data (62 steps each; HTLLoss(beta_warmup_iters=124)), so its
# trivial minimum is not reached before the classifier has any signal
# (docs/training_health.md).
_base_ = ['./mome_htl_synthetic.py']

model = dict(htl_loss=dict(beta_warmup_iters=124))
