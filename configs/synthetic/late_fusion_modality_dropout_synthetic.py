# late_fusion_synthetic.py with ModalityDropout in training (p = 0.3, one
# camera of the clip black), the baseline for
# mome_expert_loss_modality_dropout_synthetic.py on the same data.
_base_ = ['./late_fusion_synthetic.py']

train_pipeline = [
    _base_.train_pipeline[0],
    dict(type='ModalityDropout', modalities=_base_.collect_keys, p=0.3),
    _base_.train_pipeline[1]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
