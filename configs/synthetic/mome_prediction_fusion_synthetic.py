# An ablation that departs from the paper: mome_expert_loss_synthetic.py
# (MoME, each expert's token also trained through the shared classifier with
# its own cross-entropy, no HTL) with the gate weighting the experts'
# predictions (each token through the shared classifier, gated average of
# the probabilities) instead of their tokens
# (TokenVotingGateHead(fusion='prediction')): late fusion's averaging with
# the joint gate's weights (docs/training_health.md).
_base_ = ['./mome_expert_loss_synthetic.py']

model = dict(cls_head=dict(fusion='prediction'))
