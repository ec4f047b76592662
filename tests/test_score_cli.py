"""``rasl score`` and ``rasl highlights`` through ``rasl.cli.main``: outputs, exit status, bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import av
import numpy as np
import pytest

from rasl.cli import build_parser, main
from rasl.inference import ScoreCurve


def write_video(path: Path, n_frames: int, fps: int = 25) -> Path:
    """A silent 64x64 H.264 MP4 of ``n_frames`` frames (0 frames: a declared stream, no data)."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        c.start_encoding()
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((64, 64, 3), 40 * i, np.uint8), format="rgb24"
            )
            frame.pts = i
            c.mux(s.encode(frame))
        c.mux(s.encode(None))
    return path


def fake_curve(scores: list[float]):
    """Stands in for ``score_video``: a fixed curve, so selection and reel can be checked by hand."""

    def score(video, checkpoint=None, progress=False, **_):
        return ScoreCurve(
            np.arange(len(scores)) * 0.2,
            np.array(scores),
            {"duration_s": len(scores) * 0.2},
        )

    return score


def error_line(capsys, name: str) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("rasl: error: ") and name in lines[0]
    ), err
    return lines[0]


def test_highlights_needs_exactly_one_of_total_and_threshold(capsys):
    parser = build_parser()
    a = parser.parse_args(
        [
            "highlights",
            "v.mp4",
            "--total",
            "20",
            "--min-segment",
            "2",
            "--reel",
            "r.mp4",
        ]
    )
    assert (a.total, a.threshold, a.min_segment, a.reel) == (20.0, None, 2.0, "r.mp4")
    for argv in (
        ["highlights", "v.mp4"],
        ["highlights", "v.mp4", "--total", "5", "--threshold", "0.5"],
    ):
        with pytest.raises(SystemExit) as exit_:
            parser.parse_args(argv)
        assert exit_.value.code == 2
    assert "--total" in capsys.readouterr().err


def test_score_writes_the_curve_one_row_per_step(videos_dir, tmp_path, capsys):
    out = tmp_path / "curve.csv"
    argv = [
        "score",
        str(videos_dir / "example2.mp4"),
        "--out",
        str(out),
        "--json",
        "--quiet",
    ]
    # the pipeline end to end; adaptation is tested elsewhere
    assert main([*argv, "--adapt-steps", "0"]) == 0
    stdout, stderr = capsys.readouterr()
    assert stderr == ""  # --quiet: no progress bars
    rows = json.loads(stdout)
    # 2.0 s of video
    assert [r["time_s"] for r in rows] == pytest.approx(np.arange(10) * 0.2)
    assert all(0.0 <= r["score"] <= 1.0 for r in rows)
    written = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(float(r["time_s"]), float(r["score"])) for r in written] == [
        (r["time_s"], r["score"]) for r in rows
    ]


