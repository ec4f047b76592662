"""Baselines: exact chance level, constant scores, Fig. 1's heuristic, human agreement."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from rasl.data import YOUTUBE_DOMAINS, YouTubeVideo, load_youtube
from rasl.metrics import youtube_ap
from rasl.paper.baselines import (
    constant_baseline,
    distinctiveness_scores,
    expected_random_ap,
    human_agreement,
    random_baseline,
    similar_counts,
)


@pytest.mark.parametrize("protocol", ["umt", "sklearn"])
@pytest.mark.parametrize("n, r", [(1, 1), (5, 2), (6, 1), (7, 4), (4, 4)])
def test_expected_random_ap_enumerates_exactly(protocol, n, r):
    """Every placement of the r positives among n ranks is equally likely under random scores."""
    scores = np.arange(n, 0, -1, dtype=float)
    aps = []
    for positives in combinations(range(n), r):
        labels = -np.ones(n, dtype=int)
        labels[list(positives)] = 1
        aps.append(youtube_ap(scores, labels, protocol=protocol))
    assert expected_random_ap(n, r, protocol) == pytest.approx(np.mean(aps))
    assert expected_random_ap(n, 0, protocol) == 0.0


def _video(vid, domain, labels):
    labels = np.array(labels)
    frames = np.stack(
        [np.arange(len(labels)) * 50, np.arange(len(labels)) * 50 + 100], axis=1
    ).astype(float)
    return YouTubeVideo(vid, domain, "TestLooseL", frames, labels, 25.0)


def test_constant_scores_follow_the_tie_rule():
    videos = [
        _video("a", "dog", [1, -1, -1, 1]),
        _video("b", "dog", [-1, 0, 1, -1]),
        _video("c", "skiing", [1, 1, -1, -1]),
    ]
    rows = {r["topic"]: r["mAP"] for r in constant_baseline(videos)}
    # stable ties = temporal order: a hits 1,0,0,1 -> (1 + (1/3+1/2)/2) / 2; b hits 0,0,1,0 -> (0+1/3)/2
    assert rows["dog"] == pytest.approx(((1 + 5 / 12) / 2 + 1 / 6) / 2)
    assert rows["skiing"] == pytest.approx(1.0)
    assert rows["Average"] == pytest.approx((rows["dog"] + 1.0) / 2)
    grouped = {
        r["topic"]: r["mAP"] for r in constant_baseline(videos, protocol="sklearn")
    }
    assert grouped["dog"] == pytest.approx((2 / 4 + 1 / 4) / 2) and grouped[
        "skiing"
    ] == pytest.approx(0.5)


@pytest.fixture(scope="module")
def youtube_test(youtube_root):
    return load_youtube(youtube_root).videos


def test_random_youtube_matches_its_expectation(youtube_test):
    rows = random_baseline(youtube_test, n_seeds=40)
    assert [r["topic"] for r in rows] == [*YOUTUBE_DOMAINS, "Average"]
    for row in rows:
        assert row["runs"] == 40 and row["std"] > 0
        assert abs(row["mAP"] - row["expected"]) < 4 * row["std"] / np.sqrt(40)
    assert random_baseline(youtube_test, n_seeds=3, seed=5) == random_baseline(
        youtube_test, n_seeds=3, seed=5
    )


def test_tvsum_humans_beat_chance(tvsum):
    chance = random_baseline(tvsum, n_seeds=20)[-1]
    humans = human_agreement(tvsum, n_seeds=2)
    assert len(humans) == 11 and humans[-1]["topic"] == "Average"
    assert humans[-1]["mAP"] > chance["mAP"] + 5 * chance["std"]


def test_distinctiveness_by_hand():
    features = np.array([[0.0], [0.0], [0.0], [10.0], [0.0]])
    # window 0.8 s at 0.2-s steps: neighbours within +-2 steps; similar = equal vectors (MSE 0 < 1)
    counts, neighbours = similar_counts(features, threshold=1.0, window_s=0.8)
    assert counts.tolist() == [2, 2, 3, 0, 1] and neighbours.tolist() == [2, 3, 4, 3, 2]
    scores = distinctiveness_scores(features, threshold=1.0, window_s=0.8)
    assert scores.tolist() == pytest.approx([0, 1 / 3, 1 / 4, 1, 1 / 2])
    assert scores.argmax() == 3  # the odd vector out is the most distinct


def test_distinctiveness_default_threshold_and_window():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 8))  # 80 s at 5 fps
    features[200] += 6.0  # one outlier
    scores = distinctiveness_scores(features)
    assert scores.shape == (400,) and scores.argmax() == 200 and scores[200] == 1.0
    _, neighbours = similar_counts(features, 0.0)
    # +-15 s at 0.2 s, halved at the ends
    assert neighbours.max() == 150 and neighbours[0] == 75
    assert distinctiveness_scores(features[:1]).tolist() == [0.0]
