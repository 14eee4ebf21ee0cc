from .eval_progress_bar_hook import EvalProgressBarHook
from .moe_health_hook import MoEHealthHook
from .non_finite_guard_hook import NonFiniteGuardHook, NonFiniteTrainingError
from .rng_state_hook import RNGStateHook

__all__ = [
    'EvalProgressBarHook', 'MoEHealthHook', 'NonFiniteGuardHook',
    'NonFiniteTrainingError', 'RNGStateHook'
]
