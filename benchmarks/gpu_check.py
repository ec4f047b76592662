"""The paper profile on a GPU in minutes: the CUDA tests, the toy paper path with pretraining
in bf16, Swin-B frames/s, HuBERT's speed and pretraining steps/s of the paper configuration
(fp32, bf16, and fp32 through torch.compile), and the hours these throughputs give for ActivityNet; one table.

    .venv/bin/python benchmarks/gpu_check.py                 # on a machine with CUDA
    .venv/bin/python benchmarks/gpu_check.py --device cpu    # the throughputs on the CPU (no tests)

Encoders run with random weights (the throughput does not depend on them; no download).
The hours are throughput arithmetic for one process, not a measured run: frames at 5 per
second of video through Swin-B, the audio through HuBERT, ``--steps`` pretraining steps;
decoding (CPU, ``benchmarks/bench_features.py``) and data loading are not counted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from rasl.clips import ClipSet
from rasl.config import paper
from rasl.decode import SAMPLE_RATE
from rasl.encoders import create_encoder
from rasl.runtime import bf16_autocast, configure_cpu
from rasl.train import build, loader, step_generator, train_steps

REPO = Path(__file__).resolve().parents[1]


def pytest(args: list[str], env: dict | None = None) -> tuple[str, float]:
    """Run pytest in a child process: (its summary line, seconds)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines = done.stdout.strip().splitlines()
    return (
        lines[-1] if lines else done.stderr.strip()[-200:]
    ), time.perf_counter() - start


def timed(fn, repeat: int) -> float:
    """Seconds per call of ``fn`` after one warm-up call, synchronising CUDA."""
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeat


def swin_fps(device: str, batch: int, bf16: bool, work: Path) -> float:
    import timm

    weights = work / "swin.pth"
    if not weights.exists():
        torch.save(
            timm.create_model(
                "swin_base_patch4_window7_224", pretrained=False
            ).state_dict(),
            weights,
        )
    enc = create_encoder("swin", device=device, weights=str(weights))
    frames = np.random.default_rng(0).integers(
        0, 256, (batch, 224, 224, 3), dtype=np.uint8
    )
    with bf16_autocast(device, bf16):
        return batch / timed(lambda: enc(frames), 3)


def hubert_speed(device: str, work: Path) -> float:
    """Seconds of audio HuBERT encodes per second, on 30-s chunks (as rasl.decode.audio gives them)."""
    import torchaudio

    weights = work / "hubert.pth"
    torch.save(torchaudio.models.hubert_base().state_dict(), weights)
    enc = create_encoder("hubert", device=device, weights=str(weights))
    chunk = (
        np.random.default_rng(0).standard_normal(30 * SAMPLE_RATE).astype(np.float32)
    )
    return 30 / timed(lambda: enc(chunk), 2)


def pretrain_steps_per_s(
    device: str, bf16: bool, steps: int, compile: bool = False
) -> float:
    """The paper configuration (d = 1024, N = 150, batch 8) on random clips through the DataLoader;
    with ``compile``, through torch.compile (compiled in the untimed warm-up step)."""
    cfg = paper().replace(
        train={"device": device, "bf16": bf16, "num_workers": 0, "compile": compile}
    )
    g = torch.Generator().manual_seed(0)
    clips = ClipSet(
        {
            m: torch.rand(64, cfg.model.clip_steps, cfg.model.dim, generator=g)
            for m in cfg.model.modalities
        },
        ["v"] * 64,
    )
    model, opt, _ = build(cfg)
    running = train_steps(
        model,
        opt,
        loader(clips, cfg, 0),
        cfg,
        lambda s: step_generator(0, 0, s),
        0,
        10**9,
        False,
    )
    return 1 / timed(lambda: next(running), steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--device", default="cuda" if torch.cuda.is_available() else "cpu"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        help="frames per Swin-B call (default: 64 on CUDA, 8 on CPU)",
    )
    parser.add_argument(
        "--train-steps", type=int, default=5, help="pretraining steps timed"
    )
    parser.add_argument(
        "--video-hours",
        type=float,
        default=650.0,
        help="hours of video to extrapolate to (ActivityNet)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=paper().train.steps,
        help="pretraining steps to extrapolate to",
    )
    a = parser.parse_args()
    configure_cpu()
    cuda = a.device == "cuda"
    batch = a.batch_size or (64 if cuda else 8)
    rows = []
    if cuda:
        rows.append(("CUDA tests (pytest -m cuda)", *pytest(["-m", "cuda"])))
        rows.append(
            (
                "toy paper path, pretraining in bf16 (pytest -m scale -k paper)",
                *pytest(
                    ["-m", "scale", "-k", "paper"],
                    {"RASL_SCALE_DEVICE": "cuda", "RASL_SCALE_BF16": "1"},
                ),
            )
        )
    with tempfile.TemporaryDirectory() as work:
        precisions = (False, True) if cuda else (False,)
        fps = {bf16: swin_fps(a.device, batch, bf16, Path(work)) for bf16 in precisions}
        audio = hubert_speed(a.device, Path(work))
    # (bf16, torch.compile)
    variants = [(bf16, False) for bf16 in precisions] + [(False, True)]
    steps = {v: pretrain_steps_per_s(a.device, *v, a.train_steps) for v in variants}
    frames = a.video_hours * 3600 * 5
    for bf16 in precisions:
        name = "bf16" if bf16 else "fp32"
        rows.append(
            (
                f"Swin-B, batch {batch}, {name}",
                f"{fps[bf16]:.1f} frames/s",
                f"{frames / fps[bf16] / 3600:.1f} h for {a.video_hours:g} h of video",
            )
        )
    rows.append(
        (
            "HuBERT base, 30-s chunks, fp32",
            f"{audio:.0f} s of audio per s",
            f"{a.video_hours / audio:.1f} h for {a.video_hours:g} h of video",
        )
    )
    for (bf16, compiled), rate in steps.items():
        name = ("bf16" if bf16 else "fp32") + (", torch.compile" if compiled else "")
        rows.append(
            (
                f"pretraining, paper configuration (batch 8), {name}",
                f"{rate:.2f} steps/s",
                f"{a.steps / rate / 3600:.1f} h for {a.steps} steps",
            )
        )
    device = (
        torch.cuda.get_device_name()
        if cuda
        else f"cpu, {torch.get_num_threads()} threads"
    )
    print(f"device: {device}, torch {torch.__version__}\n")
    print("| check | result | time / estimate |\n|---|---|---|")
    for name, result, when in rows:
        print(
            f"| {name} | {result} | {when if isinstance(when, str) else f'{when:.0f} s'} |"
        )


if __name__ == "__main__":
    main()
