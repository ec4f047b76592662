"""Training-step time and inference throughput of the paper configuration.

Each figure is also printed as a ratio against a plain ``torch.nn.MultiheadAttention``
forward over the same tensors (batch x 150 x 1024), so it survives a noisy machine.

    python benchmarks/bench_model.py [--device cuda] [--repeats 5] [--bf16] [--compile] [--profile 12]

``--profile N`` also prints the N operators that take the most time in one training step
(torch.profiler, self time).
"""

from __future__ import annotations

import argparse
import time

import torch

from rasl.config import ModelConfig
from rasl.losses import total_loss
from rasl.model import RASLModel
from rasl.runtime import configure_cpu


def timed(fn, device: str, repeats: int) -> float:
    """Median seconds of ``fn()`` after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument(
        "--bf16",
        action="store_true",
        help="training and inference under bfloat16 autocast",
    )
    ap.add_argument(
        "--compile",
        action="store_true",
        help="training step through torch.compile (TrainConfig.compile)",
    )
    ap.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print the top N operators of a training step",
    )
    a = ap.parse_args(argv)
    configure_cpu()  # as the CLI and the benchmark scripts do
    torch.manual_seed(0)
    cfg = ModelConfig(dim=1024)
    model = RASLModel(cfg).to(a.device)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    x = {
        m: torch.rand(a.batch, cfg.clip_steps, cfg.dim, device=a.device)
        for m in cfg.modalities
    }
    mha = torch.nn.MultiheadAttention(cfg.dim, 1, batch_first=True).to(a.device)

    def autocast():
        return torch.autocast(
            torch.device(a.device).type, dtype=torch.bfloat16, enabled=a.bf16
        )

    objective = torch.compile(model.losses) if a.compile else model.losses

    def train_step():
        with autocast():
            loss = total_loss(objective(x))
        opt.zero_grad()
        loss.backward()
        opt.step()

    # as score_curve scores a long video: attention folded once
    scorer = model.for_inference()

    @torch.inference_mode()
    def score():
        with autocast():
            scorer.score(x)

    @torch.inference_mode()
    def reference():
        mha(x["visual"], x["visual"], x["visual"], need_weights=False)

    ref = timed(reference, a.device, a.repeats)
    start = time.perf_counter()
    train_step()  # with --compile: compiles
    first = time.perf_counter() - start
    step = timed(train_step, a.device, a.repeats)
    infer = timed(score, a.device, a.repeats)
    print(
        f"device {a.device}, batch {a.batch} clips of {cfg.clip_steps} x {cfg.dim}, "
        f"{'bfloat16 autocast' if a.bf16 else 'float32'}, {torch.get_num_threads()} threads"
        f"{f', torch.compile (first step {first:.1f} s)' if a.compile else ''}"
    )
    print(f"reference MultiheadAttention forward: {ref * 1e3:.1f} ms")
    print(
        f"training step (both branches, all losses): {step * 1e3:.1f} ms = {step / ref:.1f} x reference"
    )
    print(
        f"inference: {a.batch / infer:.1f} clips/s ({infer * 1e3:.1f} ms per batch) = {infer / ref:.2f} x reference time"
    )
    if a.profile:
        with torch.profiler.profile() as prof:
            train_step()
        print(
            prof.key_averages().table(
                sort_by="self_cpu_time_total", row_limit=a.profile
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
