# A short schedule for CPU demos and tests: AdamW, cosine decay per epoch.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=6, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=20, norm_type=2))
param_scheduler = [
    dict(
        type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
        end=6, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
