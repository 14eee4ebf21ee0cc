# Ablation of mome_synthetic.py: the per-expert gate (each output token
# scored alone, plus a per-expert prior) instead of the paper's joint gate
# over all experts' tokens.
_base_ = ['./mome_synthetic.py']

model = dict(cls_head=dict(gate_type='per_expert'))
