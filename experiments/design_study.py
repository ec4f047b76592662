"""The two designs of the model measured side by side (issue 23), in one command.

Each run pretrains one design on the YouTube Highlights train split (UMT's lists, no
label read), 15-row clips, k = 1, batch 8, RMSprop 1e-3, and reports:

* every loss term over the last 50 steps, L_s at steps 50/100/300 and its chance level
  (the loss of equal logits over the candidates Eq. (9) compares), so whether the
  audio-visual pairing is learned;
* the orientation found without labels (``rasl.train.orient``) and the mAP of the
  oriented scores on the train split (where choices are made) and on the val split
  (reported only), and the mAP of the rows' error of reconstruction from context (Fig. 1's
  argument as a score, ``rasl.paper.analysis.context_scores``);
* per domain, the mean rank correlation on val of the scores with the rgb norm, the flow
  norm and Fig. 1's distinctiveness (``rasl.paper.analysis.score_correlations``).

The runs: both designs on each visual stream (rgb, flow, rgb+flow: item 3), and on the
first 25 % and 50 % of the train videos (rgb: item 4), seeds 0-2. ``--balance`` runs the
balance study instead (item 1): the repaired design, rgb, with L_s weighted 4 and 16 times
in Eq. (11) (``ModelConfig.scl_weight``; the main study weighs it 1), and with RMSprop's
learning rate at 1e-4 and 3e-4 instead of the paper's 1e-3. ``--pairing`` runs both
designs, rgb, with Eq. (9) on a per-modality linear map of the input rows that also feeds
the self-attention, a full one and a low-rank one (``ModelConfig.scl_on``
``"input"`` and ``"input_lowrank"``, ``rasl.model.InputMap``; item 1). Rows go to ``--out``
(one CSV line per run, appended as each finishes, so a killed study resumes);
``--shard I/N`` runs every N-th run from the I-th, for N processes of one thread.

    python experiments/design_study.py --out results/fidelity/design_study.csv
    python experiments/design_study.py --summarise results/fidelity/design_study.csv
    python experiments/design_study.py --balance --out results/fidelity/loss_balance.csv
    python experiments/design_study.py --pairing --out results/fidelity/pairing.csv
    python experiments/design_study.py --baselines results/fidelity/design_study_baselines.csv

``--baselines`` writes the label-free baselines' mAP on the same two splits.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import time
from pathlib import Path

import numpy as np
import torch

from rasl.clips import clip_set
from rasl.config import DESIGNS, SCL_ON, default_data_root
from rasl.data import YOUTUBE_DOMAINS
from rasl.losses import identical_steps
from rasl.paper.analysis import (
    SIGNALS,
    STUDY_DEFAULTS,
    context_scores,
    read_study,
    score_correlations,
    summarise_study,
)
from rasl.paper.baselines import BASELINES, baseline_result, random_baseline
from rasl.paper.benchmark import (
    TIMELINES,
    benchmark_config,
    evaluate_rows,
    pretrain_model,
    row_scores,
    video_features,
    youtube_splits,
)
from rasl.runtime import configure_cpu

STREAMS = ("rgb", "flow", "rgb+flow")
FRACTIONS = (0.25, 0.5, 1.0)
SCL_WEIGHTS = (4.0, 16.0)  # the balance study's weights of L_s in Eq. (11)
LRS = (1e-4, 3e-4)  # and its learning rates (the paper's: 1e-3)
TIMELINE = TIMELINES["native15"]


def runs(seeds: list[int], study: str = "main") -> list[tuple]:
    """(design, visual stream, share of the train videos, weight of L_s, learning rate,
    what Eq. (9) compares, seed) of every run of the main, balance or pairing study, in
    order."""
    w, lr, on = (STUDY_DEFAULTS[k] for k in ("scl_weight", "lr", "scl_on"))
    if study == "balance":
        configs = [("repaired", "rgb", 1.0, weight, lr, on) for weight in SCL_WEIGHTS]
        configs += [("repaired", "rgb", 1.0, w, rate, on) for rate in LRS]
    elif study == "pairing":
        configs = [(d, "rgb", 1.0, w, lr, on) for on in SCL_ON[1:] for d in DESIGNS]
    else:
        configs = [(d, v, 1.0, w, lr, on) for v in STREAMS for d in DESIGNS]
        configs += [(d, "rgb", f, w, lr, on) for f in FRACTIONS[:-1] for d in DESIGNS]
    return [(*c, s) for c in configs for s in seeds]


def chance(clips) -> float:
    """L_s of equal logits: the mean over rows of log(candidates), identical steps left out."""
    same = identical_steps(clips.fvs)  # (C, N, N)
    n = same.shape[-1]
    return float(torch.log(n - same.sum(-1).float() + 1).mean())


def run(design, visual, share, scl_weight, lr, scl_on, seed, steps, videos) -> dict:
    train = videos["train"][: max(1, round(share * len(videos["train"])))]
    cfg = benchmark_config(
        TIMELINE,
        steps=steps,
        seed=seed,
        design=design,
        scl_weight=scl_weight,
        scl_on=scl_on,
    ).replace(train={"lr": lr})
    if visual == "rgb+flow":
        cfg = cfg.replace(model={"dim": 2048})
    log: list[dict] = []
    start = time.time()
    model = pretrain_model(
        cfg, train, TIMELINE, visual, lambda s, rec, m: log.append(rec)
    )
    row = {"design": design, "visual": visual, "share": share, "videos": len(train)}
    row.update(scl_weight=scl_weight, lr=lr, scl_on=scl_on)
    row.update(seed=seed, steps=steps, train_s=round(time.time() - start, 1))
    tail = log[-50:]
    row.update({k: float(np.mean([r[k] for r in tail])) for k in tail[0]})
    if "L_s" in tail[0]:
        clips = clip_set(
            {v.video_id: video_features(v, visual) for v in train},
            cfg.model.modalities,
            cfg.model.clip_steps,
        )
        row["L_s_chance"] = chance(clips)
        row.update(
            {f"L_s@{s}": log[s - 1]["L_s"] for s in (1, 50, 100, 300) if s <= steps}
        )
    row["sign"] = float(model.score_sign)
    for split in ("train", "val"):
        vs = videos[split]
        scores = {v.video_id: row_scores(model, v, TIMELINE, visual) for v in vs}
        row[f"mAP_{split}"] = evaluate_rows(vs, scores).average
        context = {v.video_id: context_scores(model, v, TIMELINE, visual) for v in vs}
        row[f"mAP_context_{split}"] = evaluate_rows(vs, context).average
    corr = score_correlations(model, videos["val"], TIMELINE, visual)
    for signal in SIGNALS:
        for domain in (*YOUTUBE_DOMAINS, "all"):
            values = [
                c[signal]
                for v, c in zip(videos["val"], corr.values())
                if domain in ("all", v.category)
            ]
            row[f"corr {signal} {domain}"] = float(np.mean(values))
    row["wall_s"] = round(time.time() - start, 1)
    return row


def append(path: Path, row: dict) -> None:
    """One run's row, appended under a lock (shards finish side by side)."""
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows = read(path) + [row]
        columns = list(dict.fromkeys(k for r in rows for k in r))
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def read(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


KEYS = ("design", "visual", "share", "scl_weight", "lr", "scl_on", "seed")


def key(row: dict) -> tuple:
    """A run's settings, from a run's config or a row of ``read_study``."""
    return (
        row["design"],
        row["visual"],
        float(row["share"]),
        float(row["scl_weight"]),
        float(row["lr"]),
        row["scl_on"],
        int(row["seed"]),
    )


def summarise(path: Path) -> str:
    """Mean +- std (ddof 1) over seeds of the key columns, per (design, stream, share)."""
    columns = [
        "L_s",
        "L_s_chance",
        "L_r/visual",
        "mAP_train",
        "mAP_val",
        "mAP_context_train",
        "mAP_context_val",
        "corr norm (rgb) all",
        "corr norm (flow) all",
        "corr distinctiveness (rgb) all",
        "train_s",
    ]
    by = ("design", "visual", "share", "scl_weight", "lr", "scl_on")
    lines = [
        "| " + " | ".join([*by, "seeds", *columns]) + " |",
        "|" + "---|" * (len(by) + 1 + len(columns)),
    ]
    for row in summarise_study(read_study(path), by, columns):
        cells = [
            "-" if row[c] is None else f"{row[c]:.3f} ± {row[f'{c} std'] or 0:.3f}"
            for c in columns
        ]
        lines.append(
            "| "
            + " | ".join(str(x) for x in [*(row[b] for b in by), row["seeds"], *cells])
            + " |"
        )
    return "\n".join(lines)


def baselines(videos: dict, path: Path) -> None:
    """The label-free baselines' mAP on the train and val splits, as ``method,split,mAP``."""
    rows = [
        {"method": name, "split": split, "mAP": baseline_result(name, vs).average}
        for split, vs in videos.items()
        for name in BASELINES
    ]
    rows += [
        {"method": "random", "split": split, "mAP": random_baseline(vs)[-1]["expected"]}
        for split, vs in videos.items()
    ]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(
            f, fieldnames=["method", "split", "mAP"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--out", type=Path, default=Path("results/fidelity/design_study.csv")
    )
    p.add_argument(
        "--summarise", action="store_true", help="print the table of --out and exit"
    )
    p.add_argument(
        "--baselines",
        type=Path,
        metavar="CSV",
        help="write the baselines' mAP and exit",
    )
    study = p.add_mutually_exclusive_group()
    study.add_argument(
        "--balance",
        action="store_true",
        help="run the balance study (L_s's weight in Eq. (11), the learning rate) instead",
    )
    study.add_argument(
        "--pairing",
        action="store_true",
        help="run the pairing study (Eq. (9) on a map of the input rows) instead",
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--shard", default="0/1", metavar="I/N")
    p.add_argument("--data", default=default_data_root())
    a = p.parse_args(argv)
    if a.summarise:
        print(summarise(a.out))
        return
    configure_cpu()
    torch.set_num_threads(1)
    videos = youtube_splits(a.data)
    if a.baselines:
        baselines(videos, a.baselines)
        return
    done = {key(r) for r in read_study(a.out)} if a.out.is_file() else set()
    shard, shards = map(int, a.shard.split("/"))
    kind = "balance" if a.balance else "pairing" if a.pairing else "main"
    for config in runs(a.seeds, kind)[shard::shards]:
        if key(dict(zip(KEYS, config))) not in done:
            append(a.out, run(*config, a.steps, videos))
            print(*config, "done", flush=True)


if __name__ == "__main__":
    main()
