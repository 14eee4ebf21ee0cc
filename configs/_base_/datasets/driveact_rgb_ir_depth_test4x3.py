# driveact_rgb_ir_depth.py tested with MMAction2's UniFormerV2 protocol:
# 4 clips x 3 crops (12 views per sample); scores and gate weights are
# averaged over the views (average_clips='prob'). The paper does not state
# its protocol; the paper configs test 1 clip, centre crop. A model config
# inherits this instead of driveact_rgb_ir_depth.py, e.g.
#   tools/dist_test.sh configs/mome_htl_driveact_test4x3.py CKPT 2
# Every view is resized to 280x224 (colour 1280x1024 and IR/depth 512x424
# are both about 5:4), so ThreeCrop takes the same left / centre / right
# boxes in all of them.
_base_ = ['./driveact_rgb_ir_depth.py']

test_pipeline = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='CachedPyAVInit', **_base_.file_client_args),
            dict(
                type='UniformSample', clip_len=8, num_clips=4, test_mode=True),
            dict(type='SeekingPyAVDecode'),
            dict(type='Resize', scale=(280, 224), keep_ratio=False),
            dict(type='ThreeCrop', crop_size=224),
            dict(type='FormatShape', input_format='NCTHW'),
        ]),
    dict(type='PackActionInputs', collect_keys=_base_.collect_keys)
]
# 12 views of 3 cameras per sample: one sample per batch and GPU.
test_dataloader = dict(batch_size=1, dataset=dict(pipeline=test_pipeline))
