# The main job's recipe (mome_expert_loss_linear_classifier_synthetic.py)
# with one change: ModalityDropout in training (with probability 0.3 one
# camera of the clip is black; not marked offline, so the gate must learn
# to move weight off it). Hypothesis: the gate sees too few failing cameras
# in training to learn to detect them (docs/training_health.md).
_base_ = ['./mome_expert_loss_linear_classifier_synthetic.py']

train_pipeline = [
    _base_.train_pipeline[0],
    dict(type='ModalityDropout', modalities=_base_.collect_keys, p=0.3),
    _base_.train_pipeline[1]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
