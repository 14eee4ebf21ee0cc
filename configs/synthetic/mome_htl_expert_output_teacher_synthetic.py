# Ablation of mome_htl_synthetic.py: the expert's output T_cls,L,n (after
# UniFormerV2's temporal decoder, what the gate sees) teaches the blocks'
# class tokens instead of the deepest block's class token.
_base_ = ['./mome_htl_synthetic.py']

model = dict(htl_loss=dict(intra_cls_teacher='expert_output'))
