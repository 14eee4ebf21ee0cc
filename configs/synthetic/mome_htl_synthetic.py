# MoME + HTL on the synthetic Drive&Act: the README's main job
# (bash tools/demo.sh). HTL over the tiny experts' 2 blocks.
#
# beta is 0.001 here, not the paper's 1. L_inter is a squared distance
# between the experts' final (LayerNorm-ed) class tokens, so it can always
# be cut by shrinking every token towards one constant. Experts trained from
# scratch have nothing class-specific to lose yet: at beta=1 (and still at
# 0.1) they took that way within ~50 steps and stayed at chance (Top-1 20%,
# gate entropy at its maximum); at beta=0.001 the same run reached 98-100%.
_base_ = ['./mome_synthetic.py']

model = dict(
    htl_loss=dict(type='HTLLoss', num_blocks=2, alpha=0.01, beta=0.001))