def test_score_prints_csv_without_out_and_json_with_it(
    small_video, capsys, monkeypatch
):
    monkeypatch.setattr("rasl.inference.score_video", fake_curve([0.0, 1.0, 0.5]))
    assert main(["score", str(small_video), "--quiet"]) == 0
    assert capsys.readouterr().out == "time_s,score\n0.0,0.0\n0.2,1.0\n0.4,0.5\n"
    assert main(["score", str(small_video), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[1] == {"time_s": 0.2, "score": 1.0}


def test_highlights_cuts_a_reel_end_to_end(videos_dir, tmp_path, capsys):
    reel = tmp_path / "reel.mp4"
    argv = [
        "highlights",
        str(videos_dir / "fire2.mp4"),
        "--total",
        "2",
        "--reel",
        str(reel),
        "--json",
        "--adapt-steps",
        "0",
    ]
    assert main(argv) == 0
    stdout, stderr = capsys.readouterr()
    assert stderr != ""  # progress bars, without --quiet
    result = json.loads(stdout)
    total = sum(s["end_s"] - s["start_s"] for s in result["segments"])
    # the budget is never exceeded
    assert 1.0 <= total <= 2.0 and result["total_s"] == pytest.approx(total)
    with av.open(str(reel)) as c:
        # fire2 has ~10 fps
        assert c.duration / av.time_base == pytest.approx(total, abs=0.2)
        assert len(c.streams.audio) == 1


def test_highlights_selection_segments_file_and_reel(
    small_video, tmp_path, capsys, monkeypatch
):
    # small_video: 48 steps
    scores = [0.1] * 10 + [0.9] * 10 + [0.2] * 10 + [0.8] * 5 + [0.1] * 13
    monkeypatch.setattr("rasl.inference.score_video", fake_curve(scores))
    seg_file, reel = tmp_path / "segs.json", tmp_path / "reel.mp4"
    argv = [
        "highlights",
        str(small_video),
        "--threshold",
        "0.5",
        "--segments",
        str(seg_file),
    ]
    assert main([*argv, "--reel", str(reel), "--json", "--quiet"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [(s["start_s"], s["end_s"]) for s in result["segments"]] == [
        (2.0, 4.0),
        (6.0, 7.0),
    ]
    assert result["segments"][1]["mean_score"] == pytest.approx(0.8) and result[
        "total_s"
    ] == pytest.approx(3.0)
    assert json.loads(seg_file.read_text()) == result["segments"]
    with av.open(str(reel)) as c:
        assert c.duration / av.time_base == pytest.approx(3.0, abs=2 / 25)
    assert main(["highlights", str(small_video), "--total", "100", "--quiet"]) == 0
    assert (
        capsys.readouterr().out
        == "start_s,end_s,mean_score,peak_score\n0.0,9.6,%r,0.9\n"
        % float(np.mean(scores))
    )


def test_an_empty_selection_writes_no_reel_and_no_segments(
    small_video, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("rasl.inference.score_video", fake_curve([0.3] * 48))
    argv = ["highlights", str(small_video), "--threshold", "0.5", "--quiet"]
    assert (
        main(
            [
                *argv,
                "--segments",
                str(tmp_path / "s.csv"),
                "--reel",
                str(tmp_path / "r.mp4"),
            ]
        )
        == 1
    )
    assert "no segment selected" in error_line(capsys, "small.mp4")
    assert list(tmp_path.iterdir()) == []
    assert main(argv) == 0  # without a reel, an empty selection is a result
    assert capsys.readouterr().out == "start_s,end_s,mean_score,peak_score\n"


@pytest.mark.parametrize("command", ["score", "highlights"])
def test_unwritable_or_misnamed_output_fails_before_scoring(
    small_video, tmp_path, capsys, monkeypatch, command
):
    monkeypatch.setattr(
        "rasl.inference.score_video", lambda *a, **k: pytest.fail("scored anyway")
    )
    (tmp_path / "a_file").write_text("")
    flag = {"score": "--out", "highlights": "--segments"}[command]
    extra = ["--total", "3"] if command == "highlights" else []
    video = str(small_video)
    assert (
        main(
            [
                command,
                video,
                *extra,
                flag,
                str(tmp_path / "a_file" / "o.csv"),
                "--quiet",
            ]
        )
        == 1
    )
    assert "cannot write here" in error_line(capsys, "o.csv")
    assert main([command, video, *extra, flag, str(tmp_path / "o.txt"), "--quiet"]) == 1
    assert "must end in .csv or .json" in error_line(capsys, "o.txt")
    if command == "highlights":
        assert (
            main(
                [
                    command,
                    video,
                    *extra,
                    "--reel",
                    str(tmp_path / "a_file" / "r.mp4"),
                    "--quiet",
                ]
            )
            == 1
        )
        assert "cannot write here" in error_line(capsys, "r.mp4")
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]


@pytest.mark.parametrize(
    ("name", "n_frames"), [("one_frame.mp4", 1), ("no_frames.mp4", 0)]
)
@pytest.mark.parametrize("command", ["score", "highlights"])
def test_a_video_too_short_to_score_is_one_line_and_no_file(
    tmp_path, capsys, name, n_frames, command
):
    # one frame at 25 fps lasts 0.04 s < one 0.2-s step
    video = write_video(tmp_path / name, n_frames)
    out = tmp_path / "out" / "o.csv"
    extra = ["--total", "3", "--segments"] if command == "highlights" else ["--out"]
    assert main([command, str(video), *extra, str(out), "--quiet"]) == 1
    error_line(capsys, name)
    assert not (tmp_path / "out").exists()  # rejected before the output folder is made


def test_computing_commands_configure_cpu_before_anything_else(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("rasl.runtime.configure_cpu", lambda: calls.append("flushed"))
    # fails on the video, after flushing
    assert main(["score", str(tmp_path / "missing.mp4")]) == 1
    assert main(["efficiency", "--json"]) == 0
    assert calls == ["flushed"]
