"""The full set of runs behind the book's measured Tables I-IV and Fig. 6, on 2 CPU cores.

Each cell is one ``rasl benchmark`` run (:func:`rasl.paper.benchmark.run_benchmark` of a
:class:`~rasl.paper.benchmark.BenchmarkRun`): a benchmark, a protocol and a variant of
either design, over the seeds (5 for Tables I/II, 3 for the ablations). Its result rows go
to ``OUT/<benchmark>_<protocol>_<variant>.csv`` and its provenance (the equivalent
command, commit, seeds, steps, timeline, wall time) to ``OUT/manifest.json``; a cell whose
CSV exists is skipped, so a killed run resumes where it stopped. The code must be
committed (the manifest names its commit). Score files go to a scratch folder
(``--work``); each cell's per-video scores are packed into
``OUT/scores/<benchmark>_<protocol>_<variant>.npz`` (``rasl evaluate --scores`` turns one
back into the CSV's rows). ``--set baselines`` writes the label-free baselines instead
(``OUT/baselines.csv`` and ``OUT/scores/baselines.npz``, no model).

    python experiments/run_benchmarks.py --out results/benchmarks --set main
    python experiments/run_benchmarks.py --out results/benchmarks --set ablations
    python experiments/run_benchmarks.py --out results/benchmarks --set fig6
    python experiments/run_benchmarks.py --out results/benchmarks --set baselines
    python experiments/run_benchmarks.py --out results/benchmarks --resummarise   # mean/std rows anew
    python experiments/run_benchmarks.py --out results/benchmarks --check youtube_in-domain_full

On 2 cores run two shards side by side, each with one thread (OMP_NUM_THREADS=1):
``--shard 0/2`` and ``--shard 1/2`` (shards count from 0).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import torch

from rasl.config import DESIGNS, default_data_root
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
from rasl.paper.variants import sweep_name, variant_name
from rasl.runtime import configure_cpu

ROOT = Path(__file__).resolve().parents[1]  # the checkout
MAIN = [(b, p, "full") for b in ("youtube", "tvsum") for p in PROTOCOLS]
TABLE3 = ["no_rasl", "no_sa", "no_auxiliary", "audio_only", "visual_only"]
TABLE4 = ["fusion_sum", "fusion_concat", "fusion_mlp", "fusion_lowrank"]
# up to N / 2 on 15-row clips; the timeline's own k with contrast is the full model
FIG6_K = (1, 3, 7)
SEEDS = {"main": 5, "ablations": 3, "fig6": 3}  # Tables I/II: 5 seeds, as issue 23 asks


def cells(
    which: str, steps: int, timeline: Timeline, seeds: int | None = None
) -> list[BenchmarkRun]:
    """The runs of one set for both designs, in the order they are run."""
    sweep = [(k, contrast) for k in FIG6_K for contrast in (True, False)]
    sets = {
        "main": MAIN,
        "ablations": [("youtube", "in-domain", v) for v in TABLE3 + TABLE4],
        "fig6": [
            ("youtube", "in-domain", sweep_name(k, contrast))
            for k, contrast in sweep
            if (k, contrast) != (timeline.k, True)
        ],
    }
    chosen = list(sets) if which == "all" else [which]
    return [
        BenchmarkRun(
            b,
            p,
            variant_name(v, design),
            tuple(range(seeds or SEEDS[s])),
            steps,
            timeline,
        )
        for s in chosen
        for design in DESIGNS
        for b, p, v in sets[s]
    ]


def cell_name(run: BenchmarkRun) -> str:
    return f"{run.benchmark}_{run.protocol}_{run.variant}"


def commit() -> str:
    """The commit the runs are made at; an error unless the code is committed."""
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "rasl", "experiments", "pyproject.toml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    if changed:
        raise SystemExit(
            f"commit the code first: results come from a committed tree\n{changed}"
        )
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()


def record(manifest_path: Path, name: str, entry: dict) -> None:
    """Add one cell's provenance to manifest.json (shards finishing together must not drop
    each other's cells)."""
    with open(manifest_path.with_name(".manifest.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = (
            json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        )
        manifest[name] = entry
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")


def check(out: Path, name: str, data: str, work: Path, seeds: int | None = None) -> int:
    """Rerun committed cell ``name`` as its manifest says and compare it seed by seed
    (its first ``seeds`` seeds only, if given)."""
    entry = json.loads((out / "manifest.json").read_text())[name]
    chosen = entry["seeds"][:seeds] if seeds else entry["seeds"]
    committed = [
        r
        for r in read_results([out / f"{name}.csv"])
        if r["seed"] not in ("mean", "std") and int(r["seed"]) in chosen
    ]
    benchmark, protocol, variant = next(
        (c.benchmark, c.protocol, c.variant)
        for c in cells("all", 1, TIMELINES[entry["timeline"]])
        if cell_name(c) == name
    )
    run = BenchmarkRun(
        benchmark,
        protocol,
        variant,
        tuple(chosen),
        entry["steps"],
        TIMELINES[entry["timeline"]],
    )
    torch.set_num_threads(entry["threads"])  # the same threads: the same arithmetic
    with warnings.catch_warnings():
        # the 28 listed YouTube videos without a feature file
        warnings.simplefilter("ignore")
        rerun = {
            (r["seed"], r["domain"]): r["score"]
            for r in run_benchmark(data, run, work / name, progress=True)
        }
    worst = 0.0
    print(
        f"{name} (committed at {entry['commit']}, rerun at {commit()}): Average per seed"
    )
    for r in committed:
        diff = abs(rerun[(int(r["seed"]), r["domain"])] - r["score"])
        worst = max(worst, diff)
        if r["domain"] == "Average":
            print(
                f"  seed {r['seed']}: committed {r['score']:.6f}  rerun {rerun[(int(r['seed']), 'Average')]:.6f}"
            )
    print(f"largest difference over seeds and domains: {worst:.2e}")
    return 0 if worst < 1e-9 else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--out", required=True, help="folder for the result CSVs and manifest.json"
    )
    p.add_argument(
        "--set",
        default="all",
        choices=["main", "ablations", "fig6", "all", "baselines"],
        help="main: Tables I/II; ablations: Tables III/IV; fig6: the k sweep (default: all "
        "of these, each for both designs); baselines: the label-free baselines",
    )
    p.add_argument("--seeds", type=int, help=f"seeds per cell (default: {SEEDS})")
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
    p.add_argument(
        "--check",
        metavar="CELL",
        help="rerun the committed cell CELL of OUT (e.g. youtube_in-domain_full) with the "
        "manifest's settings and compare it seed by seed (with --seeds N: its first N "
        "seeds only); exit 1 if any value differs",
    )
    a = p.parse_args(argv)
    out = Path(a.out)
    work = Path(a.work or tempfile.mkdtemp(prefix="rasl-benchmarks-"))
    if a.resummarise:
        for path in sorted(set(out.glob("*.csv")) - {out / "baselines.csv"}):
            seeds = [
                r for r in read_results([path]) if r["seed"] not in ("mean", "std")
            ]
            write_results(seeds + summary_rows(seeds), path)
        return 0
    configure_cpu()
    if a.check:
        return check(out, a.check, a.data, work, a.seeds)
    at = commit()
    out.mkdir(parents=True, exist_ok=True)
    if a.set == "baselines":
        start = time.time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the 28 YouTube videos without features
            write_baselines(a.data, out)
        command = "python experiments/run_benchmarks.py --out OUT --set baselines"
        record(
            out / "manifest.json",
            "baselines",
            {
                "command": command,
                "commit": at,
                "wall_s": round(time.time() - start, 1),
                "threads": torch.get_num_threads(),
                "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            },
        )
        return 0
    shard, shards = map(int, a.shard.split("/"))
    for run in cells(a.set, a.steps, TIMELINES[a.timeline], a.seeds)[shard::shards]:
        name = cell_name(run)
        if (out / f"{name}.csv").exists():
            continue
        start = time.time()
        with warnings.catch_warnings():
            # the 28 listed YouTube videos without a feature file
            warnings.simplefilter("ignore")
            rows = run_benchmark(a.data, run, work / name, progress=True)
        pack_scores(work / name, out / "scores" / f"{name}.npz")
        write_results(rows, out / f"{name}.csv")
        record(
            out / "manifest.json",
            name,
            {
                "command": f"{run.command()} --out OUT",
                "commit": at,
                "seeds": list(run.seeds),
                "steps": run.steps,
                "timeline": run.timeline.name,
                "wall_s": round(time.time() - start, 1),
                "threads": torch.get_num_threads(),
                "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
