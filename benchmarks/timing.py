"""Timing shared by the benchmarks: steps timed in alternation, so load from
other processes spreads over all of them and their ratios stay meaningful on
a shared machine."""
import statistics
import time
import torch
from typing import Callable, Dict, List, NamedTuple


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work (a no-op on CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def interleaved_seconds(steps: Dict[str, Callable[[], object]],
                        repeats: int,
                        device: torch.device = torch.device('cpu'),
                        warmup: bool = True) -> Dict[str, List[float]]:
    """Seconds of each step, ``repeats`` times each, after one warm-up.

    Args:
        steps (dict[str, callable]): Label -> the step to time.
        repeats (int): Timed calls per step; the steps take turns.
        device (torch.device): Synchronized around every call.
        warmup (bool): Call every step once, untimed, first. Defaults to
            True.

    Returns:
        dict[str, list[float]]: Label -> ``repeats`` durations.
    """
    if warmup:
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


class InterleavedTiming(NamedTuple):
    """What :func:`interleaved_until_stable` measured.

    Attributes:
        times (dict[str, list[float]]): Label -> seconds of each timed call.
        rounds (int): Rounds run (each calls every step once, in order).
        ratios (dict[str, float]): Label -> min time / the baseline's min.
        spread (float): Largest relative range (max - min) / mean of any
            label's ratio of mins over the last ``window`` rounds.
        stopped_by (str): ``'spread'`` (below the tolerance) or ``'budget'``
            (time or round budget spent first).
    """
    times: Dict[str, List[float]]
    rounds: int
    ratios: Dict[str, float]
    spread: float
    stopped_by: str


def ratios_of_mins(times: Dict[str, List[float]],
                   baseline: str) -> Dict[str, float]:
    """Label -> fastest call / the baseline's fastest call."""
    return {
        label: min(values) / min(times[baseline])
        for label, values in times.items()
    }


def interleaved_until_stable(
    steps: Dict[str, Callable[[], object]],
    baseline: str,
    tolerance: float = 0.01,
    window: int = 3,
    min_rounds: int = 5,
    max_rounds: int = 50,
    budget_s: float = 600.,
    device: torch.device = torch.device('cpu')
) -> InterleavedTiming:
    """Time the steps in turns (A B A B ...) until their ratios settle.

    After one untimed warm-up call of each step, every round calls each step
    once, in order. From ``min_rounds`` on, the ratio of each step's fastest
    call to the baseline's fastest is taken after every round; timing stops
    when, over the last ``window`` rounds, no ratio moved by more than
    ``tolerance`` of its mean (``stopped_by='spread'``), or when ``budget_s``
    seconds or ``max_rounds`` rounds are spent (``'budget'``). The fastest
    call is the least disturbed by other load on a shared machine, so the
    ratio of mins is the figure to compare; medians show the spread.

    Args:
        steps (dict[str, callable]): Label -> the step to time.
        baseline (str): Label of the step the others are compared with.
        tolerance (float): Relative spread to stop at. Defaults to 0.01.
        window (int): Rounds the spread is taken over. Defaults to 3.
        min_rounds (int): Rounds before the first check. Defaults to 5.
        max_rounds (int): Round budget. Defaults to 50.
        budget_s (float): Time budget in seconds, warm-up included.
            Defaults to 600.
        device (torch.device): Synchronized around every call.

    Returns:
        InterleavedTiming: Times, rounds, ratios, spread and why it stopped.
    """
    start = time.perf_counter()
    times = interleaved_seconds(steps, repeats=1, device=device)
    history: List[Dict[str, float]] = [ratios_of_mins(times, baseline)]
    spread, stopped_by = float('inf'), 'budget'
    while len(history) < max_rounds:
        round_times = interleaved_seconds(
            steps, repeats=1, device=device, warmup=False)
        for label, values in round_times.items():
            times[label].extend(values)
        history.append(ratios_of_mins(times, baseline))
        if len(history) >= max(min_rounds, window):
            spread = max(
                (max(values) - min(values)) / statistics.mean(values)
                for values in ([ratios[label] for ratios in history[-window:]]
                               for label in steps))
            if spread < tolerance:
                stopped_by = 'spread'
                break
        if time.perf_counter() - start > budget_s:
            break
    return InterleavedTiming(times, len(history), history[-1], spread,
                             stopped_by)


def describe_stop(timing: InterleavedTiming, tolerance: float) -> str:
    """One line: rounds run and why timing stopped."""
    if timing.stopped_by == 'spread':
        return (f'{timing.rounds} interleaved rounds; stopped as the ratios '
                f'moved by {100 * timing.spread:.2f}% (< '
                f'{100 * tolerance:g}%) over the last rounds')
    return (f'{timing.rounds} interleaved rounds; stopped by the time or round'
            f' budget with the ratios still moving by '
            f'{100 * timing.spread:.2f}% (>= {100 * tolerance:g}%): '
            'treat them as rough')
