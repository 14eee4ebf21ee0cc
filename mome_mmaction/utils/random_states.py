"""Save, restore and seed the global random generators augmentations use."""
import numpy as np
import random
import torch
from contextlib import contextmanager
from typing import Iterator, Tuple


def random_states() -> Tuple:
    """The NumPy, Python and torch (CPU) global random states."""
    return np.random.get_state(), random.getstate(), torch.get_rng_state()


def set_random_states(states: Tuple) -> None:
    """Restore states taken by :func:`random_states`."""
    np.random.set_state(states[0])
    random.setstate(states[1])
    torch.set_rng_state(states[2])


@contextmanager
def seeded_random_states(seed: int) -> Iterator[None]:
    """Seed NumPy, Python and torch (CPU) with ``seed`` inside the block;
    restore the states they had before on leaving it.

    Args:
        seed (int): A seed in [0, 2**32).
    """
    states = random_states()
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        set_random_states(states)
