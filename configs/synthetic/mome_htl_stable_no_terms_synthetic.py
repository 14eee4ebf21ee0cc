# A control for mome_htl_stable_intra_only_synthetic.py and
# mome_htl_stable_inter_only_synthetic.py: the named MoME + HTL recipe of
# then (mome_htl_stable_linear_standardized_inter_synthetic.py) with
# both of HTL's terms off (HTLLoss(alpha=0, beta=0)), the same model and
# random draws, no HTL gradient; against the main job
# (mome_expert_loss_linear_classifier_synthetic.py) it measures what the
# changed training trajectory alone moves (docs/training_health.md).
_base_ = ['./mome_htl_stable_linear_standardized_inter_synthetic.py']

model = dict(htl_loss=dict(alpha=0., beta=0.))
