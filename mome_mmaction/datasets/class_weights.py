"""Classification-loss class weights from a training split's label counts."""
import numpy as np
from typing import Sequence

#: Weighting schemes of :func:`class_weights_from_counts`.
CLASS_WEIGHT_SCHEMES = ('inverse', 'sqrt_inverse')


def class_weights_from_counts(counts: Sequence[int],
                              scheme: str = 'inverse') -> np.ndarray:
    """Class weights for ``CrossEntropyLoss(class_weight=...)``.

    ``inverse``: ``w_c = 1 / n_c``; ``sqrt_inverse``: ``w_c = 1 /
    sqrt(n_c)``; both scaled so that the weights of the classes present
    average 1 (the loss keeps its scale). A class without training samples
    gets weight 0 (it never appears as a target).

    Args:
        counts (Sequence[int]): Training samples per class, (K, ).
        scheme (str): ``'inverse'`` or ``'sqrt_inverse'``.

    Returns:
        np.ndarray: (K, ) float64 weights.
    """
    if scheme not in CLASS_WEIGHT_SCHEMES:
        raise ValueError(f'scheme must be one of {CLASS_WEIGHT_SCHEMES}, '
                         f'got {scheme!r}')
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or (counts < 0).any() or not counts.any():
        raise ValueError('counts must be a non-negative (K, ) sequence with '
                         f'at least one sample, got {counts.tolist()}')
    present = counts > 0
    weights = np.zeros_like(counts)
    weights[present] = counts[present]**(-1.0 if scheme == 'inverse' else -0.5)
    return weights / weights[present].mean()
