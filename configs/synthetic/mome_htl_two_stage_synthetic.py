# MoME + HTL on the synthetic Drive&Act with the two-stage recipe (CPU):
# stage 1 trains each tiny expert alone (single_*_synthetic.py, Recognizer3D),
# stage 2 trains mome_htl_synthetic.py with every expert starting from its
# stage-1 best checkpoint:
#   tools/train_two_stage.sh \
#       configs/synthetic/mome_htl_two_stage_synthetic.py 1
# Stage 2 keeps the one-stage schedule (10 epochs, lr 5e-4), so the two
# recipes differ only in where the experts start.
_base_ = ['./mome_htl_synthetic.py']

# One single-modality config per expert; {{ fileDirname }} is this folder.
stage1_configs = dict(
    rgb='{{ fileDirname }}/single_rgb_synthetic.py',
    ir='{{ fileDirname }}/single_ir_synthetic.py',
    depth='{{ fileDirname }}/single_depth_synthetic.py')
# Filled in by tools/train_two_stage.sh with each stage-1 best checkpoint.
model = dict(expert_checkpoints=dict(rgb=None, ir=None, depth=None))
