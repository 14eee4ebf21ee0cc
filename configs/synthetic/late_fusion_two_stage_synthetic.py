# Late fusion (late_fusion_synthetic.py) with the two-stage recipe of
# mome_htl_two_stage_synthetic.py: the same stage-1 experts, so the two
# fusions compare on equal footing. Stage 2 keeps the one-stage schedule.
#   tools/train_two_stage.sh \
#       configs/synthetic/late_fusion_two_stage_synthetic.py 1
_base_ = ['./late_fusion_synthetic.py']

# One single-modality config per expert; {{ fileDirname }} is this folder.
stage1_configs = dict(
    rgb='{{ fileDirname }}/single_rgb_synthetic.py',
    ir='{{ fileDirname }}/single_ir_synthetic.py',
    depth='{{ fileDirname }}/single_depth_synthetic.py')
# Filled in by tools/train_two_stage.sh with each stage-1 best checkpoint.
model = dict(expert_checkpoints=dict(rgb=None, ir=None, depth=None))
