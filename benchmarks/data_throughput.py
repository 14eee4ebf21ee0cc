"""Throughput of the 3-modality Drive&Act training pipeline vs 3 single ones.

Usage: ``python benchmarks/data_throughput.py [--data-root DIR] [--config
CONFIG] [--workers 2] [--batch-size 8] [--epochs 3] [--rounds 3]``.

Loads the training set of ``--config`` (default: the synthetic Drive&Act
dataset config; without ``--data-root`` a synthetic dataset is generated in
a temporary folder) with a DataLoader of ``--workers`` workers, once with all
modalities through ``SynchronizedModalityTransforms`` and once per single
modality with the same transforms, one after another. Prints clips/s of
each and the ratio of the 3-modality throughput to the three single ones
combined (``clips / (t_rgb + t_ir + t_depth)``); the target is >= 0.9x.
Rounds alternate the pipelines; the median time per pipeline is used.
"""
import argparse
import copy
import statistics
import tempfile
import time
from mmaction.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from pathlib import Path
from torch.utils.data import DataLoader

import mome_mmaction  # noqa: F401  (registers our components)
from mome_mmaction.datasets.synthetic import make_synthetic_driveact

DEFAULT_CONFIG = (
    Path(__file__).parents[1] / 'configs' / '_base_' / 'datasets' /
    'synthetic_driveact.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=str(DEFAULT_CONFIG))
    parser.add_argument('--data-root', help='default: generate synthetic data')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument(
        '--epochs', type=int, default=3, help='epochs per timed pass')
    parser.add_argument('--rounds', type=int, default=3)
    return parser.parse_args()


def build_loader(dataset_cfg: dict, modalities: dict, workers: int,
                 batch_size: int) -> DataLoader:
    """A DataLoader over the training set restricted to ``modalities``."""
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg['modalities'] = modalities
    for transform in dataset_cfg['pipeline']:
        if transform['type'] == 'PackActionInputs':
            transform['collect_keys'] = tuple(modalities)
    dataset = DATASETS.build(dataset_cfg)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=workers,
        persistent_workers=workers > 0,
        shuffle=True,
        collate_fn=pseudo_collate)


def timed_pass(loader: DataLoader, epochs: int) -> float:
    """Seconds to iterate ``epochs`` epochs."""
    start = time.perf_counter()
    for _ in range(epochs):
        for _ in loader:
            pass
    return time.perf_counter() - start


def main() -> None:
    args = parse_args()
    init_default_scope('mmaction')
    cfg = Config.fromfile(args.config)
    dataset_cfg = cfg.train_dataloader.dataset.to_dict()
    with tempfile.TemporaryDirectory() as tmp:
        if args.data_root:
            dataset_cfg['data_root'] = args.data_root
        else:
            make_synthetic_driveact(tmp, seed=0)
            dataset_cfg['data_root'] = tmp
        modalities = dict(dataset_cfg['modalities'])
        names = ['+'.join(modalities)] + list(modalities)
        loaders = {
            names[0]:
            build_loader(dataset_cfg, modalities, args.workers,
                         args.batch_size)
        }
        for key, view in modalities.items():
            loaders[key] = build_loader(dataset_cfg, {key: view}, args.workers,
                                        args.batch_size)
        clips = len(loaders[names[0]].dataset) * args.epochs
        for loader in loaders.values():  # warm up workers and file cache
            timed_pass(loader, 1)
        seconds = {name: [] for name in names}
        for _ in range(args.rounds):
            for name in names:
                seconds[name].append(timed_pass(loaders[name], args.epochs))
        median = {
            name: statistics.median(times)
            for name, times in seconds.items()
        }
        print(f'{clips} clips per pass, {args.workers} workers, batch '
              f'{args.batch_size}, median of {args.rounds} rounds')
        for name in names:
            print(f'{name:>16}: {clips / median[name]:8.1f} clips/s '
                  f'({median[name]:.2f} s)')
        singles = sum(median[key] for key in modalities)
        print(f'{"singles combined":>16}: {clips / singles:8.1f} clips/s '
              f'({singles:.2f} s, one after another)')
        print(f'ratio {names[0]} / singles combined: '
              f'{singles / median[names[0]]:.2f}x (target >= 0.9x)')


if __name__ == '__main__':
    main()
