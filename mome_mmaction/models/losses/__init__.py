from .htl_loss import HTLLoss

__all__ = ['HTLLoss']
