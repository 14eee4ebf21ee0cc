# mome_htl_expert_loss_synthetic.py with the joint gate reading the raw
# expert tokens, as the paper writes Gate([T_1; ...; T_N])
# (TokenVotingGateHead(gate_token_norm=False); a LayerNorm first hides each
# token's scale) (docs/training_health.md).
_base_ = ['./mome_htl_expert_loss_synthetic.py']

model = dict(cls_head=dict(gate_token_norm=False))
