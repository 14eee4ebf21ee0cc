# Late fusion (late_fusion_driveact.py) with the two-stage recipe of
# ../mome_htl_two_stage_driveact.py: the same stage-1 experts, so the two
# fusions compare on equal footing. Stage 2 keeps the one-stage schedule.
#   tools/train_two_stage.sh \
#       configs/ablations/late_fusion_two_stage_driveact.py 2
_base_ = ['./late_fusion_driveact.py']

# One single-modality config per expert; {{ fileDirname }} is this folder.
stage1_configs = dict(
    rgb='{{ fileDirname }}/finetune_rgb_driveact.py',
    ir='{{ fileDirname }}/finetune_ir_driveact.py',
    depth='{{ fileDirname }}/finetune_depth_driveact.py')
# Filled in by tools/train_two_stage.sh with each stage-1 best checkpoint.
model = dict(expert_checkpoints=dict(rgb=None, ir=None, depth=None))
