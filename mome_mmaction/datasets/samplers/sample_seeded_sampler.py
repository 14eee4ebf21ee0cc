"""A DefaultSampler whose indices carry a per-sample augmentation seed."""
import numpy as np
from mmaction.registry import DATA_SAMPLERS
from mmengine.dataset import DefaultSampler
from typing import Iterator


class SeededIndex(int):
    """A dataset index that carries the seed of the sample's random choices.

    An ``int`` (the dataset reads it as its index) with ``sample_seed``; it
    keeps both when pickled to loader workers.

    Args:
        index (int): The dataset index.
        sample_seed (int): Seed in [0, 2**32) of this draw of the sample.
    """
    sample_seed: int

    def __new__(cls, index: int, sample_seed: int) -> 'SeededIndex':
        seeded = super().__new__(cls, index)
        seeded.sample_seed = sample_seed
        return seeded

    def __reduce__(self):
        return SeededIndex, (int(self), self.sample_seed)


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of sample ``index`` in ``epoch`` of a run seeded
    ``seed``: independent of workers, processes and resumes."""
    return int(
        np.random.SeedSequence([seed, epoch, index]).generate_state(1)[0])


@DATA_SAMPLERS.register_module()
class SampleSeededSampler(DefaultSampler):
    """mmengine's ``DefaultSampler`` (same order, same split over ranks)
    whose indices are :class:`SeededIndex` with the seed of
    :func:`sample_seed` (run seed, epoch, index).

    A dataset that reads it (``DriveActDataset``) runs the sample's pipeline
    with NumPy, Python and torch seeded from it, so a sample's random
    choices (frames, crop, flip, modality dropout, ...) depend only on the
    run's ``randomness.seed``, the epoch and the sample: not on
    ``num_workers``, persistent workers, the number of processes or a
    ``--resume`` (persistent workers would otherwise continue their own
    random streams across epochs, which a resumed run cannot reproduce).
    ``DistSamplerSeedHook`` sets the epoch, as for ``DefaultSampler``.

    Args:
        **kwargs: As :class:`mmengine.dataset.DefaultSampler` (``dataset``,
            ``shuffle``, ``seed``, ``round_up``).
    """

    def __iter__(self) -> Iterator[SeededIndex]:
        for index in super().__iter__():
            yield SeededIndex(index, sample_seed(self.seed, self.epoch, index))
