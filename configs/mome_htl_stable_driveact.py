# MoME + HTL on Drive&Act with the stabilizers the training-health
# diagnosis supports (docs/training_health.md); configs/mome_htl_driveact.py
# stays the paper's recipe:
#   tools/dist_train.sh configs/mome_htl_stable_driveact.py 2
# Four changes to the paper's recipe:
# - each expert's token also through the shared classifier with its own
#   cross-entropy (TokenVotingGateHead(expert_loss_weight=1),
#   Gradient-Blending), so every expert stays discriminative on its own;
# - L_inter's beta ramped up from 0 over the first 2 of the 100 epochs:
#   6,642 training chunks of split 0 / (4 clips x 2 GPUs) = 830 steps an
#   epoch, 1,660 steps (HTLLoss(beta_warmup_iters=1660); scale it with your
#   batch and GPU count), so L_inter's trivial minimum (every expert
#   emitting one vector) is not reached before the classifier learns;
# - departing from the paper: the fused token classified by Dropout ->
#   Linear instead of the MLP (TokenVotingGateHead(mlp_channels=0)), whose
#   two small layers pass the experts a tenth of the gradient;
# - departing from the paper: L_inter on the class tokens standardized per
#   channel over the batch (HTLLoss(inter_batch_standardize=True)), so it
#   cannot fall by every expert emitting one vector.
# Its synthetic twin:
# configs/synthetic/mome_htl_stable_linear_standardized_inter_synthetic.py.
_base_ = ['./mome_htl_driveact.py']

model = dict(
    cls_head=dict(expert_loss_weight=1.0, mlp_channels=0),
    htl_loss=dict(beta_warmup_iters=1660, inter_batch_standardize=True))
