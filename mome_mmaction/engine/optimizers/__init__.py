from .autocast_optim_wrapper import AutocastOptimWrapper
from .lr_mult_optim_wrapper_constructor import LrMultOptimWrapperConstructor

__all__ = ['AutocastOptimWrapper', 'LrMultOptimWrapperConstructor']
