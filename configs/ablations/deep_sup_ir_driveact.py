# Deep supervision (Table 4): an auxiliary classifier on each block's class
# token of the single infrared expert.
_base_ = ['./mome_single_expert_ir_driveact.py']

model = dict(
    htl_loss=dict(
        type='DeepSupervisionLoss',
        in_channels=768,
        num_classes=_base_.num_classes,
        num_blocks=12))
