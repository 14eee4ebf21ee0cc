from .class_token_self_distill_loss import ClassTokenSelfDistillLoss
from .deep_supervision_loss import DeepSupervisionLoss
from .htl_loss import HTLLoss
from .mode_loss import MoDELoss

__all__ = [
    'ClassTokenSelfDistillLoss', 'DeepSupervisionLoss', 'HTLLoss', 'MoDELoss'
]
