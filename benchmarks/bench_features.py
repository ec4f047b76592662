"""Time feature extraction on the longest shared video against a bare PyAV decode at 5 fps.

    python benchmarks/bench_features.py [--visual efficientnet_lite0] [--audio mel] [--device cpu] [--batch-size 32] [--no-bf16]

Prints where the time goes (decode onto the timeline, visual encoder, audio) and the ratio
of end-to-end extraction to the bare decode. Encoders are built and warmed up before
timing. Each figure is the best of ``--repeat`` runs (wall clock).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from bench_score import bare_decode  # the same baseline as bench_score's ratio

from rasl import decode
from rasl.config import FeatureConfig, default_data_root
from rasl.features import build_encoders, extract_features, visual_bf16
from rasl.files import list_videos
from rasl.runtime import bf16_autocast


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--video", help="default: the longest video under <data root>/videos"
    )
    parser.add_argument("--visual", default="efficientnet_lite0")
    parser.add_argument("--audio", default="mel")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=FeatureConfig.batch_size)
    parser.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        help="visual encoder in bf16 (default: where the device computes it natively, as smoke)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    a = parser.parse_args()
    root = default_data_root()
    if a.video is None and root is None:
        parser.error("no data root: set RASL_DATA or pass --video")
    video = (
        Path(a.video)
        if a.video
        else max(
            list_videos(Path(root) / "videos"), key=lambda p: decode.probe(p).duration_s
        )
    )
    cfg = FeatureConfig(
        visual=a.visual,
        audio=a.audio,
        device=a.device,
        batch_size=a.batch_size,
        bf16=a.bf16,
    )
    info = decode.probe(video)
    visual, audio = build_encoders(cfg)
    frames = np.stack(list(decode.frames(video, visual.input_size, info)))
    visual(frames[: cfg.batch_size])  # warm-up

    def encode_all() -> None:
        with bf16_autocast(cfg.device, cfg.bf16):
            for i in range(0, len(frames), cfg.batch_size):
                visual(frames[i : i + cfg.batch_size])

    def audio_all() -> None:
        for chunk in decode.audio(video, info):
            audio(chunk)

    timings = {
        "bare PyAV decode, 5 fps, 224 px": best_of(
            a.repeat, lambda: bare_decode(video)
        ),
        "decode.frames onto the timeline": best_of(
            a.repeat,
            lambda: sum(1 for _ in decode.frames(video, visual.input_size, info)),
        ),
        f"{visual.name} on {len(frames)} frames": best_of(a.repeat, encode_all),
        f"audio decode + {audio.name}": best_of(a.repeat, audio_all)
        if info.has_audio
        else 0.0,
        "extract_features end to end": best_of(
            a.repeat, lambda: extract_features(video, cfg)
        ),
    }
    print(
        f"{video.name}: {info.duration_s:.1f} s, {info.width}x{info.height}, {info.fps:.2f} fps, {info.steps} steps, "
        f"bf16 {visual_bf16(cfg)}"
    )
    for what, seconds in timings.items():
        print(
            f"  {what:<40} {seconds:7.2f} s  {1000 * seconds / info.steps:6.1f} ms/step"
        )
    ratio = (
        timings["extract_features end to end"]
        / timings["bare PyAV decode, 5 fps, 224 px"]
    )
    print(f"ratio extraction / bare decode: {ratio:.2f}")


if __name__ == "__main__":
    main()
