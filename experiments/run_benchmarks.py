"""The full set of runs behind the book's measured Tables I-IV and Fig. 6, on 2 CPU cores.

Each cell is one ``rasl benchmark`` run (:func:`rasl.paper.benchmark.run_benchmark` of a
:class:`~rasl.paper.benchmark.BenchmarkRun`): a benchmark,
a protocol and a variant, over the seeds. Its result rows go to
``OUT/<benchmark>_<protocol>_<variant>.csv``, its per-video scores packed into
``OUT/scores/<benchmark>_<protocol>_<variant>.npz`` (``rasl evaluate --scores`` turns
one back into the CSV's rows) and its provenance (the equivalent command, commit, seeds,
steps, timeline, wall time) to ``OUT/manifest.json``; a cell whose CSV exists is skipped,
so a killed run resumes where it stopped. Score files go to a scratch folder
(``--work``), not to ``OUT``. ``--set baselines`` writes the label-free baselines instead
(``OUT/baselines.csv`` and ``OUT/scores/baselines.npz``, no model).

    python experiments/run_benchmarks.py --out results/benchmarks --set main
    python experiments/run_benchmarks.py --out results/benchmarks --set ablations
    python experiments/run_benchmarks.py --out results/benchmarks --set fig6
    python experiments/run_benchmarks.py --out results/benchmarks --set baselines
    python experiments/run_benchmarks.py --out results/benchmarks --resummarise   # mean/std rows anew

On 2 cores run two shards side by side, each with one thread (OMP_NUM_THREADS=1):
``--shard 0/2`` and ``--shard 1/2`` (shards count from 0).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import subprocess
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import torch

from rasl.config import default_data_root
from rasl.paper.benchmark import (
    PROTOCOLS,
    TIMELINES,
    BenchmarkRun,
    Timeline,
    pack_scores,
    read_results,
    run_benchmark,
    summary_rows,
    write_results,
)
from rasl.paper.tables import write_baselines
from rasl.paper.variants import sweep_variant
from rasl.runtime import configure_cpu

MAIN = [(b, p, "full") for b in ("youtube", "tvsum") for p in PROTOCOLS]
TABLE3 = ["no_rasl", "no_sa", "no_auxiliary", "audio_only", "visual_only"]
TABLE4 = ["fusion_sum", "fusion_concat", "fusion_mlp", "fusion_lowrank"]
FIG6_K = (
    1,
    3,
    7,
)  # up to N / 2 on 15-row clips; the timeline's own k with contrast is the full model


def cells(which: str, seeds: int, steps: int, timeline: Timeline) -> list[BenchmarkRun]:
    """The runs of one set, in the order they are run."""
    sweep = [
        sweep_variant(k, contrast, timeline.k)
        for k in FIG6_K
        for contrast in (True, False)
    ]
    chosen = {
        "main": MAIN,
        "ablations": [("youtube", "in-domain", v) for v in TABLE3 + TABLE4],
        "fig6": [("youtube", "in-domain", v) for v in sweep if v != "full"],
    }
    chosen["all"] = chosen["main"] + chosen["ablations"] + chosen["fig6"]
    return [
        BenchmarkRun(b, p, v, tuple(range(seeds)), steps, timeline)
        for b, p, v in chosen[which]
    ]


def wall_s(start: float) -> float:
    return round(time.time() - start, 1)


def commit() -> str:
    out = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    return out.stdout.strip() or "unknown"


def record(out: Path, name: str, command: str, **fields) -> None:
    """Add a cell's command and ``fields``, with the commit and the time it finished, to
    ``out/manifest.json`` under ``name``; shards finishing together must not drop each
    other's cells."""
    manifest_path = out / "manifest.json"
    with open(out / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = (
            json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        )  # other shards' too
        manifest[name] = {
            "command": command,
            "commit": commit(),
            **fields,
            "threads": torch.get_num_threads(),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--out", required=True, help="folder for the result CSVs and manifest.json"
    )
    p.add_argument(
        "--set",
        default="all",
        choices=["main", "ablations", "fig6", "all", "baselines"],
        help="main: Tables I/II; ablations: Tables III/IV; fig6: the k sweep (default: "
        "all of these); baselines: the label-free baselines of Tables I/II",
    )
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--timeline", default="native15", choices=list(TIMELINES))
    p.add_argument("--data", default=default_data_root())
    p.add_argument(
        "--work", help="scratch folder for score files (default: a temporary folder)"
    )
    p.add_argument(
        "--shard",
        default="0/1",
        metavar="I/N",
        help="run every N-th cell from the I-th (counting from 0), so N processes can share the "
        "cores (default 0/1: all)",
    )
    p.add_argument(
        "--resummarise",
        action="store_true",
        help="recompute the mean/std rows of every CSV in OUT from its per-seed rows, and exit",
    )
    a = p.parse_args(argv)
    out = Path(a.out)
    if a.resummarise:
        for path in sorted(set(out.glob("*.csv")) - {out / "baselines.csv"}):
            seeds = [
                r for r in read_results([path]) if r["seed"] not in ("mean", "std")
            ]
            write_results(seeds + summary_rows(seeds), path)
        return
    configure_cpu()
    out.mkdir(parents=True, exist_ok=True)
    if a.set == "baselines":
        start = time.time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the 28 YouTube videos without features
            write_baselines(a.data, out)
        command = "python experiments/run_benchmarks.py --out OUT --set baselines"
        record(out, "baselines", command, wall_s=wall_s(start))
        return
    work = Path(a.work or tempfile.mkdtemp(prefix="rasl-benchmarks-"))
    shard, shards = map(int, a.shard.split("/"))
    for run in cells(a.set, a.seeds, a.steps, TIMELINES[a.timeline])[shard::shards]:
        name = f"{run.benchmark}_{run.protocol}_{run.variant}"
        if (out / f"{name}.csv").exists():
            continue
        start = time.time()
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # the 28 listed YouTube videos without a feature file
            rows = run_benchmark(a.data, run, work / name, progress=True)
        pack_scores(work / name, out / "scores" / f"{name}.npz")
        write_results(rows, out / f"{name}.csv")
        record(
            out,
            name,
            f"{run.command()} --out OUT",
            seeds=list(run.seeds),
            steps=run.steps,
            timeline=run.timeline.name,
            wall_s=wall_s(start),
        )


if __name__ == "__main__":
    main()
