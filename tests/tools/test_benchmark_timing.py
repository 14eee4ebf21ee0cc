"""benchmarks/timing.py: when interleaved timing may stop."""
import itertools
from unittest import mock

from tests.conftest import load_benchmark


def timed_on_a_fake_clock(timing, durations, **kwargs):
    """Run interleaved_until_stable where step ``label`` takes the next of
    ``durations[label]`` seconds of a fake clock."""
    clock = [0.]
    sequences = {label: itertools.cycle(d) for label, d in durations.items()}

    def step(label):

        def run():
            clock[0] += next(sequences[label])

        return run

    with mock.patch.object(timing.time, 'perf_counter', lambda: clock[0]):
        return timing.interleaved_until_stable(
            {label: step(label)
             for label in durations},
            baseline='a',
            **kwargs)


def test_steady_ratio_stops_early_with_its_paired_ratio():
    timing = load_benchmark('timing')
    result = timed_on_a_fake_clock(
        timing, dict(a=[10., 11.], b=[12., 13.2]), budget_s=1e6)
    assert result.stopped_by == 'spread' and result.rounds == 5
    assert abs(result.paired_ratios['b'] - 1.2) < 1e-9
    assert abs(result.ratios['b'] - 1.2) < 1e-9
    assert 'known to 0.00%' in timing.describe_stop(result, 0.01)


def test_noisy_ratio_with_settled_minimums_does_not_stop_early():
    """The fastest calls stop moving after a few rounds while the paired
    ratios still vary by 10%: that is not a known ratio."""
    timing = load_benchmark('timing')
    result = timed_on_a_fake_clock(
        timing,
        dict(a=[10., 10., 10.], b=[10., 11., 12.]),
        budget_s=1e6,
        max_rounds=12)
    assert result.stopped_by == 'budget' and result.rounds == 12
    assert result.relative_error > 0.01
    assert 'treat the ratios as rough' in timing.describe_stop(result, 0.01)
