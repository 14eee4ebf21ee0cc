# MoME without HTL (mome_synthetic.py) with the paper's fine-tuning regime in
# miniature: the pretrained experts at 0.1x the head's learning rate (5e-5
# against 5e-4; the paper fine-tunes its K710 experts at 1e-5), the norms' and
# biases' weight decay unchanged (LrMultOptimWrapperConstructor).
# docs/training_health.md compares it with the same recipe at one rate.
_base_ = ['./mome_synthetic.py']

optim_wrapper = dict(
    constructor='LrMultOptimWrapperConstructor',
    paramwise_cfg=dict(custom_keys={'backbone.experts': dict(lr_mult=0.1)}))
