"""A progress bar over the validation and test batches."""
from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from typing import Dict, Optional

from mome_mmaction.utils.progress import LogFriendlyProgressBar


@HOOKS.register_module()
class EvalProgressBarHook(Hook):
    """Show a progress bar over the batches of every validation and test.

    mmengine's ``LoggerHook`` reports evaluation only every ``interval``
    batches; this hook draws one bar per evaluation on the main process
    (batches done, speed, ETA) and ends its line before the metrics are
    logged. Written to a file or pipe (not a terminal), it prints one line
    every 10% instead of redrawing. Add it with
    ``custom_hooks = [dict(type='EvalProgressBarHook')]``.
    """

    def __init__(self) -> None:
        self._bar: Optional[LogFriendlyProgressBar] = None

    def _start(self, num_batches: int) -> None:
        if is_main_process():
            self._bar = LogFriendlyProgressBar(num_batches, desc='eval')

    def _update(self) -> None:
        if self._bar:
            self._bar.update()

    def _finish(self) -> None:
        if self._bar:
            self._bar.finish()
            self._bar = None

    def before_val_epoch(self, runner) -> None:
        self._start(len(runner.val_loop.dataloader))

    def before_test_epoch(self, runner) -> None:
        self._start(len(runner.test_loop.dataloader))

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch=None,
                       outputs=None) -> None:
        self._update()

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs=None) -> None:
        self._update()

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        self._finish()

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        self._finish()
