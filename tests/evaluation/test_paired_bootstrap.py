import numpy as np
import pytest

from mome_mmaction.evaluation import (paired_bootstrap, seed_top1_differences,
                                      top1_and_mean1)


def test_top1_and_mean1_by_hand():
    labels = np.array([0, 0, 0, 1])
    predicted = np.array([0, 0, 1, 1])
    # Top-1 3/4; per class: 2/3 and 1/1 -> Mean-1 5/6
    assert top1_and_mean1(labels, predicted) == pytest.approx((0.75, 5 / 6))


def test_identical_models_differ_by_exactly_zero():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 50)
    predicted = rng.integers(0, 4, 50)
    diff = paired_bootstrap(
        [dict(labels=labels, predicted_a=predicted, predicted_b=predicted)],
        resamples=200)
    assert (diff['top1_diff'], diff['top1_low'], diff['top1_high']) == (0, 0,
                                                                        0)
    assert diff['mean1_low'] == diff['mean1_high'] == 0


def test_always_right_against_always_wrong_is_one_in_every_resample():
    labels = np.arange(20) % 4
    wrong = (labels + 1) % 4
    diff = paired_bootstrap(
        [dict(labels=labels, predicted_a=wrong, predicted_b=labels)] * 2,
        resamples=100)
    for key in ('top1_diff', 'top1_low', 'top1_high', 'mean1_diff',
                'mean1_low', 'mean1_high'):
        assert diff[key] == 1.
    assert diff['clips'] == 40


def test_the_estimate_is_the_mean_of_the_split_differences():
    # split 0: B right on 1 more of 4 clips (+0.25); split 1: A right on 1
    # more of 2 clips (-0.5): mean -0.125; the interval contains it
    splits = [
        dict(
            labels=np.array([0, 1, 0, 1]),
            predicted_a=np.array([0, 0, 0, 0]),
            predicted_b=np.array([0, 1, 0, 0])),
        dict(
            labels=np.array([0, 1]),
            predicted_a=np.array([0, 1]),
            predicted_b=np.array([0, 0]))
    ]
    diff = paired_bootstrap(splits, resamples=500)
    assert diff['top1_diff'] == pytest.approx(-0.125)
    assert diff['top1_low'] <= -0.125 <= diff['top1_high']
    assert diff['top1_low'] < diff['top1_high']


def test_mismatched_lengths_name_the_split():
    with pytest.raises(ValueError, match='split 1: labels and predictions'):
        paired_bootstrap([
            dict(
                labels=np.zeros(2),
                predicted_a=np.zeros(2),
                predicted_b=np.zeros(2)),
            dict(
                labels=np.zeros(3),
                predicted_a=np.zeros(2),
                predicted_b=np.zeros(3))
        ])


def test_seeds_are_averaged_on_the_same_clips_by_hand():
    # A's two seeds: 2/4 and 4/4 right (0.75); B's: 4/4 and 3/4 (0.875)
    labels = np.array([0, 1, 0, 1])
    diff = paired_bootstrap([
        dict(
            labels=labels,
            predicted_a=np.array([[0, 0, 0, 0], [0, 1, 0, 1]]),
            predicted_b=np.array([[0, 1, 0, 1], [0, 1, 0, 0]]))
    ],
                            resamples=200)
    assert diff['top1_diff'] == pytest.approx(0.125)
    assert diff['clips'] == 4


def test_a_seed_repeated_is_one_seed_not_twice_the_clips():
    """Scoring every seed on one draw of the clips: the same run twice gives
    the same interval as once (pooling seeds as extra clips would narrow
    it)."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 60)
    predicted_a, predicted_b = rng.integers(0, 4, (2, 60))
    once = paired_bootstrap([
        dict(labels=labels, predicted_a=predicted_a, predicted_b=predicted_b)
    ],
                            resamples=300)
    twice = paired_bootstrap([
        dict(
            labels=labels,
            predicted_a=np.stack([predicted_a] * 2),
            predicted_b=np.stack([predicted_b] * 2))
    ],
                             resamples=300)
    assert twice == pytest.approx(once)


def test_each_seeds_difference_by_hand():
    """Seed 0: A 2/4, B 4/4 (+0.5); seed 1: A 4/4, B 3/4 (-0.25). Two
    splits, the second the same as the first: the mean over them."""
    split = dict(
        labels=np.array([0, 1, 0, 1]),
        predicted_a=np.array([[0, 0, 0, 0], [0, 1, 0, 1]]),
        predicted_b=np.array([[0, 1, 0, 1], [0, 1, 0, 0]]))
    assert seed_top1_differences([split, split]) == pytest.approx([0.5, -0.25])
    with pytest.raises(ValueError, match='split 1: 2 seeds of a, 1 of b'):
        seed_top1_differences([split, dict(split, predicted_b=np.zeros(4))])
    with pytest.raises(ValueError, match=r'same seeds, got \[2, 1\]'):
        seed_top1_differences([
            split,
            dict(split, predicted_a=np.zeros(4), predicted_b=np.zeros(4))
        ])
