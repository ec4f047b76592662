"""The benchmarks' metrics, computed the way the public code behind the compared numbers does.

The numbers the paper compares with (Tables I and II, taken from LR [9], LM [4], CHD [62])
have no public evaluation code; the public code of the same lineage is UMT's
(TencentARC/UMT ``datasets/youtube.py`` and ``datasets/tvsum.py``), copied unchanged into
UniVTG (showlab/UniVTG ``main/dataset.py``, ``DatasetHL.evaluate``) and used by QD-DETR /
CG-DETR for these two benchmarks. That is the default here (``protocol="umt"``):

* Ranking: clips sorted by score, descending. UMT calls ``torch.argsort``, whose order of
  tied scores is unspecified; here ties keep clip order (a stable sort), so constant
  scores rank clips in temporal order.
* AP: trapezoidal, ``sum over hits of (P(i-1) + P(i)) / 2 / n_relevant`` with P(0) = 1
  (UMT's ``ap += (_rec - rec) * (prc + _prc) / 2``).
* A video without any positive clip scores AP = 0 and still counts in the mean.
* YouTube Highlights: positive = ``match_label`` 1; borderline 0 and unmatched -1 are
  negatives (UMT's ``1 if s > 0 else 0``).
* TVSum: for each of the 20 annotators, positive = that annotator's segment score above
  the median of their scores in this video; AP over the top 5 clips only, normalised by
  the positives found *among those 5*; the 20 APs are averaged.

The common alternatives, as options:

* YouTube ``protocol="sklearn"``: step-wise AP of ``sklearn.metrics.average_precision_score``
  (tied scores form one threshold), as in BlindRev/video_moment_det ``inference.py``
  (same positives; it also adds clips with an MTurk vote > 0.5, not done here).
* TVSum ``protocol="standard"``: the textbook AP@k, step-wise and normalised by
  min(k, positives in the video), so a single hit at rank 1 scores 0.2, not 1.
* TVSum ``labels="consensus"``: one label set from the mean of the 20 annotators above its
  median, the reading of the paper's IV-A ("we average the importance scores of the
  manual labels of every segment", following LM [4] and DSN/CVS [47, 48]).

The median threshold: UMT uses ``torch.median`` (the lower middle value); ``x > lower
middle`` and ``x > mean of the two middle values`` select the same elements, so
``np.median`` gives identical labels.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def ranking(scores: np.ndarray) -> np.ndarray:
    """(n,) scores -> (n,) clip indices, highest score first; ties keep clip order."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or not np.isfinite(scores).all():
        raise ValueError(f"scores must be a finite 1-D array, got shape {scores.shape}")
    return np.argsort(-scores, kind="stable")


def ranked_ap(
    hits: np.ndarray, n_relevant: np.ndarray, interpolation: str = "trapezoid"
) -> np.ndarray:
    """AP of ranked binary relevance ``hits`` (A, m), one row per label set -> (A,).

    ``interpolation="trapezoid"``: sum over hits of (P(i-1) + P(i)) / 2 with P(0) = 1 (UMT);
    ``"step"``: sum over hits of P(i). Both divided by ``n_relevant`` (A,); 0 where it is 0.
    """
    hits = np.atleast_2d(np.asarray(hits, dtype=np.float64))
    precision = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    if interpolation == "trapezoid":
        previous = np.concatenate([np.ones((len(hits), 1)), precision[:, :-1]], axis=1)
        gains = hits * (previous + precision) / 2
    elif interpolation == "step":
        gains = hits * precision
    else:
        raise ValueError(
            f"interpolation must be 'trapezoid' or 'step', got {interpolation!r}"
        )
    n_relevant = np.broadcast_to(np.asarray(n_relevant, dtype=np.float64), (len(hits),))
    return np.divide(
        gains.sum(axis=1), n_relevant, out=np.zeros(len(hits)), where=n_relevant > 0
    )


def youtube_ap(
    clip_scores: np.ndarray, clip_labels: np.ndarray, protocol: str = "umt"
) -> float:
    """AP of one YouTube Highlights video: (n,) scores against (n,) labels in {1, 0, -1}.

    Positive = label 1. ``protocol="umt"`` (default): trapezoidal AP over the stable ranking;
    ``"sklearn"``: ``average_precision_score`` (step-wise, tied scores grouped). A video
    without positives scores 0 under both.
    """
    labels = np.asarray(clip_labels)
    order = ranking(clip_scores)
    if labels.shape != order.shape:
        raise ValueError(f"{len(order)} scores for {labels.shape} labels")
    positive = labels > 0
    if protocol == "umt":
        return float(ranked_ap(positive[order], positive.sum())[0])
    if protocol == "sklearn":
        from sklearn.metrics import (
            average_precision_score,  # 1.4 s to import; only this option needs it
        )

        return (
            float(average_precision_score(positive, clip_scores))
            if positive.any()
            else 0.0
        )
    raise ValueError(f"protocol must be 'umt' or 'sklearn', got {protocol!r}")


def tvsum_labels(
    annotator_scores: np.ndarray, labels: str = "per_annotator"
) -> np.ndarray:
    """(A, n) segment scores -> (A, n) booleans above each row's median, or (1, n) for "consensus"."""
    scores = np.atleast_2d(np.asarray(annotator_scores, dtype=np.float64))
    if labels == "consensus":
        scores = scores.mean(axis=0, keepdims=True)
    elif labels != "per_annotator":
        raise ValueError(
            f"labels must be 'per_annotator' or 'consensus', got {labels!r}"
        )
    return scores > np.median(scores, axis=1, keepdims=True)


def tvsum_top5_ap(
    clip_scores: np.ndarray,
    annotator_scores: np.ndarray,
    k: int = 5,
    protocol: str = "umt",
    labels: str = "per_annotator",
) -> float:
    """Top-5 AP of one TVSum video: (n,) scores against (A, n) annotator segment scores.

    Each label set (one per annotator, or the consensus) is scored on the top ``k`` clips
    (all clips when fewer than ``k``) and the APs are averaged. ``protocol="umt"``:
    trapezoidal AP normalised by the positives among the top ``k``; ``"standard"``:
    step-wise AP@k normalised by min(k, positives in the video).
    """
    positive = tvsum_labels(annotator_scores, labels)
    order = ranking(clip_scores)
    if positive.shape[1] != len(order):
        raise ValueError(
            f"{len(order)} scores for annotator scores shaped {np.shape(annotator_scores)}"
        )
    top = positive[:, order[:k]]
    if protocol == "umt":
        return float(ranked_ap(top, top.sum(axis=1)).mean())
    if protocol == "standard":
        return float(ranked_ap(top, np.minimum(k, positive.sum(axis=1)), "step").mean())
    raise ValueError(f"protocol must be 'umt' or 'standard', got {protocol!r}")


def category_means(
    values: Mapping[str, float],
    categories: Mapping[str, str],
    order: tuple[str, ...] | None = None,
) -> dict[str, float]:
    """Mean of per-video ``values`` within each category (``categories``: video id -> category).

    Categories follow ``order`` when given (those without videos are left out).
    """
    groups: dict[str, list[float]] = {}
    for vid, value in values.items():
        groups.setdefault(categories[vid], []).append(value)
    keys = [c for c in order if c in groups] if order else sorted(groups)
    return {c: float(np.mean(groups[c])) for c in keys}


def benchmark_mean(per_category: Mapping[str, float]) -> float:
    """The benchmark's figure: the unweighted mean of the category means (the tables' Average row)."""
    return float(np.mean(list(per_category.values())))
