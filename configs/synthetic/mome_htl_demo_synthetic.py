# The paper's MoME + HTL on the main job's schedule (the main job itself
# until the training-health study; now mome_demo_synthetic.py): exactly as
# mome_htl_synthetic.py (pretrained tiny experts, joint gate, alpha 0.01,
# beta 1 with the MSE L_inter), on a 6-epoch cosine schedule instead of 10.
_base_ = ['./mome_htl_synthetic.py']

train_cfg = dict(max_epochs=6)
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=0,
        end=6,
        convert_to_iter_based=True)
]
