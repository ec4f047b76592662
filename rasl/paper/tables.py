"""The measured tables beside the paper's: Tables I-IV, Fig. 6 and the book's summary.

Measured results are rows of ``results.csv`` files (:data:`rasl.paper.benchmark.RESULT_COLUMNS`);
the paper's own numbers are :mod:`rasl.paper.published`. An evaluation of saved score
curves (``rasl evaluate``) is shown as its table beside the paper's "Ours" column.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from rasl.data import BENCHMARKS, FeatureVideo, find_benchmark, load_feature_benchmark
from rasl.evaluate import Result
from rasl.files import atomic_path
from rasl.paper import published
from rasl.paper.baselines import (
    BASELINES,
    baseline_result,
    human_agreement,
    random_baseline,
)
from rasl.paper.benchmark import (
    PROTOCOLS,
    TIMELINES,
    BenchmarkRun,
    Timeline,
    scored_videos,
)
from rasl.paper.variants import variant

PAPER_TABLES = {
    "youtube": "table1_youtube",
    "tvsum": "table2_tvsum",
}  # the paper's table of each benchmark


def baseline_columns(videos: list[FeatureVideo]) -> dict[str, dict[str, float]]:
    """Label-free baselines on the scored videos, column name -> {topic: mAP}; random is the
    exact expectation (YouTube Highlights) or the mean over 100 seeds (TVSum), which also
    gets the annotators' agreement with each other."""
    columns = {
        "random": {
            r["topic"]: r.get("expected", r["mAP"])
            for r in random_baseline(videos, n_seeds=100)
        }
    }
    for name in BASELINES:
        result = baseline_result(name, videos)
        columns[name] = {**result.per_category, "Average": result.average}
    if videos[0].benchmark == "tvsum":
        columns["human agreement"] = {
            r["topic"]: r["mAP"] for r in human_agreement(videos, n_seeds=5)
        }
    return columns


def measured_columns(
    rows: list[dict], benchmark: str, variant: str = "full"
) -> dict[str, dict[str, float]]:
    """``<protocol>`` and ``<protocol> std`` columns, {topic: value}, from result rows."""
    columns: dict[str, dict[str, float]] = {}
    for r in rows:
        if (
            r["benchmark"] == benchmark
            and r["variant"] == variant
            and r["seed"] in ("mean", "std")
        ):
            name = r["protocol"] + (" std" if r["seed"] == "std" else "")
            columns.setdefault(name, {})[r["domain"]] = r["score"]
    return columns


def benchmark_table(
    data_root: str | Path, benchmark: str, rows: list[dict]
) -> dict[str, dict[str, float]]:
    """Table I (``youtube``) or II (``tvsum``) as measured: column -> {topic: value}, topics in
    the paper's order with ``Average`` last. Columns: the number of scored videos, each
    protocol's mean and std over seeds (``rows`` from ``read_results``), the label-free
    baselines, the paper's "Ours" and UMT's supervised mAP on the same features."""
    videos = scored_videos(load_feature_benchmark(data_root, benchmark).videos)
    topics = [*find_benchmark(benchmark).categories, "Average"]
    columns = {
        "videos": {**Counter(v.category for v in videos), "Average": len(videos)},
        **measured_columns(rows, benchmark),
        **baseline_columns(videos),
        "paper: Ours": {
            r["topic"]: r["Ours"] for r in published.load(PAPER_TABLES[benchmark])
        },
        "UMT (supervised)": {
            r["topic"]: r["UMT"]
            for r in published.load("umt_supervised")
            if r["benchmark"] == benchmark
        },
    }
    return {
        name: {t: column.get(t) for t in topics} for name, column in columns.items()
    }


def ablation_table(
    rows: list[dict], timeline: Timeline = TIMELINES["native15"]
) -> dict[str, dict]:
    """Tables III/IV and Fig. 6 as measured: one row per variant (its Table label as index)
    with the mean and std over seeds of the Average, and for the full model and the Fig. 6
    variants their k and whether k-point contrast is on (as the run's configuration has them)."""
    table: dict[str, dict] = {}
    for r in rows:
        if r["domain"] == "Average" and r["seed"] in ("mean", "std"):
            model = (
                BenchmarkRun(
                    r["benchmark"], r["protocol"], r["variant"], timeline=timeline
                )
                .config(0, 1024)
                .model
            )
            ablation = variant(r["variant"]).ablation
            sweep = ablation == "full" or ablation.startswith("k")
            row = table.setdefault(
                variant(r["variant"]).label,
                {
                    "variant": r["variant"],
                    "k": model.k if sweep else None,
                    "k-point contrast": model.k_point_contrastive if sweep else None,
                },
            )
            row[r["seed"]] = r["score"]
    return {
        label: table[label] for label in sorted(table, key=lambda t: (t != "Ours", t))
    }


