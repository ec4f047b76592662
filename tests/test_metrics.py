"""Metrics: hand-computed cases, the tie rule, and agreement with scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from rasl.metrics import (
    benchmark_mean,
    category_means,
    ranked_ap,
    ranking,
    tvsum_labels,
    tvsum_top5_ap,
    youtube_ap,
)


def _umt_reference(hits, n_relevant):
    """The trapezoid written as running recall / precision updates, one rank at a time."""
    if n_relevant == 0:
        return 0.0
    found, ap, recall, precision = 0, 0.0, 0.0, 1.0
    for rank, hit in enumerate(hits, 1):
        found += hit
        new_recall, new_precision = found / n_relevant, found / rank
        ap += (new_recall - recall) * (precision + new_precision) / 2
        recall, precision = new_recall, new_precision
    return ap


def test_youtube_ap_by_hand():
    scores, labels = np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, -1, 1, 0])
    # hits 1,0,1,0; P = 1, 1/2, 2/3, 1/2; trapezoid: ((1+1)/2 + (1/2+2/3)/2) / 2
    assert youtube_ap(scores, labels) == pytest.approx((1 + 7 / 12) / 2)
    assert youtube_ap(scores, labels, protocol="sklearn") == pytest.approx(
        (1 + 2 / 3) / 2
    )


def test_borderline_is_negative():
    # the only positive ranks second behind a borderline clip: (P(1)=0 + P(2)=1/2) / 2
    assert youtube_ap(np.array([0.9, 0.1]), np.array([0, 1])) == pytest.approx(0.25)


def test_ties_keep_clip_order():
    flat = np.full(4, 0.5)
    assert list(ranking(flat)) == [0, 1, 2, 3]
    # positives late in time: hits 0,1,0,1 -> ((0+1/2)/2 + (1/3+1/2)/2) / 2 = 1/3
    assert youtube_ap(flat, np.array([-1, 1, -1, 1])) == pytest.approx(1 / 3)
    # positives early: hits 1,0,1,0 -> (1 + 7/12) / 2
    assert youtube_ap(flat, np.array([1, -1, 1, -1])) == pytest.approx((1 + 7 / 12) / 2)
    # scikit-learn groups the tie into one threshold: AP = share of positives
    assert youtube_ap(
        flat, np.array([-1, 1, -1, 1]), protocol="sklearn"
    ) == pytest.approx(0.5)


def test_long_curves_with_ties_keep_clip_order():
    # past 16 elements numpy's default sort is not stable: 300 clips on three score levels
    scores = np.random.default_rng(3).choice([0.2, 0.9, 0.5], 300)
    expected = sorted(range(300), key=lambda i: (-scores[i], i))
    assert ranking(scores).tolist() == expected
    assert ranking(np.array([0, 3, 1, 255], np.uint8)).tolist() == [
        3,
        1,
        2,
        0,
    ]  # no unsigned wrap-around


@pytest.mark.parametrize("protocol", ["umt", "sklearn"])
def test_all_negative_and_all_positive(protocol):
    scores = np.array([0.3, 0.1, 0.2])
    with warnings.catch_warnings():
        # no positive is a defined case, not scikit-learn's warning
        warnings.simplefilter("error")
        assert youtube_ap(scores, np.array([-1, -1, 0]), protocol=protocol) == 0.0
    assert youtube_ap(scores, np.array([1, 1, 1]), protocol=protocol) == pytest.approx(
        1.0
    )


def test_step_ap_agrees_with_sklearn_on_distinct_scores():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = rng.integers(2, 60)
        scores, positive = rng.random(n), rng.random(n) < 0.4
        if not positive.any():
            continue
        ours = ranked_ap(positive[ranking(scores)], positive.sum(), "step")[0]
        assert ours == pytest.approx(average_precision_score(positive, scores))


def test_trapezoid_matches_running_updates():
    rng = np.random.default_rng(1)
    hits = rng.random((30, 12)) < 0.5
    n_relevant = hits.sum(axis=1) + rng.integers(0, 3, 30)
    expected = [_umt_reference(h, n) for h, n in zip(hits, n_relevant)]
    assert ranked_ap(hits, n_relevant) == pytest.approx(expected)


def test_tvsum_labels_match_torch_lower_median():
    rng = np.random.default_rng(2)
    for n in (6, 7, 10):
        scores = rng.integers(1, 6, (20, n)).astype(float)
        lower = torch.tensor(scores).median(dim=1, keepdim=True).values.numpy()
        assert (tvsum_labels(scores) == (scores > lower)).all()


ANNOTATORS = np.array([[5, 4, 3, 2, 1, 1], [1, 1, 1, 5, 5, 5]], dtype=float)
# ranks clips 0..5; top 5 = clips 0..4
SCORES = np.array([6, 5, 4, 3, 2, 1], dtype=float)


def test_tvsum_top5_by_hand():
    # annotator 1: positives 0,1,2 (> 2.5) -> top-5 hits 1,1,1,0,0 -> AP 1
    # annotator 2: positives 3,4,5 (> 3)   -> hits 0,0,0,1,1 -> ((0+1/4)/2 + (1/4+2/5)/2) / 2 = 0.225
    assert tvsum_top5_ap(SCORES, ANNOTATORS) == pytest.approx((1 + 0.225) / 2)
    # standard AP@5, normalised by min(5, 3): 1 and (1/4 + 2/5) / 3
    assert tvsum_top5_ap(SCORES, ANNOTATORS, protocol="standard") == pytest.approx(
        (1 + 0.65 / 3) / 2
    )
    # consensus: mean [3, 2.5, 2, 3.5, 3, 3], median 3 -> only clip 3 -> hits 0,0,0,1,0 -> (0 + 1/4) / 2
    assert tvsum_top5_ap(SCORES, ANNOTATORS, labels="consensus") == pytest.approx(0.125)


def test_tvsum_fewer_than_five_clips():
    annotator = np.array([[1.0, 2.0, 3.0]])  # median 2 -> clip 2 positive, ranked last
    scores = np.array([3.0, 2.0, 1.0])
    assert tvsum_top5_ap(scores, annotator) == pytest.approx((0 + 1 / 3) / 2)
    assert tvsum_top5_ap(scores, annotator, protocol="standard") == pytest.approx(1 / 3)


def test_tvsum_without_positives_in_top5_scores_zero():
    # second: none > median
    annotators = np.array([[1, 1, 1, 1, 1, 5, 5, 5, 5, 5], [2] * 10], dtype=float)
    # top 5 = clips 0..4, all negative for both
    scores = np.arange(10, 0, -1, dtype=float)
    assert tvsum_top5_ap(scores, annotators) == 0.0
    # first annotator 1, second 0
    assert tvsum_top5_ap(-scores, annotators) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: youtube_ap(np.array([0.1, np.nan]), np.array([1, -1])),
            r"finite 1-D array, got shape \(2,\)",
        ),
        (lambda: ranking(np.zeros((2, 2))), r"finite 1-D array, got shape \(2, 2\)"),
        (
            lambda: youtube_ap(np.array([0.1, 0.2]), np.array([1, -1, 1])),
            r"2 scores for \(3,\) labels",
        ),
        (
            lambda: tvsum_top5_ap(np.array([0.1, 0.2]), ANNOTATORS),
            r"2 scores for annotator scores shaped \(2, 6\)",
        ),
        (
            lambda: youtube_ap(np.array([0.1]), np.array([1]), protocol="other"),
            "'umt' or 'sklearn', got 'other'",
        ),
        (
            lambda: tvsum_top5_ap(SCORES, ANNOTATORS, protocol="other"),
            "'umt' or 'standard', got 'other'",
        ),
        (
            lambda: tvsum_labels(ANNOTATORS, labels="mean"),
            "'per_annotator' or 'consensus', got 'mean'",
        ),
        (
            lambda: ranked_ap(np.ones((1, 3)), 3, "linear"),
            "'trapezoid' or 'step', got 'linear'",
        ),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_means():
    values = {"a": 0.2, "b": 0.4, "c": 0.9}
    per_category = category_means(
        values, {"a": "x", "b": "x", "c": "y"}, order=("y", "x", "z")
    )
    assert list(per_category) == ["y", "x"]
    assert per_category == pytest.approx({"y": 0.9, "x": 0.3})
    # categories weigh equally
    assert benchmark_mean(per_category) == pytest.approx(0.6)
    # without an order: sorted by name
    by_name = category_means(values, {"a": "x", "b": "z", "c": "y"})
    assert list(by_name.items()) == [("x", 0.2), ("y", 0.9), ("z", 0.4)]
