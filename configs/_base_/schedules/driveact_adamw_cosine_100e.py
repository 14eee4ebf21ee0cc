# The paper's recipe: AdamW (betas 0.9/0.999, weight decay 0.05), base lr
# 1e-5 for the config's per-GPU batch, scaled by the number of data shards
# (processes) with MMAction2's auto_scale_lr, cosine decay to 1e-7 over 100
# epochs.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-5, betas=(0.9, 0.999), weight_decay=0.05),
    # As MMAction2's UniFormerV2 recipes: no weight decay on norms and
    # biases; nor on HTL's block-weight logits and the per-expert gate prior
    # (decay would pull them to uniform weights, not regularize features).
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'block_weight_logits': dict(decay_mult=0.),
            'expert_prior': dict(decay_mult=0.)
        }),
    clip_grad=dict(max_norm=20, norm_type=2))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=100,
        eta_min=1e-7,
        by_epoch=True,
        begin=0,
        end=100,
        convert_to_iter_based=True)
]
# base_batch_size = the per-GPU batch of the dataset config (4): the lr is
# 1e-5 x number of processes.
auto_scale_lr = dict(enable=True, base_batch_size=4)
