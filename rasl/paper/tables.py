"""The measured tables beside the paper's: Tables I-IV, Fig. 6 and the book's summary.

Every table here is made from committed files alone, no data root: measured results are
rows of ``results.csv`` files (:data:`rasl.paper.benchmark.RESULT_COLUMNS`), the
label-free baselines rows of ``baselines.csv`` (:func:`write_baselines`, the one function
here that reads the features), the paper's own numbers :mod:`rasl.paper.published`. An
evaluation of saved score curves (``rasl evaluate``) is shown as its table beside the
paper's "Ours" column.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np

from rasl.config import DESIGNS
from rasl.data import BENCHMARKS, find_benchmark, load_feature_benchmark
from rasl.evaluate import Result
from rasl.files import InputError, atomic_path, write_rows
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
    read_archive,
    scored_videos,
    write_archive,
)
from rasl.paper.variants import variant, variant_name

PAPER_TABLES = {
    "youtube": "table1_youtube",
    "tvsum": "table2_tvsum",
}  # the paper's table of each benchmark


BASELINE_COLUMNS = ["benchmark", "method", "domain", "score", "std"]
CURVE_BASELINES = ("norm (rgb)",)  # per-video curves kept in scores/baselines.npz


def baseline_rows(data_root: str | Path) -> list[dict]:
    """The label-free baselines of Tables I and II on the videos each benchmark is scored on
    (``scored_videos``), from ``umt/`` under the data root: rows of ``BASELINE_COLUMNS``,
    one per (benchmark, method, topic), ``Average`` last. Methods: ``videos`` (how many are
    scored), ``random`` (YouTube Highlights: the exact expectation; TVSum: the mean and
    std of 100 seeds), every entry of ``BASELINES``, and TVSum's ``human agreement``
    (mean and std over 5 draws of the annotators' tie breaks). ``std`` is None where the
    value is a single number."""
    rows = []
    for benchmark in BENCHMARKS:
        videos = scored_videos(load_feature_benchmark(data_root, benchmark).videos)
        topics = [*find_benchmark(benchmark).categories, "Average"]
        count = Counter(v.category for v in videos)
        count["Average"] = len(videos)
        methods = {"videos": {t: (count[t], None) for t in topics}}
        methods["random"] = {
            r["topic"]: (r["expected"], None)
            if "expected" in r
            else (r["mAP"], r["std"])
            for r in random_baseline(videos, n_seeds=100)
        }
        for name in BASELINES:
            result = baseline_result(name, videos)
            values = {**result.per_category, "Average": result.average}
            methods[name] = {t: (values[t], None) for t in topics}
        if benchmark == "tvsum":
            methods["human agreement"] = {
                r["topic"]: (r["mAP"], r["std"])
                for r in human_agreement(videos, n_seeds=5)
            }
        rows += [
            dict(zip(BASELINE_COLUMNS, (benchmark, method, topic, *values[topic])))
            for method, values in methods.items()
            for topic in topics
        ]
    return rows


def write_baselines(data_root: str | Path, out_dir: str | Path) -> tuple[Path, Path]:
    """``out_dir/baselines.csv`` (:func:`baseline_rows`) and the per-video row scores of
    ``CURVE_BASELINES`` on every scored video, ``out_dir/scores/baselines.npz`` (keyed
    ``<baseline>/<video_id>``; its meta maps each video id to its benchmark and
    category); returns both paths. Label-free and deterministic: no model, fixed seeds."""
    csv_path = Path(out_dir) / "baselines.csv"
    write_rows(baseline_rows(data_root), csv_path, BASELINE_COLUMNS)
    videos = [
        v
        for benchmark in BENCHMARKS
        for v in scored_videos(load_feature_benchmark(data_root, benchmark).videos)
    ]
    curves = {
        f"{name}/{v.video_id}": BASELINES[name](v).astype(np.float32)
        for name in CURVE_BASELINES
        for v in videos
    }
    meta = {"videos": {v.video_id: [v.benchmark, v.category] for v in videos}}
    npz_path = write_archive(curves, Path(out_dir) / "scores" / "baselines.npz", meta)
    return csv_path, npz_path


def _number(text: str) -> int | float | None:
    return None if text == "" else int(text) if text.isdigit() else float(text)


def read_baselines(path: str | Path) -> list[dict]:
    """Rows of ``baselines.csv`` (:func:`write_baselines`): counts as int, scores as float,
    an empty std as None."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        return [
            {**r, "score": _number(r["score"]), "std": _number(r["std"])} for r in rows
        ]
    except OSError as e:
        raise InputError(path, f"cannot read ({e.strerror or e})") from None
    except (KeyError, ValueError):
        raise InputError(
            path, f"expected a CSV with columns {','.join(BASELINE_COLUMNS)}"
        ) from None


