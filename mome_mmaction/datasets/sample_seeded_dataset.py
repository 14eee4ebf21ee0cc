"""A dataset wrapper that runs every sample with the seed its index
carries, so ``SampleSeededSampler`` works with any dataset."""
import copy
from mmaction.registry import DATASETS
from mmengine.dataset import BaseDataset
from torch.utils.data import Dataset
from typing import Any, Union

from ..utils.random_states import seeded_random_states


@DATASETS.register_module()
class SampleSeededDataset(Dataset):
    """Wrap any dataset so that an index from :class:`SampleSeededSampler`
    (a :class:`SeededIndex`) loads its sample with NumPy, Python and torch
    seeded from the index's ``sample_seed`` (the states they had are
    restored afterwards); a plain ``int`` index loads it unchanged.

    A sample's random choices (frames, crop, flip, ...) then depend only on
    the run's seed, the epoch and the sample, not on the loader worker that
    draws it, so MMAction2's ``VideoDataset`` or ``RawframeDataset`` gets
    what ``DriveActDataset`` does by itself: the same augmentation whatever
    ``num_workers`` and an exact ``--resume`` with persistent workers.
    ``PortableRunner`` wraps the training dataset of a run whose sampler is
    ``SampleSeededSampler`` in it (a config need not name it). A dataset
    wrapper inside it (``RepeatDataset``, ``ConcatDataset``) gets the seed
    too: the whole ``__getitem__`` runs seeded, including a retry with
    another sample after a ``None``. Random choices drawn from a generator
    of the transform's own (``ImgAug``) are not covered.

    Attributes the wrapper lacks (``metainfo`` aside, which it has) are
    read from the wrapped dataset, so hooks reading
    ``runner.train_dataloader.dataset`` see the dataset they expect.

    Args:
        dataset (BaseDataset | dict): The dataset, or its config.
        lazy_init (bool): Leave ``full_init()`` of the wrapped dataset to
            the caller (mmengine's ``build_dataloader`` calls it). Defaults
            to False.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 lazy_init: bool = False) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.dataset = dataset
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """dict: A copy of the wrapped dataset's ``metainfo`` (an
        ``AttributeError`` if it has none, as the dataset itself)."""
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        """Fully initialize the wrapped dataset (if it initializes lazily)."""
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()

    def get_data_info(self, idx: int) -> dict:
        """The wrapped dataset's annotation of sample ``idx``."""
        return self.dataset.get_data_info(idx)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> Any:
        seed = getattr(idx, 'sample_seed', None)
        if seed is None:
            return self.dataset[idx]
        with seeded_random_states(seed):
            return self.dataset[idx]

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes the wrapper lacks; never for
        # ``dataset`` itself or special names (as when unpickling).
        if name == 'dataset' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.dataset, name)
