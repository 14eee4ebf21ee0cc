"""PortableRunner: --resume with loader workers is exact (samples seeded from
(seed, epoch, index)) or warned about, in the log and the checkpoints."""
import numpy as np
import pytest
import random
import torch
from mmengine.dataset import DefaultSampler
from mmengine.model import BaseModel
from pathlib import Path
from torch import nn
from torch.utils.data import Dataset

from mome_mmaction.datasets import SampleSeededDataset, SampleSeededSampler
from mome_mmaction.engine.runners import PortableRunner, portable_runner
from mome_mmaction.engine.runners.exact_resume import (SAMPLE_SEEDED_FIX,
                                                       ExactResumeDataloader,
                                                       exact_resume_dataloader)
from mome_mmaction.utils import load_checkpoint_weights_only


class NoisyPoints(Dataset):
    """16 points of 4 features, each draw with NumPy, Python and torch noise
    (an augmentation drawing from the global generators, as MMAction2's
    transforms do)."""

    def __len__(self) -> int:
        return 16

    def __getitem__(self, idx: int) -> dict:
        noise = (
            torch.from_numpy(np.random.rand(4)).float() + random.random() +
            torch.rand(4))
        return dict(inputs=torch.full((4, ), idx / 16) + noise, target=idx)


class ToyRegressor(BaseModel):
    """A linear layer regressing the index parity."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, inputs, target=None, mode='tensor'):
        outputs = self.linear(torch.stack(inputs)).squeeze(1)  # (B, )
        if mode == 'loss':
            parity = torch.tensor(target, dtype=torch.float32) % 2
            return dict(loss=((outputs - parity)**2).mean())
        return outputs


class ReversedSampler(DefaultSampler):
    """A sampler of a user's own: DefaultSampler's order, reversed."""

    def __iter__(self):
        return iter(list(super().__iter__())[::-1])


def toy_runner(work_dir,
               epochs,
               sampler_type=DefaultSampler,
               resume_from=None) -> PortableRunner:
    """A toy training with 2 persistent loader workers, not started."""
    torch.manual_seed(0)  # the same initial weights
    return PortableRunner(
        model=ToyRegressor(),
        work_dir=str(work_dir),
        experiment_name=f'{work_dir.parent.name}_{work_dir.name}',
        train_dataloader=dict(
            dataset=NoisyPoints(),
            sampler=dict(type=sampler_type, shuffle=True),
            batch_size=4,
            num_workers=2,
            persistent_workers=True),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        default_scope='mmaction',
        randomness=dict(seed=0),
        load_from=None if resume_from is None else str(resume_from),
        resume=resume_from is not None)


def train(work_dir, epochs, sampler_type=DefaultSampler, resume_from=None):
    """:func:`toy_runner`, trained; the runner."""
    runner = toy_runner(work_dir, epochs, sampler_type, resume_from)
    runner.train()
    return runner


def run_log(runner) -> str:
    return next(Path(runner.log_dir).glob('*.log')).read_text()


def straight_and_resumed(tmp_path, **kwargs):
    """Final weights of 2 epochs straight, and of 1 epoch + --resume."""
    straight = train(tmp_path / 'straight', 2, **kwargs)
    train(tmp_path / 'stopped', 1, **kwargs)
    resumed = train(
        tmp_path / 'resumed',
        2,
        resume_from=tmp_path / 'stopped' / 'epoch_1.pth',
        **kwargs)
    return straight, resumed


def test_default_sampler_with_persistent_workers_becomes_sample_seeded():
    loader = dict(
        dataset=dict(type='VideoDataset', ann_file='a.txt'),
        sampler=dict(type='DefaultSampler', shuffle=True),
        num_workers=2,
        persistent_workers=True)
    exact = exact_resume_dataloader(loader)
    assert exact.warning is None
    assert exact.change.startswith('DefaultSampler with 2 persistent loader '
                                   'workers runs as SampleSeededSampler')
    assert exact.dataloader['sampler'] == dict(
        type=SampleSeededSampler, shuffle=True)
    assert exact.dataloader['dataset'] == dict(
        type=SampleSeededDataset, dataset=loader['dataset'], lazy_init=True)
    assert loader['sampler']['type'] == 'DefaultSampler'  # not modified
    # Wrapped once, however often it is asked.
    assert exact_resume_dataloader(exact.dataloader) == ExactResumeDataloader(
        exact.dataloader, None, None)


@pytest.mark.parametrize('num_workers, persistent', [(0, True), (2, False)])
def test_default_sampler_is_left_alone_where_resume_is_exact(
        num_workers, persistent):
    loader = dict(
        dataset=dict(type='VideoDataset'),
        sampler=dict(type='DefaultSampler', shuffle=True),
        num_workers=num_workers,
        persistent_workers=persistent)
    assert exact_resume_dataloader(loader) == ExactResumeDataloader(
        loader, None, None)


def test_sample_seeded_sampler_seeds_any_dataset():
    loader = dict(
        dataset=dict(type='VideoDataset'),
        sampler=dict(type='SampleSeededSampler', shuffle=True),
        num_workers=0)
    exact = exact_resume_dataloader(loader)
    assert (exact.change, exact.warning) == (None, None)
    assert exact.dataloader['dataset']['type'] is SampleSeededDataset


def test_another_sampler_with_persistent_workers_is_warned_about():
    loader = dict(
        dataset=dict(type='VideoDataset'),
        sampler=dict(type=ReversedSampler, shuffle=True),
        num_workers=2,
        persistent_workers=True)
    exact = exact_resume_dataloader(loader)
    assert exact.dataloader == loader and exact.change is None
    assert exact.warning.startswith('--resume will not be exact: the 2 '
                                    'persistent loader workers')
    assert 'ReversedSampler' in exact.warning
    assert SAMPLE_SEEDED_FIX in exact.warning


def test_default_sampler_with_two_persistent_workers_resumes_exactly(tmp_path):
    straight, resumed = straight_and_resumed(tmp_path)
    for name, weight in straight.model.state_dict().items():
        assert torch.equal(weight, resumed.model.state_dict()[name]), name
    assert ('train_dataloader: DefaultSampler with 2 persistent loader '
            'workers runs as SampleSeededSampler') in run_log(straight)
    assert isinstance(straight.train_dataloader.sampler, SampleSeededSampler)
    assert len(straight.train_dataloader.dataset) == 16


def test_without_the_seeding_it_would_differ(tmp_path, monkeypatch):
    """The check above is meaningful: the workers' own streams (mmengine's
    seeding, RNGStateHook restoring the main process) do not resume."""
    monkeypatch.setattr(
        portable_runner, 'exact_resume_dataloader',
        lambda loader: ExactResumeDataloader(loader, None, None))
    straight, resumed = straight_and_resumed(tmp_path)
    assert not torch.equal(straight.model.linear.weight,
                           resumed.model.linear.weight)


def test_another_sampler_warns_at_start_in_checkpoints_and_on_resume(tmp_path):
    stopped = train(tmp_path / 'stopped', 1, sampler_type=ReversedSampler)
    warning = stopped.resume_warning
    assert warning and 'ReversedSampler' in warning
    assert f'WARNING - {warning}' in run_log(stopped)
    checkpoint = load_checkpoint_weights_only(
        str(tmp_path / 'stopped' / 'epoch_1.pth'))
    assert checkpoint['meta']['resume_warning'] == warning
    resumed = train(
        tmp_path / 'resumed',
        2,
        sampler_type=ReversedSampler,
        resume_from=tmp_path / 'stopped' / 'epoch_1.pth')
    assert (f'epoch_1.pth was saved by a run that warned: {warning}'
            in run_log(resumed))


def test_persistent_workers_are_shut_down_when_training_ends(tmp_path):
    """Not left to the garbage collector, whose order in the runner's
    reference cycles can make each worker wait out torch's 5 s timeout."""
    runner = toy_runner(tmp_path / 'run', 1)
    loader = runner.train_loop.dataloader
    iterator = iter(loader)  # the workers the loop will use
    workers = list(iterator._workers)
    assert all(worker.is_alive() for worker in workers)
    runner.train()
    assert loader._iterator is None
    assert not any(worker.is_alive() for worker in workers)
