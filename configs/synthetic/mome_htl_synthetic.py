# MoME + HTL on the synthetic Drive&Act: the README's main job
# (bash tools/demo.sh). HTL over the tiny experts' 4 blocks with the paper's
# alpha = 0.01 and beta = 1, L_inter as the MSE over channels
# (HTLLoss(inter_reduction='mean')), on the scale of L_cls.
_base_ = ['./mome_synthetic.py']

model = dict(
    htl_loss=dict(
        type='HTLLoss',
        num_blocks=4,
        alpha=0.01,
        beta=1.0,
        inter_reduction='mean'))
