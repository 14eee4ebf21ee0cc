# An ablation that departs from the paper: mome_htl_expert_loss_synthetic.py
# with the gate weighting the experts' predictions (each token through the
# shared classifier, gated average of the probabilities) instead of their
# tokens (TokenVotingGateHead(fusion='prediction')): what token-level fusion
# costs when a camera fails (docs/training_health.md).
_base_ = ['./mome_htl_expert_loss_synthetic.py']

model = dict(cls_head=dict(fusion='prediction'))
