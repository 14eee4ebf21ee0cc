import numpy as np
import pickle
from mmaction.registry import DATA_SAMPLERS, DATASETS
from mmengine.dataset import DefaultSampler, pseudo_collate
from torch.utils.data import DataLoader

from mome_mmaction.datasets import (SampleSeededSampler, SeededIndex,
                                    sample_seed)
from mome_mmaction.datasets.synthetic import SYNTHETIC_DRIVEACT_CLASSES

RANDOM_TRAIN = [
    dict(
        type='SynchronizedModalityTransforms',
        transforms=[
            dict(type='DecordInit'),
            dict(
                type='SampleFrames', clip_len=4, frame_interval=2,
                num_clips=1),
            dict(type='DecordDecode'),
            dict(type='Resize', scale=(64, 64), keep_ratio=False),
            dict(type='RandomResizedCrop', area_range=(0.2, 0.9)),
            dict(type='Resize', scale=(32, 32), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5),
            dict(type='FormatShape', input_format='NCTHW'),
        ]),
    dict(type='ModalityDropout', modalities=('rgb', 'ir', 'depth'), p=0.5),
    dict(type='PackActionInputs', collect_keys=('rgb', 'ir', 'depth')),
]


def _dataset(root):
    return DATASETS.build(
        dict(
            type='DriveActDataset',
            data_root=str(root),
            split=0,
            subset='train',
            classes=SYNTHETIC_DRIVEACT_CLASSES,
            pipeline=RANDOM_TRAIN))


def _epochs(dataset, sampler, num_workers, epochs=2):
    """Per epoch: sample index -> its packed clips, through a DataLoader."""
    loader = DataLoader(
        dataset,
        batch_size=2,
        sampler=sampler,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        collate_fn=pseudo_collate)
    order = []
    results = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        order.append([int(index) for index in sampler])
        clips = {}
        for batch, indices in zip(
                loader, np.array_split(order[-1], range(2, len(order[-1]),
                                                        2))):
            for position, index in enumerate(indices):
                clips[int(index)] = {
                    key: values[position].numpy()
                    for key, values in batch['inputs'].items()
                }
        results.append(clips)
    return order, results


def test_seeded_index_is_an_int_that_keeps_its_seed():
    index = SeededIndex(7, 1234)
    assert index == 7 and [10, 11, 12, 13, 14, 15, 16, 17][index] == 17
    copy = pickle.loads(pickle.dumps(index))
    assert (int(copy), copy.sample_seed) == (7, 1234)
    seeds = {sample_seed(0, epoch, i) for epoch in range(3) for i in range(5)}
    assert len(seeds) == 15 and all(0 <= seed < 2**32 for seed in seeds)
    assert sample_seed(0, 1, 2) == sample_seed(0, 1, 2) != sample_seed(1, 1, 2)


def test_order_is_default_samplers():
    dataset = list(range(11))
    for epoch in range(2):
        seeded = DATA_SAMPLERS.build(
            dict(type='SampleSeededSampler', dataset=dataset, seed=3))
        default = DefaultSampler(dataset, seed=3)
        seeded.set_epoch(epoch)
        default.set_epoch(epoch)
        indices = list(seeded)
        assert indices == list(default)
        assert [index.sample_seed for index in indices
                ] == [sample_seed(3, epoch, int(index)) for index in indices]


def test_same_augmentation_with_0_and_2_persistent_workers(
        synthetic_driveact_root):
    dataset = _dataset(synthetic_driveact_root)
    runs = {
        workers: _epochs(dataset, SampleSeededSampler(dataset, seed=0),
                         workers)
        for workers in (0, 2)
    }
    assert runs[0][0] == runs[2][0]  # the same order
    for epoch in range(2):
        for index, clips in runs[0][1][epoch].items():
            for key, clip in clips.items():
                np.testing.assert_array_equal(
                    clip, runs[2][1][epoch][index][key], err_msg=key)
    # Each epoch draws anew: another crop for some sample.
    first, second = runs[0][1]
    assert any(not np.array_equal(first[i]['rgb'], second[i]['rgb'])
               for i in first)


def test_default_sampler_with_workers_would_differ(synthetic_driveact_root):
    """The check above is meaningful: without the per-sample seed, the
    worker count changes the augmentation."""
    dataset = _dataset(synthetic_driveact_root)
    runs = {
        workers: _epochs(dataset, DefaultSampler(dataset, seed=0), workers, 1)
        for workers in (0, 2)
    }
    assert any(not np.array_equal(clips['rgb'], runs[2][1][0][i]['rgb'])
               for i, clips in runs[0][1][0].items())
