"""SampleSeededDataset: any dataset runs a SeededIndex's sample seeded."""
import numpy as np
import pickle
import random
import torch
from mmaction.registry import DATASETS
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader, Dataset

from mome_mmaction.datasets import (SampleSeededDataset, SampleSeededSampler,
                                    SeededIndex)
from mome_mmaction.utils.random_states import (random_states,
                                               seeded_random_states)


class NoisyIndices(Dataset):
    """Sample ``idx`` is ``idx`` plus NumPy, Python and torch noise (an
    augmentation drawing from the global generators); it knows nothing of
    seeds."""

    metainfo = dict(classes=('a', 'b'))
    marker = 'the wrapped dataset'

    def __len__(self) -> int:
        return 8

    def __getitem__(self, idx: int) -> float:
        return (int(idx) + float(np.random.rand()) + random.random() +
                torch.rand(()).item())


def _same_states(first, second) -> bool:
    return (np.array_equal(first[0][1], second[0][1]) and first[1] == second[1]
            and torch.equal(first[2], second[2]))


def test_a_seeded_index_runs_seeded_and_leaves_the_generators_alone():
    dataset = DATASETS.build(
        dict(type='SampleSeededDataset', dataset=NoisyIndices()))
    with seeded_random_states(1234):
        expected = NoisyIndices()[3]
    before = random_states()
    assert dataset[SeededIndex(3, 1234)] == expected
    assert dataset[SeededIndex(3, 1234)] == expected
    assert dataset[SeededIndex(3, 99)] != expected
    assert _same_states(before, random_states())
    # A plain index draws from the generators as the dataset does.
    assert dataset[3] != dataset[3]
    assert not _same_states(before, random_states())


def test_it_reads_as_the_wrapped_dataset():
    inner = NoisyIndices()
    dataset = SampleSeededDataset(inner)
    assert len(dataset) == 8 and dataset.dataset is inner
    assert dataset.metainfo == inner.metainfo
    assert dataset.marker == 'the wrapped dataset'
    copy = pickle.loads(pickle.dumps(dataset))
    assert len(copy) == 8 and copy.marker == 'the wrapped dataset'
    # No metainfo where the dataset has none (mmengine checks with hasattr).
    assert not hasattr(SampleSeededDataset(list(range(3))), 'metainfo')


def _epochs(num_workers: int, epochs: int = 2) -> list:
    """Per epoch, the samples in order, through a DataLoader."""
    dataset = SampleSeededDataset(NoisyIndices())
    sampler = SampleSeededSampler(dataset, seed=0)
    loader = DataLoader(
        dataset,
        batch_size=2,
        sampler=sampler,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        collate_fn=pseudo_collate)
    samples = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        samples.append([value for batch in loader for value in batch])
    return samples


def test_same_samples_with_0_and_2_persistent_workers():
    without_workers = _epochs(0)
    assert _epochs(2) == without_workers
    assert without_workers[0] != without_workers[1]  # drawn anew per epoch
