from .class_token_self_distill_loss import ClassTokenSelfDistillLoss
from .deep_supervision_loss import DeepSupervisionLoss
from .htl_loss import HTLLoss
from .mode_loss import MoDELoss
from .semantic_triplet_loss import SemanticTripletLoss

__all__ = [
    'ClassTokenSelfDistillLoss', 'DeepSupervisionLoss', 'HTLLoss', 'MoDELoss',
    'SemanticTripletLoss'
]
