"""Timing shared by the benchmarks: steps timed in alternation, so load from
other processes spreads over all of them and their ratios stay meaningful on
a shared machine."""
import time
import torch
from typing import Callable, Dict, List


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work (a no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def interleaved_seconds(
    steps: Dict[str, Callable[[], object]],
    repeats: int,
    device: torch.device = torch.device('cpu')
) -> Dict[str, List[float]]:
    """Seconds of each step, ``repeats`` times each, after one warm-up.

    Args:
        steps (dict[str, callable]): Label -> the step to time.
        repeats (int): Timed calls per step; the steps take turns.
        device (torch.device): Synchronized around every call.

    Returns:
        dict[str, list[float]]: Label -> ``repeats`` durations.
    """
    for step in steps.values():
        step()
    times: Dict[str, List[float]] = {label: [] for label in steps}
    for _ in range(repeats):
        for label, step in steps.items():
            synchronize(device)
            start = time.perf_counter()
            step()
            synchronize(device)
            times[label].append(time.perf_counter() - start)
    return times
