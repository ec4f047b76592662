"""The generated synthetic demo set: decodable, with sound, labelled, deterministic."""

from __future__ import annotations

import csv
from pathlib import Path

import av
import numpy as np
import pytest

from rasl.decode import probe
from rasl.files import InputError
from rasl.paper import demo


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> Path:
    return demo.make_demo_set(tmp_path_factory.mktemp("demo"))


def _decode(path: Path) -> tuple[list[np.ndarray], np.ndarray, list[float]]:
    """Every frame (H, W, 3) uint8, the mono audio (S,) float32, and the frame times."""
    with av.open(str(path)) as c:
        frames, times = [], []
        for f in c.decode(video=0):
            frames.append(f.to_ndarray(format="rgb24"))
            times.append(float(f.time))
    with av.open(str(path)) as c:
        sound = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)])
    return frames, sound, times


def test_layout_and_labels_match_the_real_data_root(demo_root):
    names = sorted(p.name for p in (demo_root / "videos").glob("*.mp4"))
    assert names == sorted(c.name for c in demo.CLIPS)
    assert 3 <= len(names) <= 4
    with open(demo_root / "videos" / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["video", "start_s", "end_s", "source"]
    expected = [(c.name, s, e) for c in demo.CLIPS for s, e in c.highlights]
    assert [
        (r["video"], float(r["start_s"]), float(r["end_s"])) for r in rows
    ] == expected
    assert all("synthetic" in r["source"] for r in rows)
    assert demo.is_synthetic(demo_root)
    assert "Synthetic" in (demo_root / demo.MARKER).read_text()


@pytest.mark.parametrize("clip", demo.CLIPS, ids=lambda c: c.name)
def test_clip_decodes_with_its_duration_size_fps_and_sound(demo_root, clip):
    path = demo_root / "videos" / clip.name
    info = probe(path)
    assert info.duration_s == pytest.approx(clip.duration_s, abs=1 / clip.fps)
    assert (info.width, info.height) == (demo.WIDTH, demo.HEIGHT)
    assert info.fps == pytest.approx(clip.fps)
    assert (
        info.has_audio
        and info.audio_channels == 1
        and info.audio_rate == demo.SAMPLE_RATE
    )
    frames, sound, times = _decode(path)
    assert len(frames) == round(clip.duration_s * clip.fps)
    assert frames[0].shape == (demo.HEIGHT, demo.WIDTH, 3)
    assert len(sound) == pytest.approx(
        clip.duration_s * demo.SAMPLE_RATE, abs=2 * demo.AUDIO_FRAME
    )
    assert np.abs(sound).max() > 0.1


@pytest.mark.parametrize("clip", demo.CLIPS, ids=lambda c: c.name)
def test_highlights_are_louder_and_show_the_yellow_ball(demo_root, clip):
    frames, sound, times = _decode(demo_root / "videos" / clip.name)
    in_span = np.array([demo._highlight_progress(clip, t) is not None for t in times])
    yellow = np.array(
        [
            ((f[..., 0] > 200) & (f[..., 1] > 170) & (f[..., 2] < 100)).mean()
            for f in frames
        ]
    )
    # the ball covers pi * 36^2 / (320 * 240) = 5.3 % of the frame; no yellow elsewhere
    assert yellow[in_span].min() > 0.03
    assert yellow[~in_span].max() < 0.001
    t = np.arange(len(sound)) / demo.SAMPLE_RATE
    loud = np.array([demo._highlight_progress(clip, x) is not None for x in t])
    rms_in, rms_out = (
        np.sqrt((sound[loud] ** 2).mean()),
        np.sqrt((sound[~loud] ** 2).mean()),
    )
    assert rms_in > 4 * rms_out


def test_regeneration_gives_the_same_bytes(demo_root, tmp_path):
    clip = demo.CLIPS[0]
    demo.write_clip(clip, tmp_path / clip.name)
    assert (tmp_path / clip.name).read_bytes() == (
        demo_root / "videos" / clip.name
    ).read_bytes()


def test_make_demo_set_keeps_existing_files(demo_root):
    stamps = {p: p.stat().st_mtime_ns for p in demo_root.rglob("*") if p.is_file()}
    assert demo.make_demo_set(demo_root) == demo_root
    assert {
        p: p.stat().st_mtime_ns for p in demo_root.rglob("*") if p.is_file()
    } == stamps


def test_data_root_or_demo(demo_root, tmp_path, monkeypatch):
    real = tmp_path / "real"
    (real / "videos").mkdir(parents=True)
    assert demo.data_root_or_demo(real) == real
    assert not demo.is_synthetic(real)
    with pytest.raises(InputError, match="no videos/ folder"):
        demo.data_root_or_demo(tmp_path)
    monkeypatch.setenv("RASL_DATA", str(real))
    assert demo.data_root_or_demo() == real
    # a clone without ../shared
    monkeypatch.setattr(demo, "default_data_root", lambda: None)
    assert demo.data_root_or_demo(cache_dir=demo_root) == demo_root
