# An ablation that departs from the paper: mome_prediction_fusion_synthetic.py
# (the joint gate weighting the experts' predictions, each expert with its
# own cross-entropy, no HTL) with the fused prediction's loss kept from the
# experts (TokenVotingGateHead(fused_loss_to_experts=False)): each expert
# learns from its own loss alone, as in late fusion, and the gate learns
# how to weight their predictions per clip (docs/training_health.md).
_base_ = ['./mome_prediction_fusion_synthetic.py']

model = dict(cls_head=dict(fused_loss_to_experts=False))
