"""Baselines on the same footing as the model: chance, constant scores, Fig. 1's heuristic, humans.

* Random scores: i.i.d. uniform clip scores (no ties), so the ranking is a uniformly random
  permutation. For YouTube Highlights the expected AP has a closed form
  (``expected_random_ap``); both benchmarks are also run over many seeds and reported
  with the spread (standard deviation) of the per-category and benchmark means.
* Constant scores: every clip ties, and the metric's tie rule decides. Under the default
  (stable) rule the ranking is the clips' temporal order, so the value measures where the
  highlights sit in time, not chance. Under YouTube's ``"sklearn"`` protocol all clips form
  one threshold and AP equals the share of positive clips.
* Distinctiveness (Fig. 1): a feature vector with fewer similar vectors (MSE below a
  threshold) within a 30-s window scores higher.
* Human agreement (TVSum): each annotator's segment scores ranked against the other 19
  annotators with the same top-5 metric; the 1-5 ratings tie a lot, so ties are broken at
  random and the result averaged over seeds.
* On the published features' rows: the length of each row's vector (rgb, flow, audio),
  its distance from the video's mean row, and Fig. 1's distinctiveness on the rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rasl.config import CLIP_S, STEP_S
from rasl.data import FeatureVideo, TVSumVideo, find_benchmark
from rasl.evaluate import Result, score_videos
from rasl.metrics import benchmark_mean, category_means, tvsum_top5_ap
from rasl.paper.benchmark import TIMELINES, Timeline, evaluate_rows


def expected_random_ap(n_clips: int, n_positive: int, protocol: str = "umt") -> float:
    """Exact mean AP of a uniformly random ranking of ``n_clips`` clips, ``n_positive`` of them positive.

    Step-wise AP: E = H_n / n + (R - 1) / (n (n - 1)) * (n - H_n), H_n the n-th harmonic
    number (from E[rel_i rel_j] = R (R - 1) / (n (n - 1))). The trapezoidal AP adds, per hit,
    the precision one rank earlier (P(0) = 1), whose mean is R / n: E_trap = (E_step + R / n) / 2.
    """
    n, r = n_clips, n_positive
    if r == 0:
        return 0.0
    harmonic = float(np.sum(1.0 / np.arange(1, n + 1)))
    step = 1.0 if n == 1 else harmonic / n + (r - 1) / (n * (n - 1)) * (n - harmonic)
    if protocol == "sklearn":
        return step
    if protocol == "umt":
        return (step + r / n) / 2
    raise ValueError(f"protocol must be 'umt' or 'sklearn', got {protocol!r}")


def _benchmark(videos: list) -> str:
    first = videos[0]
    return getattr(
        first, "benchmark", "tvsum" if isinstance(first, TVSumVideo) else "youtube"
    )


def _rows(videos: list, runs: list[dict[str, float]]) -> list[dict]:
    """Per-video values of several runs -> rows: topic, mean over runs, std over runs, runs."""
    categories = {v.video_id: v.category for v in videos}
    order = find_benchmark(_benchmark(videos)).categories
    tables = [category_means(run, categories, order) for run in runs]
    rows = []
    for topic in [*tables[0], "Average"]:
        values = [benchmark_mean(t) if topic == "Average" else t[topic] for t in tables]
        rows.append(
            {
                "topic": topic,
                "mAP": float(np.mean(values)),
                "std": float(np.std(values)),
                "runs": len(runs),
            }
        )
    return rows


def _seeded(
    videos: list, n_seeds: int, seed: int, run: Callable[[np.random.Generator], dict]
) -> list[dict]:
    rng = np.random.default_rng(seed)
    return _rows(videos, [run(rng) for _ in range(n_seeds)])


def random_baseline(
    videos: list,
    n_seeds: int = 100,
    seed: int = 0,
    protocol: str = "umt",
    labels: str = "per_annotator",
) -> list[dict]:
    """mAP of uniform random clip scores per category and on average, mean and std over seeds.

    YouTube rows also carry ``expected``: the exact expectation (mean of ``expected_random_ap``).
    """
    benchmark = _benchmark(videos)

    def run(rng):
        scores = {v.video_id: rng.random(v.n_clips) for v in videos}
        return score_videos(benchmark, videos, scores, protocol, labels).per_video

    rows = _seeded(videos, n_seeds, seed, run)
    if benchmark == "youtube":
        exact = {
            v.video_id: expected_random_ap(
                v.n_clips, int((v.labels > 0).sum()), protocol
            )
            for v in videos
        }
        for row, expected in zip(rows, _rows(videos, [exact])):
            row["expected"] = expected["mAP"]
    return rows


def constant_baseline(
    videos: list, protocol: str = "umt", labels: str = "per_annotator"
) -> list[dict]:
    """mAP when every clip gets the same score (the tie rule decides; see the module docstring)."""
    scores = {v.video_id: np.zeros(v.n_clips) for v in videos}
    return _rows(
        videos,
        [score_videos(_benchmark(videos), videos, scores, protocol, labels).per_video],
    )


def human_agreement(
    videos: list[TVSumVideo],
    n_seeds: int = 10,
    seed: int = 0,
    protocol: str = "umt",
    labels: str = "per_annotator",
) -> list[dict]:
    """TVSum top-5 mAP of each annotator against the other 19, averaged over annotators.

    Ties among an annotator's 1-5 ratings are broken uniformly at random (a fresh draw
    per seed); std is over those seeds.
    """

    def run(rng):
        per_video = {}
        for v in videos:
            s = v.segment_scores  # (A, n)
            aps = []
            for i in range(len(s)):
                # by score, ties at random
                order = np.lexsort((rng.random(s.shape[1]), -s[i]))
                ranked = np.empty(s.shape[1])
                ranked[order] = -np.arange(s.shape[1], dtype=float)
                aps.append(
                    tvsum_top5_ap(
                        ranked,
                        np.delete(s, i, axis=0),
                        protocol=protocol,
                        labels=labels,
                    )
                )
            per_video[v.video_id] = float(np.mean(aps))
        return per_video

    return _seeded(videos, n_seeds, seed, run)


def pairwise_mse(
    features: np.ndarray, window_s: float = CLIP_S, step_s: float = STEP_S
) -> list[np.ndarray]:
    """(T, D) features -> for each offset d = 1..W, the (T - d,) MSE between vectors t and t + d.

    W = round(window_s / 2 / step_s): the window is centred, +-15 s for 30 s.
    """
    features = np.asarray(features, dtype=np.float64)
    half = min(int(round(window_s / 2 / step_s)), len(features) - 1)
    return [
        np.mean((features[:-d] - features[d:]) ** 2, axis=1) for d in range(1, half + 1)
    ]


def similar_counts(
    features: np.ndarray,
    threshold: float,
    window_s: float = CLIP_S,
    step_s: float = STEP_S,
) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) features -> (T,) count of other vectors within the window with MSE < threshold,
    and (T,) number of other vectors within the window (fewer near the video's ends)."""
    counts, neighbours = np.zeros(len(features)), np.zeros(len(features))
    for d, mse in enumerate(pairwise_mse(features, window_s, step_s), 1):
        similar = mse < threshold
        counts[:-d] += similar
        counts[d:] += similar
        neighbours[:-d] += 1
        neighbours[d:] += 1
    return counts, neighbours