def baseline_columns(
    baselines: list[dict], benchmark: str
) -> dict[str, dict[str, float]]:
    """A benchmark's rows of ``read_baselines`` as columns, {topic: value}: each method, and
    ``<method> std`` where the method has a spread."""
    columns: dict[str, dict[str, float]] = {}
    for r in baselines:
        if r["benchmark"] == benchmark:
            columns.setdefault(r["method"], {})[r["domain"]] = r["score"]
            if r["std"] is not None:
                columns.setdefault(f"{r['method']} std", {})[r["domain"]] = r["std"]
    return columns


# the variant of each design's full model -> the design, as the book names it
DESIGN_OF = {variant_name("full", d): d for d in DESIGNS}


def measured_name(protocol: str, variant: str, variants: tuple[str, ...]) -> str:
    """A measured column's name: the protocol, with the design (``printed``, ``repaired``;
    another variant: its name) in brackets when a table shows more than one."""
    shown = DESIGN_OF.get(variant, variant)
    return protocol if len(variants) == 1 else f"{protocol} ({shown})"


def designs_measured(results_dir: str | Path, benchmark: str = "*") -> tuple[str, ...]:
    """The full-model variants (``full``, ``repaired``) that have committed result files
    in ``results_dir``, in :data:`rasl.config.DESIGNS`' order."""
    return tuple(
        v for v in DESIGN_OF if any(Path(results_dir).glob(f"{benchmark}_*_{v}.csv"))
    )


def measured_columns(
    rows: list[dict], benchmark: str, variants: tuple[str, ...] = ("full",)
) -> dict[str, dict[str, float]]:
    """``<protocol>`` and ``<protocol> std`` columns (:func:`measured_name`), {topic: value},
    from result rows, for each of ``variants`` in that order, protocols in ``PROTOCOLS``'
    order."""
    columns: dict[str, dict[str, float]] = {}
    for shown in variants:
        for protocol in PROTOCOLS:
            name = measured_name(protocol, shown, variants)
            for r in rows:
                key = (r["benchmark"], r["protocol"], r["variant"])
                if key == (benchmark, protocol, shown) and r["seed"] in ("mean", "std"):
                    column = name + (" std" if r["seed"] == "std" else "")
                    columns.setdefault(column, {})[r["domain"]] = r["score"]
    return columns


