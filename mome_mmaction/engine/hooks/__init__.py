from .eval_progress_bar_hook import EvalProgressBarHook
from .non_finite_guard_hook import NonFiniteGuardHook, NonFiniteTrainingError
from .rng_state_hook import RNGStateHook

__all__ = [
    'EvalProgressBarHook', 'NonFiniteGuardHook', 'NonFiniteTrainingError',
    'RNGStateHook'
]
