"""Choosing highlight segments from a score curve, and the rows that write curves and segments.

A score curve holds one score per sampled step: step ``i`` starts at ``times_s[i]`` and
lasts ``step_s`` = 0.2 s (the last step is cut at the video's duration when it is known).
Selection runs in three stages, all on whole steps:

1. **select** steps, either every step with ``score >= threshold``, or the highest-scoring
   steps (ties: the earlier step first), as many as can be taken while the segments that
   stages 2 and 3 make of them last at most ``total_s`` seconds (a budget, as an editor
   asking for 20 s means it: never over, and under by less than the next step would add,
   which can be a bridged gap or a whole minimum-length segment);
2. **merge** neighbours: selected steps that touch form one segment, and two segments with
   at most ``max_gap_s`` seconds of unselected steps between them become one segment that
   includes the gap (an editor would not cut away for a moment and come back);
3. **drop** slivers: segments shorter than ``min_segment_s`` are removed.

Stage 3 never removes a step that would survive with more steps selected, so the length of
the result only grows with the number of selected steps and the budget is met by a binary
search over that number. Segments come back sorted in time.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from rasl.config import STEP_S

MAX_GAP_S = 1.0  # merge segments separated by at most this many seconds
MIN_SEGMENT_S = 1.0  # drop segments shorter than this
CURVE_COLUMNS = ["time_s", "score"]
SEGMENT_COLUMNS = ["start_s", "end_s", "mean_score", "peak_score"]


@dataclass(frozen=True)
class Segment:
    """One highlight: ``[start_s, end_s)`` in source time and its steps' mean and peak score."""

    start_s: float
    end_s: float
    mean_score: float
    peak_score: float

    @property
    def length_s(self) -> float:
        return self.end_s - self.start_s


def _runs(mask: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    """(T,) bool -> ``[(first, stop), ...]`` runs of True, bridging gaps of <= ``max_gap`` steps."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    firsts = np.concatenate([idx[:1], idx[breaks + 1]])
    lasts = np.concatenate([idx[breaks], idx[-1:]])
    return [(int(a), int(b) + 1) for a, b in zip(firsts, lasts)]


def _segments(
    mask, times_s, scores, ends_s, max_gap: int, min_segment_s: float
) -> list[Segment]:
    """Stages 2 and 3 on a (T,) selection mask."""
    out = []
    for first, stop in _runs(mask, max_gap):
        start, end = float(times_s[first]), float(ends_s[stop - 1])
        if end - start < min_segment_s - 1e-9:
            continue
        span = scores[first:stop]
        out.append(
            Segment(
                round(start, 6), round(end, 6), float(span.mean()), float(span.max())
            )
        )
    return out


def select_segments(
    times_s: np.ndarray,
    scores: np.ndarray,
    *,
    threshold: float | None = None,
    total_s: float | None = None,
    min_segment_s: float = MIN_SEGMENT_S,
    max_gap_s: float = MAX_GAP_S,
    step_s: float = STEP_S,
    duration_s: float | None = None,
) -> list[Segment]:
    """Highlight segments of a score curve, sorted in time (see the module docstring).

    ``times_s`` and ``scores`` are (T,) arrays; exactly one of ``threshold`` and
    ``total_s`` is given. ``duration_s`` cuts the last step's end at the video's end.
    A segment's mean and peak cover all its steps, bridged gaps included.
    """
    if (threshold is None) == (total_s is None):
        raise ValueError("give exactly one of threshold and total_s")
    times_s = np.asarray(times_s, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if times_s.shape != scores.shape or times_s.ndim != 1:
        raise ValueError(
            f"times_s and scores must be (T,) arrays, got {times_s.shape} and {scores.shape}"
        )
    if total_s is not None and not total_s > 0:
        raise ValueError(f"total_s must be positive, got {total_s}")
    ends_s = times_s + step_s
    if duration_s is not None:
        ends_s = np.minimum(ends_s, duration_s)
    max_gap = math.floor(max_gap_s / step_s + 1e-9)

    def with_steps(mask: np.ndarray) -> list[Segment]:
        return _segments(mask, times_s, scores, ends_s, max_gap, min_segment_s)

    if threshold is not None:
        return with_steps(scores >= threshold)
    order = np.lexsort((np.arange(scores.size), -scores))  # score descending, then time

    def best(k: int) -> list[Segment]:  # segments of the k best steps
        mask = np.zeros(scores.size, dtype=bool)
        mask[order[:k]] = True
        return with_steps(mask)

    lo, hi = 0, scores.size  # the largest k whose segments last at most total_s
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(s.length_s for s in best(mid)) <= total_s + 1e-9:
            lo = mid
        else:
            hi = mid - 1
    return best(lo)


def curve_rows(times_s: np.ndarray, scores: np.ndarray) -> list[dict]:
    """(T,) times and scores -> one ``{"time_s", "score"}`` row per step."""
    return [
        {"time_s": round(float(t), 6), "score": float(s)}
        for t, s in zip(times_s, scores)
    ]


def segment_rows(segments: list[Segment]) -> list[dict]:
    """Segments -> ``{"start_s", "end_s", "mean_score", "peak_score"}`` rows."""
    return [asdict(s) for s in segments]
