"""Save every rank's random generator states in checkpoints; restore them on
resume."""
import numpy as np
import random
import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from typing import Dict, List, Optional


def get_rng_state() -> Dict:
    """The Python, numpy, torch (and CUDA) generator states of this process."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict) -> None:
    """Restore states captured by :func:`get_rng_state`."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make ``--resume`` continue the random streams of the interrupted run.

    mmengine only re-seeds on resume, so random augmentation, dropout and
    drop-path after a resume differ from an uninterrupted run. This hook
    gathers every rank's generator states at the end of each training epoch
    (or iteration, for iteration-based loops), stores them as
    ``checkpoint['meta']['rng_state']`` (a list indexed by rank) and, when
    training resumes at that checkpoint's epoch and iteration, restores them
    right before training continues: before the training loop starts, or,
    with persistent loader workers (which an uninterrupted run starts only
    once), before its first iteration, once the workers are started. The
    workers' own streams are not in the checkpoint: with persistent workers
    every sample must run seeded (``SampleSeededSampler``), which
    ``PortableRunner`` arranges or warns about (docs/resume.md).
    Fine-tuning with ``load_from`` keeps its own seed. Its priority runs it
    before ``CheckpointHook``. Validation runs on saved-and-restored states,
    so it does not shift the training streams (it runs after the checkpoint
    is saved, and a resumed run skips it).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self) -> None:
        self._rank_states: Optional[List[Dict]] = None
        self._loaded: Optional[Dict] = None
        self._state_before_val: Optional[Dict] = None
        self._pending_state: Optional[Dict] = None

    def _gather(self) -> None:
        self._rank_states = all_gather_object(get_rng_state())

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            self._gather()

    def after_train_epoch(self, runner) -> None:
        self._gather()

    def before_val(self, runner) -> None:
        self._state_before_val = get_rng_state()

    def after_val(self, runner) -> None:
        set_rng_state(self._state_before_val)

    def before_save_checkpoint(self, runner, checkpoint: Dict) -> None:
        if self._rank_states is not None:
            checkpoint['meta']['rng_state'] = self._rank_states

    def after_load_checkpoint(self, runner, checkpoint: Dict) -> None:
        meta = checkpoint.get('meta', {})
        self._loaded = dict(
            rng_state=meta.get('rng_state'),
            epoch=meta.get('epoch'),
            iter=meta.get('iter'))

    def before_train(self, runner) -> None:
        loaded, self._loaded = self._loaded, None
        resumed_here = (
            loaded is not None and
            (runner.epoch, runner.iter) == (loaded['epoch'], loaded['iter']))
        if not resumed_here or not loaded['rng_state']:
            return  # nothing loaded, or a ``load_from`` (not a resume)
        rank, world_size = get_dist_info()
        rank_states = loaded['rng_state']
        if len(rank_states) != world_size:
            print_log(
                f'The checkpoint has random states of {len(rank_states)} '
                f'ranks but {world_size} run now; every rank continues rank '
                "0's streams.",
                logger='current',
                level=30)
            rank = 0
        loader = runner.train_loop.dataloader
        if getattr(loader, 'persistent_workers', False) and getattr(
                loader, 'num_workers', 0) > 0:
            # The resumed run starts its workers when its first epoch
            # begins, drawing their seed from torch's generator; the
            # uninterrupted run reuses its workers there and draws nothing.
            self._pending_state = rank_states[rank]
        else:
            set_rng_state(rank_states[rank])

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        if self._pending_state is not None:
            set_rng_state(self._pending_state)
            self._pending_state = None
