"""An mmengine ``Runner`` whose distributed launch also works without CUDA,
whose ``load_from`` / ``--resume`` need no pretrained files, and whose
``--resume`` is exact with loader workers (or says why not)."""
import datetime
import torch
import torch.distributed as torch_dist
from mmaction.registry import RUNNERS
from mmengine.dist import is_distributed
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop, Runner, find_latest_checkpoint
from torch import nn
from typing import Dict, List, Optional, Tuple, Union

from ...models.utils.pretrained import missing_pretrained_skipped
from .exact_resume import exact_resume_dataloader

#: Hooks every run of this runner gets unless its config lists them (with
#: any arguments): exact ``--resume``, and no training on NaN / inf.
DEFAULT_CUSTOM_HOOKS = ('RNGStateHook', 'NonFiniteGuardHook')


def stop_persistent_workers(loop: Union[BaseLoop, Dict, None]) -> None:
    """Shut down the persistent workers of a built loop's dataloader now.

    torch shuts them down when the loader's iterator is deleted; inside a
    runner's reference cycles that is the garbage collector's work, which
    may close the workers' queues first: each worker then waits out
    torch's 5 s status-check timeout (10 s per runner of 2 workers).
    """
    loader = getattr(loop, 'dataloader', None)  # None: a loop not built
    iterator = getattr(loader, '_iterator', None)
    if hasattr(iterator, '_shutdown_workers'):  # multi-process iterators
        iterator._shutdown_workers()
        loader._iterator = None


def with_default_hooks(custom_hooks: Optional[List]) -> Tuple[List, List[str]]:
    """``custom_hooks`` plus the :data:`DEFAULT_CUSTOM_HOOKS` it lacks.

    Returns:
        tuple[list, list[str]]: The hooks, and the names of those added.
    """
    hooks = list(custom_hooks or [])
    present = {
        hook['type'] if isinstance(hook, dict) else type(hook).__name__
        for hook in hooks
    }
    added = [name for name in DEFAULT_CUSTOM_HOOKS if name not in present]
    return hooks + [dict(type=name) for name in added], added