def benchmark_table(
    benchmark: str,
    rows: list[dict],
    baselines: list[dict],
    variants: tuple[str, ...] = ("full",),
) -> dict[str, dict[str, float]]:
    """Table I (``youtube``) or II (``tvsum``) as measured, from files alone: column ->
    {topic: value}, topics in the paper's order with ``Average`` last. Columns: the number
    of scored videos, each protocol's mean and std over seeds for each of ``variants``
    (``rows`` from ``read_results``), the label-free baselines (``baselines`` from
    ``read_baselines``), the paper's "Ours" and UMT's supervised mAP on the same features."""
    topics = [*find_benchmark(benchmark).categories, "Average"]
    fixed = baseline_columns(baselines, benchmark)
    columns = {
        "videos": fixed.pop("videos", {}),
        **measured_columns(rows, benchmark, variants),
        **fixed,
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


def with_spread(columns: dict[str, dict], digits: int = 3) -> dict[str, dict[str, str]]:
    """Columns as a page shows them: each ``<name> std`` column merged into ``<name>`` as
    "mean ± std" (a no-break space after ±, so a narrow cell wraps before it), other
    scores to ``digits`` decimals, counts (int) as they are and a missing value as "–"."""

    def cell(value, spread) -> str:
        if value is None:
            return "–"
        if isinstance(value, int):
            return str(value)
        return f"{value:.{digits}f}" + (
            "" if spread is None else f" ±\u00a0{spread:.{digits}f}"
        )

    return {
        name: {
            t: cell(v, columns.get(f"{name} std", {}).get(t)) for t, v in col.items()
        }
        for name, col in columns.items()
        if not name.endswith(" std")
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


# the printed design's variants of Tables III and IV
TABLE3 = ("no_rasl", "no_sa", "no_auxiliary", "audio_only", "visual_only")
TABLE4 = ("fusion_sum", "fusion_concat", "fusion_mlp", "fusion_lowrank")
# printed-design variant -> (the paper's table, its row) for Tables III and IV
PAPER_ROWS = {
    "no_rasl": ("table3_ablation", "Ours w/o RASL"),
    "no_sa": ("table3_ablation", "Ours w/o SA"),
    "no_auxiliary": ("table3_ablation", "Ours w/o auxiliary"),
    "audio_only": ("table3_ablation", "Ours w/o vision"),
    "visual_only": ("table3_ablation", "Ours w/o audio"),
    "fusion_sum": ("table4_fusion", "Summation"),
    "fusion_concat": ("table4_fusion", "Concatenation"),
    "fusion_mlp": ("table4_fusion", "Submodule MLP [10]"),
    "fusion_lowrank": ("table4_fusion", "low-rank fusion [9]"),
    "full": ("table3_ablation", "Ours"),
}


def ablation_comparison(rows: list[dict], names: tuple[str, ...]) -> list[dict]:
    """Tables III/IV measured beside the paper's: per printed-design variant of ``names``
    (:data:`PAPER_ROWS`), its label as the paper's table names it, the paper's YouTube
    Highlights mAP, and for each design with committed results (``rows`` of
    ``read_results``, the YouTube Highlights in-domain cells) the mean ± std over seeds of
    the Average, "–" where that variant has none."""
    found = {
        (r["variant"], r["seed"]): r["score"]
        for r in rows
        if (r["benchmark"], r["protocol"], r["domain"])
        == ("youtube", "in-domain", "Average")
    }
    designs = [
        d for d in DESIGNS if any((variant_name(n, d), "mean") in found for n in names)
    ]
    out = []
    for name in names:
        table, paper_row = PAPER_ROWS[name]
        paper = {r["method"]: r["youtube_highlights"] for r in published.load(table)}
        row = {
            "method": variant(name).label.split(": ", 1)[-1],
            "paper": f"{paper[paper_row]:.3f}",
        }
        for design in designs:
            v = variant_name(name, design)
            mean, std = found.get((v, "mean")), found.get((v, "std"))
            row[design] = (
                "–"
                if mean is None
                else f"{mean:.3f}" + ("" if std is None else f" ± {std:.3f}")
            )
        out.append(row)
    return out


HEADLINE_BASELINES = ("random", "norm (rgb)", "norm (flow)")


def headline(
    rows: list[dict], baselines: list[dict], variants: tuple[str, ...] = ("full",)
) -> tuple[list[dict], list[dict]]:
    """The book's summary of Tables I and II: the Average over categories of each method.

    Returns ``(table, points)``. ``table``: one row per (benchmark, method) with ``mAP``,
    ``std`` over seeds (None for single numbers) and the number of scored ``videos``: the
    paper's "Ours", the three protocols of each of ``variants`` (``rows`` from
    ``read_results``; named by :func:`measured_name`), the label-free baselines of
    ``HEADLINE_BASELINES`` (``baselines`` from ``read_baselines``), UMT supervised on the
    same features. ``points``: the same methods as (benchmark, method, score) with one
    point per seed for the protocols, the values a figure draws its error bars from.
    """
    table, points = [], []
    for benchmark, name in ((b.name, b.title) for b in BENCHMARKS.values()):
        columns = {
            k.replace("paper: Ours", "paper"): v["Average"]
            for k, v in benchmark_table(benchmark, rows, baselines, variants).items()
        }
        measured = {
            measured_name(p, v, variants): (p, v) for v in variants for p in PROTOCOLS
        }
        for method in ("paper", *measured, *HEADLINE_BASELINES, "UMT (supervised)"):
            if columns.get(method) is None:
                continue
            table.append(
                {
                    "benchmark": name,
                    "method": method,
                    "mAP": columns[method],
                    "std": columns.get(f"{method} std") if method in measured else None,
                    "videos": columns["videos"],
                }
            )
            seeds = [
                r["score"]
                for r in rows
                if (r["protocol"], r["variant"]) == measured.get(method)
                and r["benchmark"] == benchmark
                and r["domain"] == "Average"
                and r["seed"] not in ("mean", "std")
            ]
            points += [
                {"benchmark": name, "method": method, "score": x}
                for x in seeds or [columns[method]]
            ]
    return table, points


def example_curves(
    scores_dir: str | Path,
    benchmark: str = "youtube",
    variants: tuple[str, ...] = ("full",),
    seed: int = 0,
) -> dict[str, dict]:
    """Committed row scores of one video per category, for the book's explorer, from
    ``scores_dir`` (``results/benchmarks/scores``) alone.

    The video of a category is its first scored video by id, as ``baselines.npz`` lists
    them. For each of ``variants`` that has archives (``<benchmark>_<protocol>_<variant>
    .npz``): the scores of ``seed`` under each protocol archived, beside the baselines of
    ``baselines.npz``. Returns {video_id: {"category": c, "designs": {variant: {protocol
    or baseline: (n,) scores}}}} in category order; a variant without archives is left
    out, and no ``baselines.npz`` gives {}.
    """
    scores_dir = Path(scores_dir)
    if not (scores_dir / "baselines.npz").is_file():
        return {}
    meta, baselines = read_archive(scores_dir / "baselines.npz")
    first: dict[str, str] = {}
    for vid, (b, category) in sorted(meta["videos"].items()):
        if b == benchmark:
            first.setdefault(category, vid)
    chosen = {first[c]: c for c in find_benchmark(benchmark).categories if c in first}
    designs: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    for shown in variants:
        for protocol in PROTOCOLS:
            archive = scores_dir / f"{benchmark}_{protocol}_{shown}.npz"
            if archive.is_file():
                scores = read_archive(archive)[1][str(seed)]
                designs.setdefault(shown, {})[protocol] = scores
    return {
        vid: {
            "category": category,
            "designs": {
                shown: {
                    **{p: by_video[vid] for p, by_video in protocols.items()},
                    **{name: by_video[vid] for name, by_video in baselines.items()},
                }
                for shown, protocols in designs.items()
            },
        }
        for vid, category in chosen.items()
    }


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


def one_header(table):
    """A DataFrame as a page shows it: no header row of index names under the column
    headings. The index's name moves into the header row; of a multi-level index, the
    levels after the first become columns. Where the columns have several levels, their
    level names head the index column."""
    if table.index.nlevels > 1:
        table = table.reset_index(level=list(range(1, table.index.nlevels)))
    if table.columns.nlevels > 1:
        return table.rename_axis(index=None)
    return table.rename_axis(index=None, columns=table.index.name)
