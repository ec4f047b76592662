"""Benchmark evaluation: saved 0.2-s score curves -> clip scores -> per-category tables.

A score curve is one CSV per video, ``<video_id>.csv`` with columns ``time_s,score``, one
row per step of ``STEP_S`` starting at 0 (what ``rasl score`` writes); sample j stands for
the frame at j * STEP_S. A clip ``[start, end)`` in seconds (YouTube Highlights: its
``[start_frame, end_frame]`` / fps; TVSum: the 2-s segments) gets the mean of the samples
whose time lies inside it. At the edges:

* a clip shorter than a step, or running past the end of the curve with no sample
  inside, takes the sample nearest its middle (clamped to the curve), so a curve that
  ends a fraction of a step before the video still scores the last clip;
* a clip partly past the end averages the samples it does hold.

Results come per video and per domain / category, with ``Average`` the mean of the
category means, as in Table I / II. Videos of the split without a score file, or without a
frame rate, are listed, never dropped silently.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rasl.config import STEP_S
from rasl.data import (
    FeatureVideo,
    TVSumVideo,
    YouTubeVideo,
    find_benchmark,
    load_tvsum,
    load_youtube,
)
from rasl.files import InputError
from rasl.metrics import benchmark_mean, category_means, tvsum_top5_ap, youtube_ap


def read_score_table(path: str | Path, key: str) -> tuple[np.ndarray, np.ndarray]:
    """A ``<key>,score`` CSV -> its two numeric columns, non-empty, the scores finite."""
    path = Path(path)
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        keys = np.array([float(r[key]) for r in rows])
        scores = np.array([float(r["score"]) for r in rows])
    except OSError as e:
        raise InputError(path, f"cannot read ({e.strerror or e})") from None
    except (KeyError, TypeError, ValueError):
        raise InputError(
            path, f"expected a CSV with numeric columns {key},score"
        ) from None
    if len(scores) == 0:
        raise InputError(path, "no scores")
    if not np.isfinite(scores).all():
        raise InputError(path, "scores must be finite numbers")
    return keys, scores


def read_score_curve(path: str | Path) -> np.ndarray:
    """A ``time_s,score`` CSV -> (T,) scores; the times must be 0, STEP_S, 2 * STEP_S, ..."""
    times, scores = read_score_table(path, "time_s")
    if np.abs(times - np.arange(len(times)) * STEP_S).max() > 1e-3:
        raise InputError(
            path,
            f"time_s must run 0, {STEP_S}, {2 * STEP_S}, ... (one row per {STEP_S}-s step)",
        )
    return scores


def is_row_folder(scores_dir: str | Path) -> bool:
    """Whether a score folder holds ``row,score`` files (``rasl benchmark``) rather than curves."""
    first = next(iter(sorted(Path(scores_dir).glob("*.csv"))), None)
    return first is not None and first.read_text().startswith("row,")


def curve_to_clip_scores(
    curve: np.ndarray, spans_s: np.ndarray, step_s: float = STEP_S
) -> np.ndarray:
    """(T,) curve (sample j at j * step_s) and (n, 2) ``[start, end)`` spans -> (n,) clip scores.

    Mean of the samples inside each span; a span holding none takes the sample nearest its
    middle, clamped to the curve.
    """
    curve = np.asarray(curve, dtype=np.float64)
    spans_s = np.asarray(spans_s, dtype=np.float64).reshape(-1, 2)
    first = np.clip(np.ceil(spans_s[:, 0] / step_s - 1e-9), 0, len(curve)).astype(int)
    stop = np.clip(np.ceil(spans_s[:, 1] / step_s - 1e-9), 0, len(curve)).astype(int)
    cumsum = np.concatenate([[0.0], np.cumsum(curve)])
    count = np.maximum(stop - first, 0)
    nearest = np.clip(
        np.round(spans_s.mean(axis=1) / step_s), 0, len(curve) - 1
    ).astype(int)
    means = (cumsum[np.maximum(stop, first)] - cumsum[first]) / np.maximum(count, 1)
    return np.where(count > 0, means, curve[nearest])


def video_ap(
    video: TVSumVideo | YouTubeVideo | FeatureVideo,
    clip_scores: np.ndarray,
    protocol: str = "umt",
    labels: str = "per_annotator",
) -> float:
    """The benchmark's AP for one video: YouTube AP or TVSum top-5 AP (see ``rasl.metrics``)."""
    if (
        isinstance(video, YouTubeVideo)
        or getattr(video, "benchmark", None) == "youtube"
    ):
        return youtube_ap(clip_scores, video.labels, protocol=protocol)
    return tvsum_top5_ap(
        clip_scores, video.segment_scores, protocol=protocol, labels=labels
    )


