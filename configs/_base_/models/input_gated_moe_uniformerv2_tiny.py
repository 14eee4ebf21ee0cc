# Input-gated MoE baseline: as MoME, but the gate (3 linear layers) looks at
# a down-sampled copy of the raw clips instead of the experts' outputs.
_base_ = ['./mome_uniformerv2_tiny.py']

model = dict(
    cls_head=dict(
        _delete_=True,
        type='InputGatedMoEHead',
        num_classes={{_base_.model.cls_head.num_classes}},
        in_channels=64,
        num_experts=3,
        modality_channels=3,
        gate_input_size=(2, 8, 8),
        gate_channels=32,
        mlp_channels=64,
        dropout_ratio=0.1,
        average_clips='prob'))
