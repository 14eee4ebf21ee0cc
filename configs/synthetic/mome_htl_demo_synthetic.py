# The README's main job (bash tools/demo.sh): MoME + HTL exactly as
# mome_htl_synthetic.py (pretrained tiny experts, joint gate, alpha 0.01,
# beta 1 with the MSE L_inter), on a 6-epoch cosine schedule instead of 10,
# so that install, data, training, test and gate report take at most 10
# minutes on a 2-core CPU (an epoch of the hard data is about 62 s there).
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
