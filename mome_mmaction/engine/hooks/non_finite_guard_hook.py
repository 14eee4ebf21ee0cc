"""Stop (or skip) a training step whose loss or gradients are not finite."""
import math
import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper, OptimWrapperDict
from typing import Callable, Dict, List, Optional


class NonFiniteTrainingError(RuntimeError):
    """A loss term, the gradients or the weights stopped being finite."""


def non_finite_terms(log_vars: Optional[Dict]) -> Dict[str, float]:
    """The entries of a ``train_step`` output that are NaN or infinite."""
    terms = {}
    for name, value in (log_vars or {}).items():
        if torch.is_tensor(value):
            value = float(value.detach().float().mean())
        if isinstance(value, float) and not math.isfinite(value):
            terms[name] = value
    return terms


def runner_optimizers(runner) -> List[torch.optim.Optimizer]:
    """The optimizers of the runner's ``OptimWrapper`` (or of each wrapper
    of an ``OptimWrapperDict``)."""
    wrappers = runner.optim_wrapper
    wrappers = (
        list(wrappers.values())
        if isinstance(wrappers, OptimWrapperDict) else [wrappers])
    return [
        wrapper.optimizer for wrapper in wrappers
        if isinstance(wrapper, OptimWrapper)
    ]


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Guard training against NaN / infinite losses and gradients.

    Before every optimizer update it measures the total gradient norm of the
    parameters being updated (after unscaling and clipping, so an
    ``AmpOptimWrapper`` whose ``GradScaler`` already skips an overflowing
    step is not flagged); a non-finite norm means the update is not applied.
    After the iteration, if that happened or any logged loss term is
    non-finite, it raises :class:`NonFiniteTrainingError` naming the
    iteration, the epoch, the non-finite terms and the gradient norm, so the
    weights and the last checkpoint stay those of the last good step. With
    ``skip_steps=True`` it logs a warning, counts the step
    (``train/non_finite_steps_skipped`` in the logs) and trains on instead.

    In a distributed run DDP averages the gradients, so a non-finite loss on
    one rank makes every rank's gradient norm non-finite and all ranks skip
    or stop together. Independently of the steps, a checkpoint whose model
    weights are not finite is never written: saving it raises, naming the
    first offending weights.

    Args:
        skip_steps (bool): Skip non-finite steps and continue instead of
            stopping. Defaults to False.
    """

    priority = 'ABOVE_NORMAL'  # before CheckpointHook saves anything

    def __init__(self, skip_steps: bool = False) -> None:
        self.skip_steps = skip_steps
        self.skipped_steps = 0
        self._skipped_grad_norms: List[float] = []

    def before_train(self, runner) -> None:
        """Wrap the ``step`` of every optimizer the runner updates."""
        for optimizer in runner_optimizers(runner):
            optimizer.step = self._guarded_step(optimizer, optimizer.step)

    def _guarded_step(self, optimizer: torch.optim.Optimizer,
                      step: Callable) -> Callable:
        """``optimizer.step`` that does nothing when a gradient is not
        finite."""

        def guarded_step(*args, **kwargs):
            grads = [
                param.grad for group in optimizer.param_groups
                for param in group['params'] if param.grad is not None
            ]
            grad_norm = float(torch.nn.utils.get_total_norm(grads)) \
                if grads else 0.
            if not math.isfinite(grad_norm):
                self._skipped_grad_norms.append(grad_norm)
                return None
            return step(*args, **kwargs)

        return guarded_step

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[Dict] = None) -> None:
        """Stop, or count the skipped step, when this one was not finite."""
        terms = non_finite_terms(outputs)
        grad_norms, self._skipped_grad_norms = self._skipped_grad_norms, []
        if not terms and not grad_norms:
            return
        what = ', '.join(f'{name}={value}' for name, value in terms.items())
        if grad_norms:
            what += (', ' if what else '') + (
                f'gradient norm {grad_norms[0]} (update not applied)')
        where = (f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}, '
                 f'batch {batch_idx + 1})')
        if not self.skip_steps:
            raise NonFiniteTrainingError(
                f'non-finite training step at {where}: {what}. The weights '
                'are those of the last finite step and no checkpoint was '
                'written from this one; lower the learning rate, clip the '
                'gradients (optim_wrapper.clip_grad) or set '
                'NonFiniteGuardHook(skip_steps=True) to skip such steps.')
        self.skipped_steps += 1
        runner.message_hub.update_scalar('train/non_finite_steps_skipped',
                                         self.skipped_steps)
        runner.logger.warning(
            f'skipped non-finite training step at {where}: {what} '
            f'({self.skipped_steps} skipped so far)')

    def before_save_checkpoint(self, runner, checkpoint: Dict) -> None:
        """Refuse to write a checkpoint whose model weights are not
        finite."""
        bad = [
            name for name, value in checkpoint.get('state_dict', {}).items()
            if torch.is_tensor(value) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())
        ]
        if bad:
            raise NonFiniteTrainingError(
                f'not saving the checkpoint of epoch {runner.epoch + 1}, '
                f'iteration {runner.iter}: {len(bad)} weight tensors are '
                f'not finite ({", ".join(bad[:3])}'
                f'{", ..." if len(bad) > 3 else ""})')
