# The main job's recipe (mome_expert_loss_linear_classifier_synthetic.py)
# with one change: the joint gate reads the experts' raw class tokens,
# Gate([T_1; ...; T_N]) as the paper writes it, without the LayerNorm
# (TokenVotingGateHead(gate_token_norm=False)). Hypothesis: a failing
# camera changes its token's scale, which the LayerNorm hides from the gate
# (docs/training_health.md).
_base_ = ['./mome_expert_loss_linear_classifier_synthetic.py']

model = dict(cls_head=dict(gate_token_norm=False))
