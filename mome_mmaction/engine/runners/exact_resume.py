"""Make a training dataloader config resume exactly with loader workers,
or say why it cannot."""
import copy
from mmaction.registry import DATA_SAMPLERS
from mmengine.dataset import DefaultSampler
from typing import Any, NamedTuple, Optional

from ...datasets import SampleSeededDataset, SampleSeededSampler

#: The sampler setting that makes any training dataloader resume exactly.
SAMPLE_SEEDED_FIX = "sampler=dict(type='SampleSeededSampler', shuffle=True)"


class ExactResumeDataloader(NamedTuple):
    """A training dataloader config as :func:`exact_resume_dataloader`
    leaves it.

    Attributes:
        dataloader (dict): The config to build.
        change (str | None): What was changed, for the log.
        warning (str | None): Why ``--resume`` cannot be exact, with the fix.
    """
    dataloader: Any
    change: Optional[str]
    warning: Optional[str]


def _sampler_class(sampler: Any) -> Optional[type]:
    """The class a sampler config (or sampler) builds, if known."""
    if not isinstance(sampler, dict):
        return type(sampler)
    sampler_type = sampler.get('type')
    if isinstance(sampler_type, str):
        return DATA_SAMPLERS.get(sampler_type)
    return sampler_type if isinstance(sampler_type, type) else None


def exact_resume_dataloader(dataloader: Any) -> ExactResumeDataloader:
    """The training ``dataloader`` config that ``--resume`` continues
    exactly whatever its loader workers, without changing the order its
    sampler draws; or the reason it cannot, naming the fix.

    Loader workers draw a sample's random choices from random states of
    their own, which checkpoints do not carry. mmengine seeds them from
    (seed, rank, worker id) when they start: workers started every epoch
    (``persistent_workers=False``) replay on resume what they drew, but
    persistent workers continue their streams across epochs, where a
    resumed run starts them afresh. So:

    - ``SampleSeededSampler``: the dataset is wrapped in
      :class:`SampleSeededDataset`, so every sample runs seeded from
      (seed, epoch, index) whatever the dataset (exact with any workers);
    - ``DefaultSampler`` with persistent workers: it becomes
      ``SampleSeededSampler`` (the same order; a subclass of it) and the
      dataset is wrapped as above;
    - another sampler with persistent workers: unchanged, and the warning;
    - anything else (no workers, or workers started every epoch) is left
      as it is: exact as far as the workers go.

    Args:
        dataloader (dict | DataLoader): The ``train_dataloader`` config; a
            built ``DataLoader`` is returned as it is (with the warning if
            it has persistent workers and another sampler).

    Returns:
        ExactResumeDataloader: The config to build, what changed, and the
        warning.
    """
    built = not isinstance(dataloader, dict)  # a DataLoader
    if built:
        num_workers = getattr(dataloader, 'num_workers', 0)
        persistent = getattr(dataloader, 'persistent_workers', False)
        sampler = getattr(dataloader, 'sampler', None)
    else:
        num_workers = dataloader.get('num_workers', 0) or 0
        persistent = bool(dataloader.get('persistent_workers', False))
        sampler = dataloader.get('sampler')
    persistent = persistent and num_workers > 0
    sampler_class = _sampler_class(sampler)
    change = None
    if (not built and persistent and sampler_class is DefaultSampler
            and isinstance(sampler, dict)):
        dataloader = copy.deepcopy(dataloader)
        dataloader['sampler'] = dict(sampler, type=SampleSeededSampler)
        sampler_class = SampleSeededSampler
        change = (
            f'DefaultSampler with {num_workers} persistent loader workers '
            "runs as SampleSeededSampler (the same order; every sample's "
            'random choices seeded from (seed, epoch, index)), so --resume '
            'is exact')
    seeded = isinstance(sampler_class, type) and issubclass(
        sampler_class, SampleSeededSampler)
    if seeded and not built:
        dataloader = copy.deepcopy(dataloader)
        dataset = dataloader['dataset']
        if not (isinstance(dataset, SampleSeededDataset) or
                (isinstance(dataset, dict) and dataset.get('type') in
                 (SampleSeededDataset, 'SampleSeededDataset'))):
            dataloader['dataset'] = dict(
                type=SampleSeededDataset, dataset=dataset, lazy_init=True)
    warning = None
    if persistent and not seeded:
        sampler_name = getattr(sampler_class, '__name__', repr(sampler))
        warning = (
            f'--resume will not be exact: the {num_workers} persistent '
            'loader workers of train_dataloader keep random states of their '
            f'own, which checkpoints do not carry, and its {sampler_name} '
            'does not seed each sample; set train_dataloader.'
            f'{SAMPLE_SEEDED_FIX} (the same order as DefaultSampler) or '
            'persistent_workers=False')
    return ExactResumeDataloader(dataloader, change, warning)
