# A CPU schedule for the synthetic family, fine-tuning the pretrained tiny
# experts (configs/_base_/models/tiny_pretrained_expert.py): AdamW at
# 5e-4 (batch 8), cosine decay per step to 1e-5 over 10 epochs of the
# harder synthetic Drive&Act (about 53 steps each), validating after each.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
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
        eta_min=1e-5,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True)
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
