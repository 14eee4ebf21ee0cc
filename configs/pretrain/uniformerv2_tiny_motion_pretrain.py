# Pretrain the tiny UniFormerV2 expert (configs/_base_/models/
# tiny_pretrained_expert.py) from scratch on the generic synthetic motion
# corpus, the CPU stand-in for the Kinetics-710 checkpoint of the full-size
# experts.
# Stage 1 of 2: stage 2 (uniformerv2_tiny_motion_pretrain_continued.py)
# continues from this run's backbone and makes the shipped file. One command
# generates the corpus (if missing), trains both stages and exports the
# backbone weights: `bash tools/pretrain_tiny_expert.sh`. By hand:
#   python tools/data/make_motion_pretraining.py data/motion_pretraining
#   python tools/train.py configs/pretrain/uniformerv2_tiny_motion_pretrain.py
_base_ = [
    '../_base_/models/uniformerv2_tiny_p16_w128.py',
    '../_base_/datasets/motion_pretraining.py',
    '../_base_/schedules/adamw_cosine_cpu_demo.py',
    '../_base_/default_runtime.py'
]

# AdamW at 1e-3 (batch 16), a linear warm-up over the first 100 steps, then
# cosine decay per step to 1e-5, 12 epochs of the default corpus (72 classes
# x 120 clips = 540 steps per epoch; 576 val clips after each): about 30 min
# on 2 idle cores (a step of batch 16 takes 0.25 s; benchmarks/
# tiny_expert_sensitivity.py measures yours). From scratch the tiny
# UniFormerV2 stays at chance for about one epoch (5k clips) before it
# learns; 40 clips per class for 8 epochs never left it.
# Other processes on the cores slow it down many times over.
max_epochs = 12
optim_wrapper = dict(optimizer=dict(lr=1e-3))
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
# Where tools/pretrain_tiny_expert.py exports the best checkpoint's backbone:
# stage 2 (uniformerv2_tiny_motion_pretrain_continued.py) starts from it and
# makes the shipped tiny expert.
backbone_export = 'work_dirs/uniformerv2_tiny_motion_pretrain/backbone.pth'
# From scratch: this run makes the tiny expert's checkpoint.
model = dict(
    backbone=dict(init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
    ]))
