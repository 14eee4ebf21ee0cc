# Runtime shared by every mome_mmaction config.
custom_imports = dict(imports=['mome_mmaction'], allow_failed_imports=False)
default_scope = 'mmaction'
# mmengine's Runner, plus distributed launches on CPU machines (gloo).
runner_type = 'PortableRunner'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))
# Checkpoints carry every rank's random states; --resume continues them.
# A NaN / inf loss or gradient stops training (skip_steps=True: skips it).
# A progress bar over every validation and test.
# The training-health monitor of models that fuse experts (health/ scalars,
# 'MoE health:' warnings, health.json; inert for one expert); off with
# --cfg-options custom_hooks.3.enabled=False.
custom_hooks = [
    dict(type='RNGStateHook'),
    dict(type='NonFiniteGuardHook', skip_steps=False),
    dict(type='EvalProgressBarHook'),
    dict(type='MoEHealthHook', interval=50)
]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
