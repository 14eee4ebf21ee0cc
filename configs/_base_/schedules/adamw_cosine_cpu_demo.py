# A CPU schedule for the tiny synthetic models: AdamW, cosine decay per
# epoch. 50 epochs of the demo data (about 1250 steps of batch 8) take the
# tiny MoME+HTL from chance to 100% val Top-1 in about 3 minutes on 2 cores;
# 30 epochs stopped at 82%.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
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
        type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
        end=50, convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
