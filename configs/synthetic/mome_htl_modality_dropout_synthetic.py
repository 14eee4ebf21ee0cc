# MoME + HTL trained with ModalityDropout: each training clip loses one
# sensor (black frames) with probability 0.3, so the model learns to do
# without a failed camera.
_base_ = ['./mome_htl_synthetic.py']

train_pipeline = [
    _base_.train_pipeline[0],
    dict(type='ModalityDropout', modalities=_base_.collect_keys, p=0.3),
    _base_.train_pipeline[1]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
