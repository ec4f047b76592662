"""Rendering reels from real shared videos: length, audio, and frames from the right times."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from rasl.files import InputError
from rasl.highlights import Segment
from rasl.reel import render_reel


def segments(*spans):
    return [Segment(a, b, 0.5, 0.5) for a, b in spans]


def frame_at(path: Path, t: float, size: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W, 3) float RGB of the first frame at or after ``t`` s after the first video frame."""
    with av.open(str(path)) as c:
        t0 = float((c.streams.video[0].start_time or 0) * c.streams.video[0].time_base)
        for f in c.decode(video=0):
            if f.time - t0 >= t - 1e-3:
                w, h = size or (f.width, f.height)
                return f.to_ndarray(format="rgb24", width=w, height=h).astype(
                    np.float32
                )
    raise AssertionError(f"{path} has no frame at {t} s")


def mono_audio(path: Path, t: float, dur: float) -> np.ndarray:
    """(n,) mono samples of ``[t, t + dur)`` s after the first video frame."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        t0 = float((c.streams.video[0].start_time or 0) * c.streams.video[0].time_base)
        to_mono = av.AudioResampler(format="fltp", layout="mono", rate=stream.rate)
        chunks, first = [], None
        for f in c.decode(stream):
            first = round((f.time - t0) * stream.rate) if first is None else first
            chunks += [g.to_ndarray()[0] for g in to_mono.resample(f)]
        start = round(t * stream.rate) - first
        return np.concatenate(chunks)[start : start + round(dur * stream.rate)]


def streams(path: Path) -> dict:
    with av.open(str(path)) as c:
        return {
            "duration": c.duration / av.time_base,
            "audio": [
                (s.codec_context.name, s.rate, s.channels) for s in c.streams.audio
            ],
            "video": [
                (s.codec_context.name, s.width, s.height) for s in c.streams.video
            ],
        }


def test_reel_frames_and_sound_come_from_the_segment_starts(videos_dir, tmp_path):
    src, spans = videos_dir / "chaplin.mp4", [(0.0, 2.0), (4.0, 6.0)]
    out = render_reel(src, segments(*spans), tmp_path / "reel.mp4")
    info = streams(out)
    assert info["duration"] == pytest.approx(4.0, abs=2 / 25)
    assert info["video"] == [("h264", 640, 360)] and info["audio"] == [
        ("aac", 44100, 2)
    ]
    offset = 0.0
    for start, end in spans:
        reel_frame = frame_at(out, offset)
        # re-encoding noise only
        assert np.abs(reel_frame - frame_at(src, start)).mean() < 4
        # the check can tell times apart
        assert np.abs(reel_frame - frame_at(src, start + 1.5)).mean() > 10
        sound = mono_audio(out, offset + 0.1, 0.5)
        assert np.corrcoef(sound, mono_audio(src, start + 0.1, 0.5))[0, 1] > 0.99
        # 10 ms off is not a match
        assert np.corrcoef(sound, mono_audio(src, start + 0.11, 0.5))[0, 1] < 0.5
        offset += end - start


def test_six_channel_reel_keeps_its_layout(videos_dir, tmp_path):
    out = render_reel(
        videos_dir / "bigbuckbunny_6ch.mp4",
        segments((0.4, 1.6), (3.0, 4.2)),
        tmp_path / "r.mp4",
    )
    info = streams(out)
    assert info["duration"] == pytest.approx(2.4, abs=2 / 25)
    assert info["audio"] == [("aac", 48000, 6)]


def test_video_without_audio_gives_a_video_only_reel(videos_dir, tmp_path):
    out = render_reel(
        videos_dir / "example.mp4",
        segments((2.0, 4.0), (10.0, 12.2)),
        tmp_path / "r.mp4",
    )
    info = streams(out)
    assert info["duration"] == pytest.approx(4.2, abs=2 / 25)
    assert info["audio"] == []


def test_mpeg_ps_with_odd_height_and_late_start(videos_dir, tmp_path):
    """cityCC0.mpg: 720x405, starts at 0.54 s, and its seeks land late (no index)."""
    src = videos_dir / "cityCC0.mpg"
    out = render_reel(src, segments((1.0, 2.0), (5.0, 6.4)), tmp_path / "r.mp4")
    info = streams(out)
    assert info["duration"] == pytest.approx(2.4, abs=2 / 25)
    assert info["video"] == [("h264", 720, 404)]
    for offset, start in ((0.0, 1.0), (1.0, 5.0)):
        assert (
            np.abs(frame_at(out, offset) - frame_at(src, start, (720, 404))).mean() < 8
        )


def test_unwritable_output_raises_one_line_and_leaves_nothing(small_video, tmp_path):
    (tmp_path / "a_file").write_text("")
    with pytest.raises(InputError, match="cannot write here"):
        render_reel(small_video, segments((0.0, 1.0)), tmp_path / "a_file" / "r.mp4")
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]


def test_a_file_that_is_not_a_video_is_an_input_error(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(InputError, match="notes.mp4: cannot be read as a video"):
        render_reel(bad, segments((0.0, 1.0)), tmp_path / "r.mp4")
    assert not (tmp_path / "r.mp4").exists()
    with pytest.raises(ValueError, match="at least one segment"):
        render_reel(bad, [], tmp_path / "r.mp4")
