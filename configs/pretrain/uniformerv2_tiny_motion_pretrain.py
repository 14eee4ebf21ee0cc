# Pretrain the tiny UniFormerV2 (configs/_base_/models/
# uniformerv2_tiny_p8_w128.py) on the generic synthetic motion corpus, the
# CPU stand-in for the Kinetics-710 checkpoint of the full-size experts.
# One command generates the corpus (if missing), trains and exports the
# backbone weights: `bash tools/pretrain_tiny_expert.sh`. By hand:
#   python tools/data/make_motion_pretraining.py data/motion_pretraining
#   python tools/train.py configs/pretrain/uniformerv2_tiny_motion_pretrain.py
_base_ = [
    '../_base_/models/uniformerv2_tiny_p8_w128.py',
    '../_base_/datasets/motion_pretraining.py',
    '../_base_/schedules/adamw_cosine_cpu_demo.py',
    '../_base_/default_runtime.py'
]

# AdamW at 1e-3 (batch 16), a linear warm-up over the first 100 steps, then
# cosine decay per step to 1e-5, 8 epochs of the default corpus (72 classes
# x 40 clips = 180 steps per epoch; 576 val clips after each). Sized for
# ~25 min on 2 idle cores: a training step took 0.33 s at batch 8 (so about
# 0.65 s at 16; benchmarks/tiny_expert_sensitivity.py measures yours) and
# decoding 10 ms per clip, so an epoch with its validation takes ~2.7 min.
# Other processes on the cores slow it down many times over.
max_epochs = 8
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(save_best='acc/top1', rule='greater', max_keep_ckpts=1))
randomness = dict(seed=0)
