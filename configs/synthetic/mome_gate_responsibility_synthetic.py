# The main job's recipe (mome_expert_loss_linear_classifier_synthetic.py)
# with one change: the gate is also taught each expert's responsibility
# for the label, p_n(y) / sum_m p_m(y) from each expert's token alone
# (TokenVotingGateHead(gate_responsibility_weight=1), the gating target of
# Jacobs et al. 1991 under a uniform prior; it trains the gate alone), to
# test whether the learned gate captures the working-cameras bound of
# tools/analysis/gate_ablation.py (docs/training_health.md).
_base_ = ['./mome_expert_loss_linear_classifier_synthetic.py']

model = dict(cls_head=dict(gate_responsibility_weight=1.0))
