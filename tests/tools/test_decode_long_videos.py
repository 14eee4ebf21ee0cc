"""benchmarks/decode_long_videos.py: a variant's child process is killed
past the memory limit, and the table says so instead of timing it."""
import sys

from tests.conftest import load_benchmark


def test_a_child_past_the_memory_limit_is_killed():
    benchmark = load_benchmark('decode_long_videos')
    grows = [
        sys.executable, '-c',
        'import time; kept = b"x" * 400_000_000; time.sleep(30)'
    ]
    result = benchmark.run_with_rss_limit(grows, max_rss=2e8, poll_s=0.02)
    assert result.killed and result.returncode != 0
    assert result.peak_rss > 2e8


def test_a_child_within_the_limit_gives_its_output():
    benchmark = load_benchmark('decode_long_videos')
    result = benchmark.run_with_rss_limit([
        sys.executable, '-c', 'print("timed"); import sys; '
        'print("warned", file=sys.stderr)'
    ],
                                          max_rss=2e9)
    assert not result.killed and result.returncode == 0
    assert result.stdout == 'timed\n'
    assert result.stderr_tail == 'warned\n'
