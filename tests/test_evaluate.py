"""From 0.2-s score curves to benchmark tables: the edge rules, the files, the command line."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from rasl.cli import main
from rasl.config import STEP_S
from rasl.data import YouTubeVideo, load_youtube
from rasl.evaluate import (
    curve_to_clip_scores,
    evaluate_curves,
    evaluate_folder,
    read_score_curve,
)
from rasl.files import InputError
from rasl.paper import published
from rasl.paper.tables import write_result


def _write_curve(path, scores):
    with open(path, "w") as f:
        f.write("time_s,score\n")
        f.writelines(f"{round(j * STEP_S, 6)},{s}\n" for j, s in enumerate(scores))


def _oracle_curve(video) -> np.ndarray:
    """A TVSum video's mean annotator score, held over each 2-s segment, one value per step."""
    steps = np.arange(int(video.duration_s / STEP_S)) * STEP_S
    segment = np.minimum((steps // 2).astype(int), video.n_clips - 1)
    return video.segment_scores.mean(axis=0)[segment]


def test_curve_to_clip_scores_edges():
    curve = np.arange(6.0)  # samples at 0, 0.2, ..., 1.0 s
    spans = np.array(
        [
            [0.0, 0.4],  # samples 0.0, 0.2 -> mean 0.5
            [0.3, 0.7],  # samples 0.4, 0.6 -> 2.5
            [0.2, 0.4],  # start on a sample, end excluded -> 1
            [
                0.45,
                0.5,
            ],  # shorter than a step, no sample: nearest to 0.475 -> sample 0.4 -> 2
            [0.9, 1.5],  # runs past the end: the sample it holds (1.0) -> 5
            [2.0, 2.4],  # wholly past the end: nearest, clamped -> 5
        ]
    )
    assert curve_to_clip_scores(curve, spans).tolist() == pytest.approx(
        [0.5, 2.5, 1, 2, 5, 5]
    )


def test_read_score_curve(tmp_path):
    good = tmp_path / "a.csv"
    _write_curve(good, [0.1, 0.5, 0.2])
    assert read_score_curve(good).tolist() == [0.1, 0.5, 0.2]
    bad = tmp_path / "b.csv"
    for text, problem in [
        ("t,score\n0,1\n", "time_s,score"),
        ("time_s,score\n", "no scores"),
        ("time_s,score\n0,1\n0.5,2\n", "time_s must run"),
        ("time_s,score\n0,x\n", "numeric"),
        ("time_s,score\n0,nan\n", "finite"),
    ]:
        bad.write_text(text)
        with pytest.raises(InputError, match=problem):
            read_score_curve(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_score_curve(tmp_path / "missing.csv")


def _youtube(vid, fps, labels):
    frames = np.array([[0, 20], [10, 30], [20, 40]], dtype=float)
    return YouTubeVideo(vid, "dog", "TestLooseL", frames, np.array(labels), fps)


def test_evaluate_youtube_curves():
    videos = [
        _youtube("a", 10.0, [-1, 0, 1]),
        _youtube("b", 10.0, [1, -1, -1]),
        _youtube("c", None, [1, 1, 1]),
        _youtube("d", 10.0, [1, 1, -1]),
    ]
    # 4 s: clips [0,2) [1,3) [2,4) score 0.24, 0.50, 0.76
    rising = np.linspace(0, 1, 20)
    result = evaluate_curves("youtube", videos, {"a": rising, "b": rising, "c": rising})
    assert result.per_video["a"] == pytest.approx(1.0)
    # b: positive ranked last of 3 -> (P(2) = 0 + P(3) = 1/3) / 2
    assert result.per_video["b"] == pytest.approx(1 / 6)
    assert set(result.unscored) == {"c", "d"} and "frame rate" in result.unscored["c"]
    assert result.per_category == {"dog": pytest.approx((1 + 1 / 6) / 2)}
    assert result.n_videos["dog"] == 4 and result.n_scored["dog"] == 2


def test_oracle_curve_maps_back_onto_segments(tvsum):
    video = tvsum[0]
    clip_scores = curve_to_clip_scores(_oracle_curve(video), video.clip_spans_s())
    assert clip_scores == pytest.approx(video.segment_scores.mean(axis=0))


def test_evaluate_folder_tvsum(tvsum, data_root, tmp_path):
    scores = tmp_path / "scores"
    scores.mkdir()
    for video in tvsum[:7]:  # VT's five videos and two of VU's
        _write_curve(scores / f"{video.video_id}.csv", _oracle_curve(video))
    result = evaluate_folder("tvsum", data_root, scores)
    assert len(result.per_video) == 7 and len(result.unscored) == 43
    assert (
        result.n_scored["VT"] == 5
        and result.n_scored["VU"] == 2
        and result.n_scored["GA"] == 0
    )
    assert list(result.per_category) == ["VT", "VU"]
    # the annotators' own mean ranks well above chance (~0.42)
    assert 0.6 < result.average <= 1.0

    csv_path, md_path = write_result(result, tmp_path / "out" / "tvsum")
    rows = list(csv.DictReader(open(csv_path)))
    assert [r["topic"] for r in rows] == [
        "VT",
        "VU",
        "GA",
        "MS",
        "PK",
        "PR",
        "FM",
        "BK",
        "BT",
        "DS",
        "Average",
    ]
    paper = {r["topic"]: r["Ours"] for r in published.load("table2_tvsum")}
    assert all(float(r["paper"]) == paper[r["topic"]] for r in rows)
    assert rows[2]["mAP"] == "" and rows[-1]["scored"] == "7"
    markdown = md_path.read_text()
    assert (
        "| VT | 5 | 5 |" in markdown
        and f"- {tvsum[-1].video_id}: no score file" in markdown
    )


def test_cli_evaluate(tvsum, data_root, tmp_path, capsys):
    scores = tmp_path / "scores"
    scores.mkdir()
    _write_curve(scores / f"{tvsum[0].video_id}.csv", _oracle_curve(tvsum[0]))
    args = [
        "evaluate",
        "--benchmark",
        "tvsum",
        "--data",
        str(data_root),
        "--scores",
        str(scores),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "| VT | 5 | 1 |" in out and "Not scored (49)" in out
    assert main(args + ["--out", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").exists() and (tmp_path / "t.md").exists()
    assert "not scored" in capsys.readouterr().err

    (scores / f"{tvsum[1].video_id}.csv").write_text("time_s,score\n0,oops\n")
    assert main(args + ["--out", str(tmp_path / "u.csv")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{tvsum[1].video_id}.csv" in err
    assert not (tmp_path / "u.csv").exists() and not (tmp_path / "u.md").exists()

    assert (
        main(
            [
                "evaluate",
                "--benchmark",
                "youtube",
                "--data",
                str(data_root),
                "--scores",
                str(scores),
                "--protocol",
                "standard",
            ]
        )
        == 1
    )
    assert (
        main(
            [
                "evaluate",
                "--benchmark",
                "youtube",
                "--data",
                str(tmp_path),
                "--scores",
                str(scores),
            ]
        )
        == 1
    )
    assert "no youtube_highlights/ folder" in capsys.readouterr().err


def test_paper_tables():
    shapes = {
        "table1_youtube": (7, 9),
        "table2_tvsum": (11, 17),
        "table3_ablation": (6, 3),
        "table4_fusion": (5, 3),
        "table5_targets": (4, 4),
        "table6_efficiency": (4, 4),
        "methods": (19, 3),
    }
    for name, (n_rows, n_cols) in shapes.items():
        rows = published.load(name)
        assert (len(rows), len(rows[0])) == (n_rows, n_cols)
        assert "arXiv 2403.09401" in published.citation(name)
    table1, table2 = published.load("table1_youtube"), published.load("table2_tvsum")
    assert [r["Ours"] for r in table1] == [
        0.642,
        0.758,
        0.709,
        0.456,
        0.665,
        0.667,
        0.651,
    ]
    assert table2[-1]["CHD"] == 0.528 and table2[0]["CHD"] is None
    methods = {r["method"] for r in published.load("methods")}
    assert methods >= (set(table1[0]) | set(table2[0])) - {"topic"}
    # printed Average vs the mean of the rows: LR agrees to 0.002, "Ours" on TVSum is 0.020 off
    assert abs(np.mean([r["LR"] for r in table1[:-1]]) - table1[-1]["LR"]) < 0.0025
    assert np.mean([r["Ours"] for r in table2[:-1]]) == pytest.approx(0.8034)
    with pytest.raises(ValueError, match="unknown table .table7.; choose one of"):
        published.load("table7")


def test_video_folder_supplies_frame_rates(
    youtube_root, videos_dir, data_root, tmp_path
):
    video = next(v for v in load_youtube(youtube_root).videos if v.fps is None)
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / f"{video.video_id}.mp4").symlink_to(
        videos_dir / "chaplin.mp4"
    )
    scores = tmp_path / "scores"
    scores.mkdir()
    _write_curve(scores / f"{video.video_id}.csv", np.linspace(0, 1, 1000))
    without = evaluate_folder("youtube", data_root, scores)
    assert "frame rate" in without.unscored[video.video_id]
    with pytest.warns(UserWarning, match="195 of 196"):
        result = evaluate_folder(
            "youtube", data_root, scores, video_dir=tmp_path / "videos"
        )
    assert (
        list(result.per_video) == [video.video_id]
        and sum(result.n_videos.values()) == 196
    )
    assert result.unscored.get(video.video_id) is None and len(result.unscored) == 195
