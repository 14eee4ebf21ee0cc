"""Timing shared by the benchmarks: steps timed in alternation, so load from
other processes spreads over all of them and their ratios stay meaningful on
a shared machine."""
import statistics
import time
import torch
from typing import Callable, Dict, List, NamedTuple, Tuple


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
        rounds (int): Timed rounds (each calls every step once, in order).
        ratios (dict[str, float]): Label -> min time / the baseline's min.
        paired_ratios (dict[str, float]): Label (but the baseline) -> mean
            over rounds of its time / the baseline's in the same round.
        relative_error (float): Largest standard error of a mean paired
            ratio, relative to that mean.
        stopped_by (str): ``'spread'`` (error below the tolerance) or
            ``'budget'`` (time or round budget spent first).
    """
    times: Dict[str, List[float]]
    rounds: int
    ratios: Dict[str, float]
    paired_ratios: Dict[str, float]
    relative_error: float
    stopped_by: str


def ratios_of_mins(times: Dict[str, List[float]],
                   baseline: str) -> Dict[str, float]:
    """Label -> fastest call / the baseline's fastest call."""
    return {
        label: min(values) / min(times[baseline])
        for label, values in times.items()
    }


def paired_ratio_statistics(times: Dict[str, List[float]],
                            baseline: str) -> Tuple[Dict[str, float], float]:
    """Mean per-round ratio of each label (but the baseline) to the
    baseline, and the largest relative standard error of those means (inf
    with under 2 rounds)."""
    means, errors = {}, [0.]
    for label, values in times.items():
        if label == baseline:
            continue
        ratios = [value / base for value, base in zip(values, times[baseline])]
        means[label] = statistics.mean(ratios)
        errors.append(
            statistics.stdev(ratios) / len(ratios)**0.5 /
            means[label] if len(ratios) > 1 else float('inf'))
    return means, max(errors)


def interleaved_until_stable(
    steps: Dict[str, Callable[[], object]],
    baseline: str,
    tolerance: float = 0.01,
    min_rounds: int = 5,
    max_rounds: int = 50,
    budget_s: float = 600.,
    device: torch.device = torch.device('cpu')
) -> InterleavedTiming:
    """Time the steps in turns (A B A B ...) until their ratios are known.

    After one untimed warm-up call of each step, every round calls each step
    once, in order, and each step's time is divided by the baseline's of
    the same round (a paired ratio: both saw about the same machine). From
    ``min_rounds`` on, timing stops when the standard error of every mean
    paired ratio is below ``tolerance`` of that mean (``stopped_by=
    'spread'``), or when ``budget_s`` seconds or ``max_rounds`` rounds are
    spent (``'budget'``). The ratio of the fastest calls (least disturbed by
    other load) is reported next to the mean paired ratio.

    Args:
        steps (dict[str, callable]): Label -> the step to time.
        baseline (str): Label of the step the others are compared with.
        tolerance (float): Relative standard error to stop at. Defaults to
            0.01.
        min_rounds (int): Rounds before the first check. Defaults to 5.
        max_rounds (int): Round budget. Defaults to 50.
        budget_s (float): Time budget in seconds, warm-up included.
            Defaults to 600.
        device (torch.device): Synchronized around every call.

    Returns:
        InterleavedTiming: Times, rounds, ratios, their error and why it
        stopped.
    """
    start = time.perf_counter()
    times = interleaved_seconds(steps, repeats=1, device=device)
    error, stopped_by = float('inf'), 'budget'
    while len(times[baseline]) < max_rounds:
        round_times = interleaved_seconds(
            steps, repeats=1, device=device, warmup=False)
        for label, values in round_times.items():
            times[label].extend(values)
        _, error = paired_ratio_statistics(times, baseline)
        if len(times[baseline]) >= min_rounds and error < tolerance:
            stopped_by = 'spread'
            break
        if time.perf_counter() - start > budget_s:
            break
    paired, error = paired_ratio_statistics(times, baseline)
    return InterleavedTiming(times, len(times[baseline]),
                             ratios_of_mins(times, baseline), paired, error,
                             stopped_by)


def describe_stop(timing: InterleavedTiming, tolerance: float) -> str:
    """One line: rounds run, why timing stopped, the paired ratios."""
    paired = ', '.join(f'{label} x{ratio:.3f}'
                       for label, ratio in timing.paired_ratios.items())
    error = f'{100 * timing.relative_error:.2f}%'
    if timing.stopped_by == 'spread':
        return (f'{timing.rounds} interleaved rounds; stopped as the mean '
                f'paired ratios ({paired}) are known to {error} (< '
                f'{100 * tolerance:g}%, standard error)')
    return (f'{timing.rounds} interleaved rounds; stopped by the time or round'
            f' budget with the mean paired ratios ({paired}) known to {error}'
            f' only (>= {100 * tolerance:g}%, standard error): treat the '
            'ratios as rough')
