"""Selecting highlight segments from a score curve: every rule against hand-computed cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rasl.files import InputError, write_rows
from rasl.highlights import (
    CURVE_COLUMNS,
    SEGMENT_COLUMNS,
    Segment,
    curve_rows,
    segment_rows,
    select_segments,
)

# 20 steps of 0.2 s (4 s): a 1-s run at 0.9, a 0.4-s gap, a 0.6-s run at 0.8,
# a 1.2-s gap, a single 0.7 step (a sliver), then low scores.
SCORES = np.array([0.9] * 5 + [0.1] * 2 + [0.8] * 3 + [0.1] * 6 + [0.7] + [0.1] * 3)
TIMES = np.arange(20) * 0.2


def spans(segments):
    return [(s.start_s, s.end_s) for s in segments]


def test_threshold_merges_a_short_gap_and_drops_the_sliver():
    (seg,) = select_segments(
        TIMES, SCORES, threshold=0.5, min_segment_s=1.0, max_gap_s=1.0
    )
    assert (seg.start_s, seg.end_s) == (0.0, 2.0)
    # the bridged gap counts
    assert seg.mean_score == pytest.approx((5 * 0.9 + 2 * 0.1 + 3 * 0.8) / 10)
    assert seg.peak_score == pytest.approx(0.9)


def test_a_shorter_min_segment_keeps_the_sliver_in_time_order():
    segs = select_segments(
        TIMES, SCORES, threshold=0.5, min_segment_s=0.2, max_gap_s=1.0
    )
    assert spans(segs) == [(0.0, 2.0), (3.2, 3.4)]
    assert segs[1].mean_score == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("max_gap_s", "expected"),
    [
        (0.4, [(0.0, 2.0)]),
        (0.39, [(0.0, 1.0)]),
        (0.0, [(0.0, 1.0)]),
    ],  # the gap is exactly 0.4 s
)
def test_gap_rule_bridges_gaps_up_to_max_gap(max_gap_s, expected):
    # unmerged, the 0.6-s run at 1.4-2.0 s is a sliver under 1 s; a 1.0-s run is kept (>=)
    assert (
        spans(
            select_segments(
                TIMES, SCORES, threshold=0.5, min_segment_s=1.0, max_gap_s=max_gap_s
            )
        )
        == expected
    )


def test_threshold_is_inclusive_and_can_select_nothing_or_everything():
    assert spans(select_segments(TIMES, SCORES, threshold=0.9)) == [(0.0, 1.0)]
    assert select_segments(TIMES, SCORES, threshold=0.95) == []
    (seg,) = select_segments(TIMES, SCORES, threshold=0.0)
    assert (seg.start_s, seg.end_s) == (0.0, 4.0)
    assert seg.mean_score == pytest.approx(SCORES.mean())


def test_the_last_step_ends_at_the_video_duration():
    (seg,) = select_segments(TIMES, SCORES, threshold=0.0, duration_s=3.9)
    assert seg.end_s == pytest.approx(3.9)


def test_total_is_a_budget_filled_with_the_best_steps():
    # the five 0.9 steps
    assert spans(select_segments(TIMES, SCORES, total_s=1.0)) == [(0.0, 1.0)]
    # nothing more fits
    assert spans(select_segments(TIMES, SCORES, total_s=1.1)) == [(0.0, 1.0)]


def test_total_is_never_exceeded_by_a_bridged_gap():
    # five 0.9 steps give 1.0 s; the sixth best (step 7, 0.8) would bridge steps 5-6 into 1.6 s
    assert spans(select_segments(TIMES, SCORES, total_s=1.5)) == [(0.0, 1.0)]
    (seg,) = select_segments(TIMES, SCORES, total_s=1.6)
    assert (seg.start_s, seg.end_s) == (0.0, 1.6)
    assert seg.mean_score == pytest.approx((5 * 0.9 + 2 * 0.1 + 0.8) / 8)


def test_total_below_min_segment_keeps_nothing():
    # one step (0.2 s) is a sliver, and the first kept segment (1 s) is over the budget
    assert select_segments(TIMES, SCORES, total_s=0.8, min_segment_s=1.0) == []


def test_a_single_step_is_a_segment_when_short_segments_are_kept():
    # the 0.7 step alone at 3.2 s is a segment; the 0.4-s gap between the first two runs is bridged
    assert spans(select_segments(TIMES, SCORES, threshold=0.7, min_segment_s=0.2)) == [
        (0.0, 2.0),
        (3.2, 3.4),
    ]
    assert spans(select_segments(TIMES, TIMES, threshold=3.8, min_segment_s=0.2)) == [
        (3.8, 4.0)
    ]  # one step only
    # even one step is over budget
    assert select_segments(TIMES, SCORES, total_s=0.1, min_segment_s=0.2) == []


def test_total_longer_than_the_video_selects_everything():
    assert spans(select_segments(TIMES, SCORES, total_s=100.0)) == [(0.0, 4.0)]


def test_ties_go_to_the_earlier_step():
    scores = np.array([0.5, 0.2, 0.5, 0.2, 0.5])
    segs = select_segments(
        np.arange(5) * 0.2, scores, total_s=0.4, min_segment_s=0.2, max_gap_s=0.0
    )
    assert spans(segs) == [(0.0, 0.2), (0.4, 0.6)]


@pytest.mark.parametrize("seed", range(5))
def test_random_curves_keep_every_invariant(seed):
    rng = np.random.default_rng(seed)
    scores = rng.random(300)
    times = np.arange(300) * 0.2
    for total in (3.0, 17.0, 45.0):
        segs = select_segments(
            times, scores, total_s=total, min_segment_s=1.0, max_gap_s=0.6
        )
        kept = sum(s.length_s for s in segs)
        # within budget, short of it by less than a bridged run
        assert total - 3.0 < kept <= total + 1e-9
        assert all(s.length_s >= 1.0 - 1e-9 for s in segs)
        # sorted, gaps not bridgeable
        assert all(b.start_s - a.end_s > 0.6 + 1e-9 for a, b in zip(segs, segs[1:]))
        for s in segs:
            inside = scores[round(s.start_s / 0.2) : round(s.end_s / 0.2)]
            assert (
                s.mean_score == pytest.approx(inside.mean())
                and s.peak_score == inside.max()
            )


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="exactly one"):
        select_segments(TIMES, SCORES)
    with pytest.raises(ValueError, match="exactly one"):
        select_segments(TIMES, SCORES, threshold=0.5, total_s=3.0)
    with pytest.raises(ValueError, match="positive"):
        select_segments(TIMES, SCORES, total_s=0.0)
    with pytest.raises(ValueError, match=r"\(T,\)"):
        select_segments(TIMES[:3], SCORES, threshold=0.5)


def test_segments_are_written_as_csv_and_json(tmp_path):
    segs = [Segment(0.0, 2.0, 0.71, 0.9), Segment(3.2, 3.4, 0.7, 0.7)]
    write_rows(segment_rows(segs), tmp_path / "s.csv", SEGMENT_COLUMNS)
    assert (
        (tmp_path / "s.csv").read_bytes().decode()
        == "start_s,end_s,mean_score,peak_score\n0.0,2.0,0.71,0.9\n3.2,3.4,0.7,0.7\n"
    )
    write_rows(segment_rows(segs), tmp_path / "s.json", SEGMENT_COLUMNS)
    assert json.loads((tmp_path / "s.json").read_text())[1] == {
        "start_s": 3.2,
        "end_s": 3.4,
        "mean_score": 0.7,
        "peak_score": 0.7,
    }
    write_rows([], tmp_path / "empty.csv", SEGMENT_COLUMNS)
    assert (
        tmp_path / "empty.csv"
    ).read_bytes().decode() == "start_s,end_s,mean_score,peak_score\n"


def test_curve_rows_have_one_row_per_step(tmp_path):
    write_rows(
        curve_rows(np.arange(3) * 0.2, np.array([0.0, 1.0, 0.25])),
        tmp_path / "c.csv",
        CURVE_COLUMNS,
    )
    assert (
        tmp_path / "c.csv"
    ).read_bytes().decode() == "time_s,score\n0.0,0.0\n0.2,1.0\n0.4,0.25\n"


def test_bad_output_paths_give_one_line_and_no_file(tmp_path):
    with pytest.raises(InputError, match=r"s\.txt: output must end in \.csv or \.json"):
        write_rows([], tmp_path / "s.txt", SEGMENT_COLUMNS)
    (tmp_path / "a_file").write_text("")
    with pytest.raises(InputError, match="cannot write here"):
        write_rows([], tmp_path / "a_file" / "s.csv", SEGMENT_COLUMNS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
