# Ablation of mome_htl_synthetic.py: the deepest block's class token
# teaches the shallower blocks' class tokens (HTLLoss(intra_cls_teacher=
# 'last_block')) instead of the expert's output T_cls,L,n (after
# UniFormerV2's temporal decoder, what the gate sees; the default).
_base_ = ['./mome_htl_synthetic.py']

model = dict(htl_loss=dict(intra_cls_teacher='last_block'))
