"""How long ``rasl score`` takes against a bare PyAV decode, and where the time goes (issue 6).

The issue's budget: end-to-end ``rasl score`` with the offline default encoders (adaptation
included) takes at most 4x a bare PyAV decode of the same video at 5 frames per second to
224-px RGB, and its peak memory does not grow with the video's length.

For the longest shared video and for longer ones made by concatenating all shared videos
(written once under /tmp/rasl_bench), this prints

- the bare decode time, the end-to-end ``python -m rasl score`` time (a subprocess, so
  imports and model loading count) with its peak RSS, and their ratio;
- where the time goes, from one in-process ``score_video`` run whose stages are timed by
  wrapping them: decoding (frames and audio, inside their generators), each encoder's
  calls, adaptation and scoring. Frames are decoded in a background thread while the
  visual encoder runs, so the stages can add up to more than the wall time.

Run:  .venv/bin/python benchmarks/bench_score.py [--repeats 1 4] [--adapt-steps N]
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import time
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from rasl import decode, encoders, inference
from rasl.config import STEP_S, default_data_root
from rasl.files import atomic_path, list_videos
from rasl.runtime import configure_cpu

WORK = Path("/tmp/rasl_bench")
SIZE, FPS, RATE = (
    (1280, 720),
    25,
    48000,
)  # the concatenated film: 720p, 25 fps, stereo 48 kHz


def bare_decode(path: Path) -> float:
    """Seconds to decode ``path`` with PyAV and turn the frame of every 0.2-s step into 224x224 RGB."""
    start = time.perf_counter()
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        v.thread_type = "AUTO"
        origin, step = v.start_time or 0, 0
        for frame in c.decode(v):
            t = float((frame.pts - origin) * v.time_base)
            if t >= step * STEP_S - 1e-6:
                frame.to_ndarray(format="rgb24", width=224, height=224)
                step = int(t / STEP_S) + 1
    return time.perf_counter() - start


def concatenate(videos: list[Path], repeats: int, out: Path) -> Path:
    """Write ``videos`` one after another, ``repeats`` times, as one 720p H.264 + AAC film.

    Frames are rescaled to 720p and re-timed at 25 fps (a 30-fps source plays slower); each
    video's audio is downmixed to stereo 48 kHz and cut or padded with silence to its frame
    count, so every video's sound starts with its picture.
    """
    if out.exists():
        return out
    with atomic_path(out) as tmp, av.open(str(tmp), "w", format="mp4") as dst:
        vs = dst.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        vs.width, vs.height, vs.pix_fmt = *SIZE, "yuv420p"
        aus = dst.add_stream("aac", rate=RATE, layout="stereo")
        n_frames = n_samples = 0
        for path in videos * repeats:
            with av.open(str(path)) as src:
                for frame in src.decode(video=0):
                    frame = frame.reformat(
                        width=SIZE[0], height=SIZE[1], format="yuv420p"
                    )
                    frame.pts, frame.time_base = n_frames, Fraction(1, FPS)
                    dst.mux(vs.encode(frame))
                    n_frames += 1
            wave = _stereo(path)
            need = round(n_frames / FPS * RATE) - n_samples
            wave = np.pad(wave[:, :need], ((0, 0), (0, max(need - wave.shape[1], 0))))
            sound = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(wave), format="fltp", layout="stereo"
            )
            sound.sample_rate, sound.pts, sound.time_base = (
                RATE,
                n_samples,
                Fraction(1, RATE),
            )
            dst.mux(aus.encode(sound))
            n_samples += need
        dst.mux(vs.encode(None))
        dst.mux(aus.encode(None))
    return out


def _stereo(path: Path) -> np.ndarray:
    """(2, S) float32 at 48 kHz; (2, 0) for a video without audio."""
    with av.open(str(path)) as src:
        if not src.streams.audio:
            return np.zeros((2, 0), np.float32)
        to_stereo = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        parts = [
            f.to_ndarray() for a in src.decode(audio=0) for f in to_stereo.resample(a)
        ]
        parts += [f.to_ndarray() for f in to_stereo.resample(None)]
    return np.concatenate(parts, axis=1)


def end_to_end(video: Path, adapt_steps: int | None) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of ``python -m rasl score VIDEO`` in a subprocess."""
    cmd = [
        sys.executable,
        "-m",
        "rasl",
        "score",
        str(video),
        "--out",
        str(WORK / "curve.csv"),
        "--quiet",
    ]
    if adapt_steps is not None:
        cmd += ["--adapt-steps", str(adapt_steps)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"rasl score failed on {video}")
    return seconds, usage.ru_maxrss / 1024


