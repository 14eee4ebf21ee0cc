# mome_htl_stable_synthetic.py with L_inter's beta at 0.1 instead of the
# paper's 1 (after the same 2-epoch ramp): the key the monitor's
# tokens_indistinguishable warning names (docs/training_health.md).
_base_ = ['./mome_htl_stable_synthetic.py']

model = dict(htl_loss=dict(beta=0.1))
