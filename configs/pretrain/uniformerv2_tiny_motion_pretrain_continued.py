# Stage 2 of the tiny expert's motion pretraining: the same model, corpus
# and optimizer as uniformerv2_tiny_motion_pretrain.py (stage 1, 12 epochs
# from scratch, still improving when its cosine schedule ended), started
# from stage 1's exported backbone and trained 12 more epochs under a new
# warm-up and cosine schedule (a warm restart, Loshchilov & Hutter, SGDR,
# ICLR 2017). The classification head starts anew (the export keeps the
# backbone only). About 35 min on 2 idle cores. Validation Top-1 7.64% after
# stage 1, 20.1% after this stage (Top-5 31.9 -> 57%); this run makes the
# shipped tiny expert (`bash tools/pretrain_tiny_expert.sh` runs both stages).
#   python tools/pretrain_tiny_expert.py \
#       --config configs/pretrain/uniformerv2_tiny_motion_pretrain_continued.py
_base_ = ['./uniformerv2_tiny_motion_pretrain.py']

# Stage 1's backbone weights, as tools/pretrain_tiny_expert.py exports them.
stage1_checkpoint = 'work_dirs/uniformerv2_tiny_motion_pretrain/backbone.pth'
# Where tools/pretrain_tiny_expert.py exports this stage's backbone: the
# shipped tiny expert (configs/_base_/models/tiny_pretrained_expert.py).
backbone_export = 'checkpoints/uniformerv2_tiny_motion_pretrain.pth'
model = dict(
    backbone=dict(init_cfg=[
        dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.),
        dict(
            type='Pretrained',
            checkpoint=stage1_checkpoint,
            prefix='backbone.')
    ]))
