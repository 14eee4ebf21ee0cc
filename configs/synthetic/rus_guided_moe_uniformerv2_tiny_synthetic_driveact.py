# Temporal RUS-guided MoE head over three tiny UniFormerV2
# experts on the synthetic Drive&Act (tools/data/make_synthetic_driveact.py
# data/synthetic_driveact), CPU demo schedule.
# The RUS file (model.cls_head.rus_file) must exist first: see
# configs/_base_/models/rus_guided_moe_uniformerv2_tiny.py.
_base_ = [
    '../_base_/models/rus_guided_moe_uniformerv2_tiny.py',
    '../_base_/datasets/synthetic_driveact.py',
    '../_base_/schedules/adamw_cosine_cpu_demo.py',
    '../_base_/default_runtime.py'
]

model = dict(
    cls_head=dict(num_classes={{_base_.num_classes}}),
    data_preprocessor={{_base_.driveact_data_preprocessor}})
default_hooks = dict(logger=dict(interval=2))
randomness = dict(seed=0)
