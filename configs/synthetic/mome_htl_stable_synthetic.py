# MoME + HTL with the first two stabilizers of the training-health
# diagnosis (docs/training_health.md); mome_htl_synthetic.py stays the
# paper's recipe, and the named stabilized one (the twin of
# configs/mome_htl_stable_driveact.py) is
# mome_htl_stable_prediction_inter_synthetic.py. Two changes to the paper's:
# - each expert's token also through the shared classifier with its own
#   cross-entropy (TokenVotingGateHead(expert_loss_weight=1),
#   Gradient-Blending), so every expert stays discriminative on its own;
# - L_inter's beta ramped up from 0 over the first 2 epochs of the
#   synthetic data (62 steps each; HTLLoss(beta_warmup_iters=124)), so its
#   trivial minimum (every expert emitting one vector) is not reached
#   before the classifier has any signal.
_base_ = ['./mome_htl_synthetic.py']

model = dict(
    cls_head=dict(expert_loss_weight=1.0),
    htl_loss=dict(beta_warmup_iters=124))
