"""Paired bootstrap of the accuracy difference between two models."""
import numpy as np
from typing import Dict, Sequence, Tuple


def top1_and_mean1(labels: np.ndarray,
                   predicted: np.ndarray) -> Tuple[float, float]:
    """Top-1 and Mean-1 (mean per-class accuracy over the classes present in
    ``labels``, as MMAction2's ``mean_class_accuracy``).

    Args:
        labels (np.ndarray): (S,) class indices.
        predicted (np.ndarray): (S,) predicted class indices.

    Returns:
        tuple[float, float]: Both as fractions.
    """
    correct = predicted == labels
    classes = np.unique(labels)
    per_class = [correct[labels == label].mean() for label in classes]
    return float(correct.mean()), float(np.mean(per_class))


def paired_bootstrap(splits: Sequence[Dict[str, np.ndarray]],
                     resamples: int = 2000,
                     seed: int = 0,
                     level: float = 0.95) -> Dict[str, float]:
    """Difference ``b - a`` in Top-1 and Mean-1, averaged over splits, with
    a paired-bootstrap interval over the test clips.

    Each resample draws every split's clips with replacement (the same draw
    for both models, so the interval reflects only how they differ on the
    same clips), computes both models' Top-1 and Mean-1 per split and
    averages the differences over the splits, as the benchmark averages
    its metrics. Runs of several training seeds on one split are scored on
    the same draw of its clips and averaged: the interval then covers the
    test clips' sampling, with the seeds' variation averaged down, never
    counting a clip once per seed.

    Args:
        splits (Sequence[dict]): One dict per split with ``labels``
            (S_split,) int and ``predicted_a`` and ``predicted_b``, each
            (S_split,) int or (R, S_split) for R training seeds.
        resamples (int): Bootstrap resamples. Defaults to 2000.
        seed (int): Seed of the resampling. Defaults to 0.
        level (float): Coverage of the percentile interval. Defaults to
            0.95.

    Returns:
        dict[str, float]: ``top1_diff``, ``top1_low``, ``top1_high``,
        ``mean1_diff``, ``mean1_low``, ``mean1_high`` (fractions) and
        ``clips`` (pooled count).
    """
    for index, split in enumerate(splits):
        sizes = {
            key: np.shape(split[key])[-1]
            for key in ('labels', 'predicted_a', 'predicted_b')
        }
        if len(set(sizes.values())) != 1:
            raise ValueError(f'split {index}: labels and predictions differ '
                             f'in length: {sizes}')

    # (R, S_split) per model: one row per training seed
    seeds_a = [np.atleast_2d(split['predicted_a']) for split in splits]
    seeds_b = [np.atleast_2d(split['predicted_b']) for split in splits]

    def seed_mean(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
        return np.mean([top1_and_mean1(labels, row) for row in predicted],
                       axis=0)

    def differences(draws: Sequence[np.ndarray]) -> np.ndarray:
        per_split = []
        for split, a, b, draw in zip(splits, seeds_a, seeds_b, draws):
            labels = split['labels'][draw]
            per_split.append(
                seed_mean(labels, b[:, draw]) - seed_mean(labels, a[:, draw]))
        return np.mean(per_split, axis=0)  # (2,): Top-1, Mean-1

    estimate = differences([np.arange(len(s['labels'])) for s in splits])
    rng = np.random.default_rng(seed)
    samples = np.stack([
        differences([
            rng.integers(0, len(s['labels']), len(s['labels'])) for s in splits
        ]) for _ in range(resamples)
    ])  # (resamples, 2)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail], axis=0)
    return dict(
        top1_diff=float(estimate[0]),
        top1_low=float(low[0]),
        top1_high=float(high[0]),
        mean1_diff=float(estimate[1]),
        mean1_low=float(low[1]),
        mean1_high=float(high[1]),
        clips=int(sum(len(s['labels']) for s in splits)))


def seed_top1_differences(splits: Sequence[Dict[str,
                                                np.ndarray]]) -> np.ndarray:
    """Each training seed's Top-1 difference ``b - a``, averaged over the
    splits: how far one seed's reading moves. :func:`paired_bootstrap`'s
    interval covers the test clips' sampling only; these show the training
    noise it leaves out.

    Args:
        splits (Sequence[dict]): As for :func:`paired_bootstrap`, with
            ``predicted_a`` and ``predicted_b`` of shape (R, S_split), the
            same R seeds in every split and for both models.

    Returns:
        np.ndarray: (R,) Top-1 differences as fractions, seed by seed.
    """
    per_split = []
    for index, split in enumerate(splits):
        a = np.atleast_2d(split['predicted_a'])
        b = np.atleast_2d(split['predicted_b'])
        if a.shape[0] != b.shape[0]:
            raise ValueError(f'split {index}: {a.shape[0]} seeds of a, '
                             f'{b.shape[0]} of b')
        per_split.append([
            top1_and_mean1(split['labels'], row_b)[0] -
            top1_and_mean1(split['labels'], row_a)[0]
            for row_a, row_b in zip(a, b)
        ])
    if len({len(seeds) for seeds in per_split}) > 1:
        raise ValueError('every split needs the same seeds, got '
                         f'{[len(seeds) for seeds in per_split]} per split')
    return np.mean(per_split, axis=0)