@dataclass
class Result:
    """Per-video APs and per-category means of one benchmark, plus the videos not scored."""

    benchmark: str
    per_video: dict[str, float]
    per_category: dict[str, float]
    n_videos: dict[str, int]  # videos of each category in the split
    n_scored: dict[str, int]  # of which scored
    unscored: dict[str, str] = field(default_factory=dict)  # video id -> reason

    @property
    def average(self) -> float:
        return benchmark_mean(self.per_category) if self.per_category else float("nan")


def load_benchmark(
    benchmark: str, data_root: str | Path, video_dir: str | Path | None = None
):
    """The evaluated videos: YouTube Highlights' test split (vlist.json) or all 50 TVSum videos."""
    folder = Path(data_root) / find_benchmark(benchmark).annotations
    if not folder.is_dir():
        raise InputError(folder, f"no {folder.name}/ folder in the data root")
    return (load_youtube if benchmark == "youtube" else load_tvsum)(
        folder, video_dir=video_dir
    )


def score_videos(
    benchmark: str,
    videos: list,
    clip_scores: dict[str, np.ndarray],
    protocol: str = "umt",
    labels: str = "per_annotator",
    unscored: dict[str, str] | None = None,
) -> Result:
    """Per-video AP from (n_clips,) scores per video id; videos without scores go to ``unscored``."""
    unscored = dict(unscored or {})
    per_video = {}
    for video in videos:
        if video.video_id in clip_scores:
            per_video[video.video_id] = video_ap(
                video, clip_scores[video.video_id], protocol, labels
            )
        else:
            unscored.setdefault(video.video_id, "no scores")
    order = find_benchmark(benchmark).categories
    categories = {v.video_id: v.category for v in videos}
    n_videos = {c: sum(v.category == c for v in videos) for c in order}
    n_scored = {c: sum(categories[vid] == c for vid in per_video) for c in order}
    return Result(
        benchmark,
        per_video,
        category_means(per_video, categories, order),
        n_videos,
        n_scored,
        unscored,
    )


def evaluate_curves(
    benchmark: str,
    videos: list,
    curves: dict[str, np.ndarray],
    protocol: str = "umt",
    labels: str = "per_annotator",
) -> Result:
    """Map each video's (T,) curve onto its clips and score it; list videos that cannot be scored."""
    unscored, clip_scores = {}, {}
    for video in videos:
        if video.video_id not in curves:
            unscored[video.video_id] = "no score file"
        elif isinstance(video, YouTubeVideo) and video.fps is None:
            unscored[video.video_id] = (
                "no frame rate (not in youtube_anno.json and no video file)"
            )
        else:
            clip_scores[video.video_id] = curve_to_clip_scores(
                curves[video.video_id], video.clip_spans_s()
            )
    return score_videos(benchmark, videos, clip_scores, protocol, labels, unscored)


def evaluate_folder(
    benchmark: str,
    data_root: str | Path,
    scores_dir: str | Path,
    video_dir: str | Path | None = None,
    protocol: str = "umt",
    labels: str = "per_annotator",
) -> Result:
    """Evaluate the ``<video_id>.csv`` score curves in ``scores_dir`` on a benchmark.

    ``video_dir`` (optional) is searched for ``<video_id>.<ext>`` files only to read the
    frame rate of YouTube videos that ``youtube_anno.json`` does not cover.
    """
    scores_dir = Path(scores_dir)
    if not scores_dir.is_dir():
        raise InputError(scores_dir, "score folder not found")
    videos = load_benchmark(benchmark, data_root).videos
    # the video files only supply frame rates youtube_anno.json lacks
    if video_dir is not None:
        with_files = {
            v.video_id: v
            for v in load_benchmark(benchmark, data_root, video_dir).videos
        }
        videos = [with_files.get(v.video_id, v) for v in videos]
    curves = {
        v.video_id: read_score_curve(scores_dir / f"{v.video_id}.csv")
        for v in videos
        if (scores_dir / f"{v.video_id}.csv").is_file()
    }
    return evaluate_curves(benchmark, videos, curves, protocol, labels)
