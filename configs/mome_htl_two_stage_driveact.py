# MoME + HTL on Drive&Act with the two-stage recipe (as MMAction2's
# RGBPoseConv3D): stage 1 fine-tunes each modality's UniFormerV2-B16 alone
# from Kinetics-710 (the `stage1_configs`, MMAction2's Recognizer3D), stage 2
# trains mome_htl_driveact.py with every expert starting from its stage-1
# best checkpoint instead of the K710 file (stage 2 reads no K710 file):
#   tools/train_two_stage.sh configs/mome_htl_two_stage_driveact.py 2
#   tools/run_splits.sh configs/mome_htl_two_stage_driveact.py 2  # 3 splits
# Stage 2 alone, from your own single-modality checkpoints (Recognizer3D or
# one-expert MoME): tools/train.py with --cfg-options
#   model.expert_checkpoints.rgb=RGB.pth model.expert_checkpoints.ir=IR.pth
#   model.expert_checkpoints.depth=DEPTH.pth
# Stage 2 keeps the one-stage schedule (100 epochs, AdamW lr 1e-5 x GPUs,
# cosine to 1e-7): that recipe already fine-tunes pretrained experts, so the
# two recipes differ only in where the experts start.
_base_ = ['./mome_htl_driveact.py']

# One single-modality config per expert; {{ fileDirname }} is this folder.
stage1_configs = dict(
    rgb='{{ fileDirname }}/ablations/finetune_rgb_driveact.py',
    ir='{{ fileDirname }}/ablations/finetune_ir_driveact.py',
    depth='{{ fileDirname }}/ablations/finetune_depth_driveact.py')
# Filled in by tools/train_two_stage.sh with each stage-1 best checkpoint;
# training with a slot left at None is an error.
model = dict(expert_checkpoints=dict(rgb=None, ir=None, depth=None))