@RUNNERS.register_module()
class PortableRunner(Runner):
    """``Runner`` that launches distributed jobs on CPU machines too.

    With CUDA it is mmengine's ``Runner`` unchanged (NCCL, one device per
    process). Without CUDA, mmengine's ``init_dist`` would call
    ``torch.cuda.set_device`` and DDP would be given a CUDA device id; this
    runner instead joins the ``torch.distributed.run`` (``--launcher
    pytorch``) process group with the gloo backend and wraps the model in DDP
    without device ids, so ``tools/dist_train.sh CONFIG 2`` runs 2 real
    processes on a CPU machine. Select it with ``runner_type =
    'PortableRunner'`` in a config (our ``default_runtime`` does).

    mmengine's ``train()`` initializes the model (``init_weights()``) and
    then loads ``load_from`` or the ``--resume`` checkpoint over it. When
    such a checkpoint will be loaded, this runner leaves missing local
    ``Pretrained`` files (e.g. the Kinetics-710 UniFormerV2 file) out of
    the initialization, with a log line, instead of failing on them.

    It also gives every run the :data:`DEFAULT_CUSTOM_HOOKS` its
    ``custom_hooks`` lack (``RNGStateHook``: exact ``--resume``;
    ``NonFiniteGuardHook``: stop at a NaN / inf loss or gradient), with a
    log line; a hook the config lists keeps the config's arguments.

    With loader workers, ``RNGStateHook`` alone does not make ``--resume``
    exact: persistent workers keep random states checkpoints do not carry.
    This runner's training dataloader therefore seeds every sample from
    (seed, epoch, index) where that keeps the sampler's order
    (:func:`~.exact_resume.exact_resume_dataloader`: ``SampleSeededSampler``
    with any dataset, and ``DefaultSampler`` with persistent workers, with a
    log line); with persistent workers and another sampler it logs a
    warning naming the fix at start and writes it to every checkpoint's
    ``meta['resume_warning']``, and a ``--resume`` from such a checkpoint
    repeats it. When ``train()`` ends, the training and validation loaders'
    persistent workers are shut down (:func:`stop_persistent_workers`). Our
    ``tools/train.py`` and ``tools/test.py`` select this runner for any
    config that sets no ``runner_type``, so a plain MMAction2 config gets
    all of this unchanged.
    """

    def __init__(self,
                 *args,
                 custom_hooks: Optional[List] = None,
                 **kwargs) -> None:
        custom_hooks, added = with_default_hooks(custom_hooks)
        super().__init__(*args, custom_hooks=custom_hooks, **kwargs)
        if added:
            self.logger.info(
                f'PortableRunner added custom hooks {", ".join(added)} '
                '(the config does not list them)')
        self.resume_warning: Optional[str] = None

    def train(self) -> nn.Module:
        """mmengine's ``train()``; then the training and validation
        loaders' persistent workers are shut down, even after an error."""
        try:
            return super().train()
        finally:
            stop_persistent_workers(self._train_loop)
            stop_persistent_workers(self._val_loop)

    def build_train_loop(self, loop: Union[BaseLoop, Dict]) -> BaseLoop:
        """Build the loop as mmengine does, from the training dataloader
        :func:`~.exact_resume.exact_resume_dataloader` gives; log what it
        changed, or its warning (kept in :attr:`resume_warning`)."""
        if isinstance(loop, dict) and self._train_dataloader is not None:
            exact = exact_resume_dataloader(self._train_dataloader)
            self._train_dataloader = exact.dataloader
            if exact.change:
                self.logger.info(f'train_dataloader: {exact.change}')
            if exact.warning:
                self.resume_warning = exact.warning
                self.logger.warning(exact.warning)
        return super().build_train_loop(loop)

    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[Dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[Dict] = None,
                        **kwargs) -> None:
        """Save as mmengine does, with :attr:`resume_warning` in
        ``meta['resume_warning']`` when there is one."""
        if self.resume_warning is not None:
            meta = dict(meta or {}, resume_warning=self.resume_warning)
        super().save_checkpoint(
            out_dir,
            filename,
            file_client_args,
            save_optimizer,
            save_param_scheduler,
            meta=meta,
            **kwargs)

    def load_checkpoint(self, filename: str, *args, **kwargs) -> Dict:
        """Load as mmengine does; on ``--resume``, repeat the checkpoint's
        ``meta['resume_warning']``."""
        checkpoint = super().load_checkpoint(filename, *args, **kwargs)
        warning = checkpoint.get('meta', {}).get('resume_warning')
        if self._resume and warning:
            self.logger.warning(f'{filename} was saved by a run that warned: '
                                f'{warning}')
        return checkpoint

    def setup_env(self, env_cfg: Dict) -> None:
        """Join a gloo process group on CPU, then set up as mmengine does."""
        if (self.distributed and not is_distributed()
                and not torch.cuda.is_available()):
            if self.launcher != 'pytorch':
                raise RuntimeError(
                    f'--launcher {self.launcher} needs CUDA; on a machine '
                    'without CUDA launch with torchrun and --launcher pytorch '
                    '(tools/dist_train.sh does).')
            dist_cfg = dict(env_cfg.get('dist_cfg', {}))
            dist_cfg['backend'] = 'gloo'
            if dist_cfg.get('timeout') is not None:
                dist_cfg['timeout'] = datetime.timedelta(
                    seconds=dist_cfg['timeout'])
            torch_dist.init_process_group(**dist_cfg)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict],
                   model: nn.Module) -> nn.Module:
        """Wrap as mmengine does; on CPU, give DDP no device ids."""
        if self.distributed and not torch.cuda.is_available():
            model_wrapper_cfg = dict(
                model_wrapper_cfg or dict(
                    type='MMDistributedDataParallel',
                    broadcast_buffers=False,
                    find_unused_parameters=self.cfg.get(
                        'find_unused_parameters', False)))
            model_wrapper_cfg.setdefault('device_ids', None)
        return super().wrap_model(model_wrapper_cfg, model)

    def checkpoint_to_load(self) -> Optional[str]:
        """The checkpoint ``load_or_resume()`` will load in ``train()``.

        Returns:
            str | None: ``load_from``; with ``resume`` and no ``load_from``,
            the work dir's latest checkpoint; else None.
        """
        if self._load_from is not None:
            return self._load_from
        if self._resume:
            return find_latest_checkpoint(self.work_dir)
        return None

    def _init_model_weights(self) -> None:
        """Initialize as mmengine does; missing ``Pretrained`` files are
        skipped when :meth:`checkpoint_to_load` gives the weights."""
        checkpoint = self.checkpoint_to_load()
        if checkpoint is None:
            super()._init_model_weights()
            return
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        reason = f'the weights come from {checkpoint} (load_from / --resume)'
        with missing_pretrained_skipped(model, reason=reason):
            super()._init_model_weights()