HEADLINE = (
    "paper",
    *PROTOCOLS,
    "random",
    "norm (rgb)",
    "norm (flow)",
    "UMT (supervised)",
)


def headline(data_root: str | Path, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The book's summary of Tables I and II: the Average over categories of each method.

    Returns ``(table, points)``. ``table``: one row per (benchmark, method of ``HEADLINE``)
    with ``mAP``, ``std`` over seeds (None for single numbers) and the number of scored
    ``videos``: the paper's "Ours", our three protocols (``rows`` from ``read_results``), the
    label-free baselines random and feature norm, UMT supervised on the same features.
    ``points``: the same methods as (benchmark, method, score) with one point per seed for
    the protocols, the values a figure draws its error bars from.
    """
    table, points = [], []
    for benchmark, name in ((b.name, b.title) for b in BENCHMARKS.values()):
        columns = {
            k.replace("paper: Ours", "paper"): v["Average"]
            for k, v in benchmark_table(data_root, benchmark, rows).items()
        }
        for method in HEADLINE:
            if columns.get(method) is None:
                continue
            table.append(
                {
                    "benchmark": name,
                    "method": method,
                    "mAP": columns[method],
                    "std": columns.get(f"{method} std"),
                    "videos": columns["videos"],
                }
            )
            seeds = [
                r["score"]
                for r in rows
                if r["benchmark"] == benchmark
                and r["protocol"] == method
                and r["variant"] == "full"
                and r["domain"] == "Average"
                and r["seed"] not in ("mean", "std")
            ]
            points += [
                {"benchmark": name, "method": method, "score": x}
                for x in seeds or [columns[method]]
            ]
    return table, points


def evaluation_rows(result: Result) -> list[dict]:
    """Table rows: topic, videos in the split, videos scored, our mAP, the paper's "Ours" column."""
    paper = {
        r["topic"]: r["Ours"] for r in published.load(PAPER_TABLES[result.benchmark])
    }
    rows = [
        {
            "topic": c,
            "videos": n,
            "scored": result.n_scored[c],
            "mAP": result.per_category.get(c),
            "paper": paper.get(c),
        }
        for c, n in result.n_videos.items()
    ]
    rows.append(
        {
            "topic": "Average",
            "videos": sum(result.n_videos.values()),
            "scored": len(result.per_video),
            "mAP": result.average,
            "paper": paper.get("Average"),
        }
    )
    return rows


def _cell(value) -> str:
    return (
        "-"
        if value is None or value != value
        else f"{value:.3f}"
        if isinstance(value, float)
        else str(value)
    )


def to_markdown(result: Result) -> str:
    """The table as Markdown, followed by the list of videos that were not scored."""
    rows = evaluation_rows(result)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(_cell(v) for v in row.values()) + " |" for row in rows]
    metric = "mAP" if result.benchmark == "youtube" else "top-5 mAP"
    lines.insert(
        0,
        f"{metric} on {find_benchmark(result.benchmark).annotations} ({len(result.per_video)} videos scored); "
        "paper: the paper's 'Ours' column\n",
    )
    if result.unscored:
        lines.append(f"\nNot scored ({len(result.unscored)}):\n")
        lines += [f"- {vid}: {why}" for vid, why in sorted(result.unscored.items())]
    return "\n".join(lines) + "\n"


def write_result(result: Result, out: str | Path) -> tuple[Path, Path]:
    """Write the table to ``out`` as CSV (suffix .csv) and beside it as Markdown (.md)."""
    csv_path, md_path = Path(out).with_suffix(".csv"), Path(out).with_suffix(".md")
    rows = evaluation_rows(result)
    with atomic_path(csv_path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {k: "" if v is None or v != v else v for k, v in row.items()}
            for row in rows
        )
    with atomic_path(md_path) as tmp:
        tmp.write_text(to_markdown(result))
    return csv_path, md_path