def stage_times(video: Path, adapt_steps: int | None) -> dict[str, float]:
    """Seconds spent in each stage of one in-process ``score_video`` run, plus its wall time."""
    spent: dict[str, float] = defaultdict(float)

    def timed(fn, label):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[label(args)] += time.perf_counter() - start

        return call

    def timed_generator(fn, label):
        def run(*args, **kwargs):
            items = fn(*args, **kwargs)
            while True:
                start = time.perf_counter()
                item = next(items, None)
                spent[label] += time.perf_counter() - start
                if item is None:
                    return
                yield item

        return run

    patches = [
        (decode, "frames", timed_generator(decode.frames, "decode frames")),
        (decode, "audio", timed_generator(decode.audio, "decode audio")),
        (
            encoders.VisualEncoder,
            "__call__",
            timed(encoders.VisualEncoder.__call__, lambda a: f"visual: {a[0].name}"),
        ),
        (
            encoders.AudioEncoder,
            "__call__",
            timed(encoders.AudioEncoder.__call__, lambda a: f"audio: {a[0].name}"),
        ),
        (inference, "adapt", timed(inference.adapt, lambda a: "adaptation")),
        (inference, "score_curve", timed(inference.score_curve, lambda a: "scoring")),
    ]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    for owner, name, wrapper in patches:
        setattr(owner, name, wrapper)
    try:
        start = time.perf_counter()
        inference.score_video(video, adapt_steps=adapt_steps)
        spent["wall"] = time.perf_counter() - start
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    return dict(spent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats",
        type=int,
        nargs="+",
        default=[1, 4],
        help="times the shared videos are concatenated, one film per value (4: about 10 min)",
    )
    parser.add_argument(
        "--adapt-steps", type=int, help="adaptation steps (default: rasl's)"
    )
    args = parser.parse_args(argv)
    configure_cpu()  # as the CLI does, for the in-process breakdown
    root = default_data_root()
    if root is None:
        raise SystemExit(
            "no data root: set RASL_DATA or place shared/ beside the checkout"
        )
    videos = list_videos(Path(root) / "videos")
    WORK.mkdir(parents=True, exist_ok=True)
    longest = max(videos, key=lambda v: decode.probe(v).duration_s)
    films = [
        longest,
        *(concatenate(videos, n, WORK / f"concat_x{n}.mp4") for n in args.repeats),
    ]
    print(
        f"{'video':<24} {'length_s':>8} {'decode_s':>8} {'score_s':>8} {'ratio':>6} {'peak_MB':>8}"
    )
    breakdowns = {}
    for film in films:
        length = decode.probe(film).duration_s
        bare = bare_decode(film)
        seconds, peak = end_to_end(film, args.adapt_steps)
        print(
            f"{film.name:<24} {length:8.1f} {bare:8.1f} {seconds:8.1f} {seconds / bare:6.2f} {peak:8.0f}",
            flush=True,
        )
        breakdowns[film.name] = stage_times(film, args.adapt_steps)
    print("\nwhere the time goes (seconds, one in-process score_video run):")
    for name, spent in breakdowns.items():
        print(f"  {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in spent.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