def distinctiveness_scores(
    features: np.ndarray,
    threshold: float | None = None,
    window_s: float = CLIP_S,
    step_s: float = STEP_S,
) -> np.ndarray:
    """Fig. 1's heuristic as a (T,) score curve: 1 - share of window neighbours that are similar.

    ``features`` (T, D) sampled every ``step_s`` (5 fps). The paper gives no threshold; the
    default is the median of the video's within-window pairwise MSEs. Dividing by the
    number of neighbours keeps the ends of the video, which have fewer, comparable.
    """
    if len(features) < 2:
        return np.zeros(len(features))
    if threshold is None:
        threshold = float(
            np.median(np.concatenate(pairwise_mse(features, window_s, step_s)))
        )
    counts, neighbours = similar_counts(features, threshold, window_s, step_s)
    return 1.0 - counts / neighbours


# --- On the published features' rows (rasl.paper.benchmark) --------------------------------


def feature_norm(x: np.ndarray) -> np.ndarray:
    """(n, D) -> (n,) L2 norm of each row."""
    return np.linalg.norm(x, axis=1)


def mean_distance(x: np.ndarray) -> np.ndarray:
    """(n, D) -> (n,) L2 distance of each row from the video's mean row."""
    return np.linalg.norm(x - x.mean(axis=0), axis=1)


def distinctiveness(
    x: np.ndarray, timeline: Timeline = TIMELINES["native15"]
) -> np.ndarray:
    """Fig. 1's count on the rows: fewer similar rows within the clip-long window scores higher."""
    return distinctiveness_scores(x, window_s=timeline.rows, step_s=1.0)


BASELINES: dict[str, Callable[[FeatureVideo], np.ndarray]] = {
    "norm (rgb)": lambda v: feature_norm(v.stream("rgb")),
    "norm (flow)": lambda v: feature_norm(v.stream("flow")),
    "norm (audio)": lambda v: feature_norm(v.stream("audio")),
    "distance from mean (rgb)": lambda v: mean_distance(v.stream("rgb")),
    "distinctiveness (rgb)": lambda v: distinctiveness(v.stream("rgb")),
}


def baseline_result(name: str, videos: list[FeatureVideo]) -> Result:
    return evaluate_rows(videos, {v.video_id: BASELINES[name](v) for v in videos})


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of the ranks of two (n,) arrays, ties ranked by position (so not
    quite Spearman's); 0 when one is constant."""
    ra, rb = (
        np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float)
        for x in (a, b)
    )
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = np.sqrt((ra**2).sum() * (rb**2).sum())
    return float((ra * rb).sum() / den) if den > 0 else 0.0
