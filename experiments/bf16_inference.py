"""Scoring under bfloat16 autocast against float32: the same models, the same benchmark rows.

For every seed, pretrains the full model as ``rasl benchmark`` does (float32), then scores
the evaluated videos twice, in float32 and under bf16 autocast (the activation of Eq. (4)
stays float32 in both).
Prints per seed: mAP (YouTube Highlights) or top-5 mAP (TVSum) of each, their difference,
the mean rank correlation of the two score sequences per video, and the CPU seconds each
scoring took. The bf16 path is "the same" when the paired difference is small against the
spread over seeds; for scale, the last line gives the rank correlation between the float32
scores of two seeds (the same videos, models trained with different seeds).

    python experiments/bf16_inference.py [--data ROOT] [--benchmark youtube] [--protocol in-domain]
                                        [--seeds 3] [--steps 500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from rasl.config import default_data_root
from rasl.paper.baselines import rank_correlation
from rasl.paper.benchmark import (
    TIMELINES,
    BenchmarkRun,
    benchmark_runs,
    evaluate_rows,
    pretrain_model,
    row_scores,
    sample_std,
    video_features,
)
from rasl.runtime import configure_cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=default_data_root())
    ap.add_argument("--benchmark", default="youtube", choices=["youtube", "tvsum"])
    ap.add_argument(
        "--protocol", default="in-domain", choices=["in-domain", "transfer"]
    )
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--timeline", default="native15", choices=list(TIMELINES))
    a = ap.parse_args(argv)
    configure_cpu()  # as the CLI does
    tl = TIMELINES[a.timeline]
    scored, runs = benchmark_runs(a.data, a.benchmark, a.protocol)
    dim = video_features(scored[0]).visual.shape[1]
    print(
        f"{a.benchmark} {a.protocol}, {a.steps} steps, timeline {a.timeline}, {len(scored)} videos scored"
    )
    print("seed  float32  bf16     bf16-fp32  rank corr  CPU s fp32  CPU s bf16")
    averages: dict[bool, list[float]] = {False: [], True: []}
    float32_by_seed = []
    for seed in range(a.seeds):
        cfg = BenchmarkRun(a.benchmark, a.protocol, steps=a.steps, timeline=tl).config(
            seed, dim
        )
        scores: dict[bool, dict[str, np.ndarray]] = {False: {}, True: {}}
        cpu = {False: 0.0, True: 0.0}
        for train, test in runs:
            model = pretrain_model(cfg, train, tl)
            for bf16 in (False, True):
                t = time.process_time()
                with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
                    scores[bf16].update(
                        {v.video_id: row_scores(model, v, tl) for v in test}
                    )
                cpu[bf16] += time.process_time() - t
        for bf16 in (False, True):
            averages[bf16].append(evaluate_rows(scored, scores[bf16]).average)
        float32_by_seed.append(scores[False])
        corr = np.mean(
            [rank_correlation(scores[False][v], scores[True][v]) for v in scores[False]]
        )
        fp32, bf16 = averages[False][-1], averages[True][-1]
        print(
            f"{seed:<5} {fp32:.4f}   {bf16:.4f}   {bf16 - fp32:+.4f}    {corr:.4f}     "
            f"{cpu[False]:.2f}        {cpu[True]:.2f}"
        )
    diffs = np.subtract(averages[True], averages[False])
    print(
        f"mean  {np.mean(averages[False]):.4f}   {np.mean(averages[True]):.4f}   {diffs.mean():+.4f}"
    )
    print(
        f"std   {sample_std(averages[False]):.4f}   {sample_std(averages[True]):.4f}   {sample_std(diffs):.4f}"
    )
    pairs = [
        (a, b) for i, a in enumerate(float32_by_seed) for b in float32_by_seed[i + 1 :]
    ]
    if pairs:
        seed_corr = np.mean([rank_correlation(a[v], b[v]) for a, b in pairs for v in a])
        print(f"float32, one seed against another: rank corr {seed_corr:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
