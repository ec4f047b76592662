"""Tables I-III on the benchmarks' published features: timelines, protocols, baselines.

The UMT feature release (``umt/`` under the data root, read by
:func:`rasl.data.load_feature_benchmark`) gives one I3D/PANN row per label clip, about 2 s
apart, where the paper samples a feature vector every 0.2 s. A :class:`Timeline` says how
the model consumes the rows: how many rows make a clip, how often each row is repeated
on the model's time axis, and the k of Eq. (6)-(8). Scores come back one per row, so
they are evaluated against the labels exactly as the rows are aligned with them.

Protocols (no label is read for training):

* ``transfer``: pretrain on the other benchmark (all its videos), score this one;
* ``in-domain``: pretrain on this benchmark's unlabelled train videos, score the held-out
  ones (YouTube Highlights: UMT's val split; TVSum: 5 folds, one video per category held
  out per fold);
* ``per-video``: adapt a fresh model on the scored video alone (``rasl score`` without a
  checkpoint), then score it.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from rasl import paper_results
from rasl.baselines import distinctiveness_scores, human_agreement, random_baseline
from rasl.clips import clip_set
from rasl.config import PROTOCOLS, TIMELINES, ModelConfig, RunConfig, Timeline, TrainConfig
from rasl.data import FeatureVideo, load_feature_benchmark
from rasl.evaluate import BENCHMARKS, Result, read_score_table, score_videos
from rasl.experiments import variant as resolve_variant
from rasl.features import Features, write_cache
from rasl.files import InputError, atomic_path
from rasl.highlights import write_rows
from rasl.inference import ADAPT_STEPS, score_curve
from rasl.model import RASLModel
from rasl.train import adapt

TVSUM_FOLDS = 5


def benchmark_config(timeline: Timeline, dim: int = 1024, steps: int = 1000, seed: int = 0, bf16: bool = False,
                     **model) -> RunConfig:
    """The paper's model and optimiser on a timeline, CPU, batch 8 (float32 unless ``bf16``)."""
    return RunConfig(
        name="benchmark",
        model=ModelConfig(dim=dim, clip_steps=timeline.clip_steps, k=timeline.k, **model),
        train=TrainConfig(steps=steps, seed=seed, checkpoint_every=steps, bf16=bf16),
    )


def video_features(video: FeatureVideo, visual: str = "rgb", repeat: int = 1) -> Features:
    """A video's rows as model inputs, each row repeated ``repeat`` times."""
    fvs = {m: np.repeat(x, repeat, axis=0) for m, x in video.features(visual).items()}
    return Features(fvs["visual"], fvs["audio"], duration_s=float("nan"),  # rows carry no times; unread here
                    meta={"video": video.video_id, "visual": visual, "repeat": repeat})


def write_feature_files(videos: Iterable[FeatureVideo], out_dir: str | Path, visual: str = "rgb",
                        repeat: int = 1) -> list[Path]:
    """Each video's model inputs (``video_features``) as ``out_dir/<video_id>.npz`` in the feature
    cache's layout, for :class:`rasl.clips.ClipDataset` to stream, as pretraining on videos does."""
    paths = []
    for video in videos:
        paths.append(Path(out_dir) / f"{video.video_id}.npz")
        write_cache(paths[-1], video_features(video, visual, repeat))
    return paths


def pretrain_model(cfg: RunConfig, videos: Iterable[FeatureVideo], timeline: Timeline, visual: str = "rgb",
                   on_step: Callable[[int, dict, RASLModel], None] | None = None) -> RASLModel:
    """Algorithm 1 in memory on the videos' clips; ``on_step(step, losses, model)`` after each step."""
    feats = {v.video_id: video_features(v, visual, timeline.repeat) for v in videos}
    return adapt(cfg, clip_set(feats, cfg.model.modalities, cfg.model.clip_steps), cfg.train.steps, on_step=on_step)


def row_scores(model: RASLModel, video: FeatureVideo, timeline: Timeline, visual: str = "rgb",
               standardise: bool = True) -> np.ndarray:
    """(n,) scores, one per feature row: the step scores of a row's repeats averaged."""
    curve = score_curve(model, video_features(video, visual, timeline.repeat), standardise=standardise)
    return curve.reshape(-1, timeline.repeat).mean(axis=1)


def evaluate_rows(videos: list[FeatureVideo], scores: dict[str, np.ndarray]) -> Result:
    """The benchmark's per-video AP and category means of row scores."""
    return score_videos(videos[0].benchmark, videos, scores)


# --- Label-free baselines on the same rows -----------------------------------------------

def feature_norm(x: np.ndarray) -> np.ndarray:
    """(n, D) -> (n,) L2 norm of each row."""
    return np.linalg.norm(x, axis=1)


def mean_distance(x: np.ndarray) -> np.ndarray:
    """(n, D) -> (n,) L2 distance of each row from the video's mean row."""
    return np.linalg.norm(x - x.mean(axis=0), axis=1)


def distinctiveness(x: np.ndarray, timeline: Timeline = TIMELINES["native15"]) -> np.ndarray:
    """Fig. 1's count on the rows: fewer similar rows within the clip-long window scores higher."""
    return distinctiveness_scores(x, window_s=timeline.rows, step_s=1.0)


BASELINES: dict[str, Callable[[FeatureVideo], np.ndarray]] = {
    "norm (rgb)": lambda v: feature_norm(v.stream("rgb")),
    "norm (flow)": lambda v: feature_norm(v.stream("flow")),
    "norm (audio)": lambda v: feature_norm(v.stream("audio")),
    "distance from mean (rgb)": lambda v: mean_distance(v.stream("rgb")),
    "distinctiveness (rgb)": lambda v: distinctiveness(v.stream("rgb")),
}


def baseline_result(name: str, videos: list[FeatureVideo]) -> Result:
    return evaluate_rows(videos, {v.video_id: BASELINES[name](v) for v in videos})


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of the ranks of two (n,) arrays, ties ranked by position (so not
    quite Spearman's); 0 when one is constant."""
    ra, rb = (np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float) for x in (a, b))
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = np.sqrt((ra ** 2).sum() * (rb ** 2).sum())
    return float((ra * rb).sum() / den) if den > 0 else 0.0


def tvsum_folds(videos: list[FeatureVideo], n_folds: int = TVSUM_FOLDS) -> list[list[FeatureVideo]]:
    """Held-out videos of each fold: the f-th video (by id) of every category."""
    by_category: dict[str, list[FeatureVideo]] = {}
    for v in sorted(videos, key=lambda v: v.video_id):
        by_category.setdefault(v.category, []).append(v)
    return [[vs[f] for vs in by_category.values() if f < len(vs)] for f in range(n_folds)]


@torch.inference_mode()
def activation_norm_correlation(model: RASLModel, videos: list[FeatureVideo], timeline: Timeline,
                                visual: str = "rgb") -> float:
    """Mean over videos of the rank correlation between row scores and the visual feature norm:
    near 1 means the activation has become a norm of its input."""
    return float(np.mean([rank_correlation(row_scores(model, v, timeline, visual), feature_norm(v.features(visual)["visual"]))
                          for v in videos]))


# --- Protocols ----------------------------------------------------------------------------

def scored_videos(videos: list[FeatureVideo], limit: int | None = None) -> list[FeatureVideo]:
    """The videos a benchmark is scored on: YouTube Highlights' UMT val split, all 50 TVSum
    videos; with ``limit`` the first ``limit`` of each category."""
    chosen = [v for v in videos if v.benchmark == "tvsum" or v.split == "val"]
    if limit is None:
        return chosen
    taken: Counter[str] = Counter()
    kept = []
    for v in chosen:
        taken[v.category] += 1
        if taken[v.category] <= limit:
            kept.append(v)
    return kept


def protocol_runs(protocol: str, target: list[FeatureVideo], source: list[FeatureVideo],
                  scored: list[FeatureVideo]) -> list[tuple[list[FeatureVideo], list[FeatureVideo]]]:
    """(pretraining videos, videos scored with that model) pairs of a protocol.

    ``target``: every video of the evaluated benchmark; ``source``: the other benchmark's.
    ``per-video`` gives one pair per video, the video adapting on itself.
    """
    if protocol == "transfer":
        return [(source, scored)]
    if protocol == "per-video":
        return [([v], [v]) for v in scored]
    if protocol != "in-domain":
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if target[0].benchmark == "youtube":
        return [([v for v in target if v.split == "train"], scored)]
    ids = {v.video_id for v in scored}
    runs = []
    for held_out in tvsum_folds(target):
        out = {v.video_id for v in held_out}
        runs.append(([v for v in target if v.video_id not in out], [v for v in held_out if v.video_id in ids]))
    return [(train, test) for train, test in runs if test]


def benchmark_runs(data_root: str | Path, benchmark: str, protocol: str, limit: int | None = None
                   ) -> tuple[list[FeatureVideo], list[tuple[list[FeatureVideo], list[FeatureVideo]]]]:
    """The videos ``benchmark`` is scored on (:func:`scored_videos`) and the (pretraining videos,
    scored videos) pairs of ``protocol`` (:func:`protocol_runs`), loaded from the data root."""
    target = load_feature_benchmark(data_root, benchmark).videos
    other = "tvsum" if benchmark == "youtube" else "youtube"
    source = load_feature_benchmark(data_root, other).videos if protocol == "transfer" else []
    scored = scored_videos(target, limit)
    return scored, protocol_runs(protocol, target, source, scored)


def variant_run_config(variant: str, timeline: Timeline, dim: int, steps: int, seed: int) -> RunConfig:
    """``benchmark_config`` with a Table III / IV / Fig. 6 variant of ``rasl.experiments.VARIANTS``."""
    changes = resolve_variant(variant)[1]
    if "features" in changes:
        raise ValueError(f"variant {variant!r} changes the encoders: it cannot run on published features")
    return benchmark_config(timeline, dim, steps, seed).replace(**changes)


def write_row_scores(scores: np.ndarray, path: Path) -> None:
    """One video's scores as ``row,score`` CSV, written atomically."""
    write_rows([{"row": i, "score": float(x)} for i, x in enumerate(scores)], path, ["row", "score"])


def run_benchmark(data_root: str | Path, benchmark: str, protocol: str, out_dir: str | Path,
                  variant: str = "full", seeds: Iterable[int] = (0, 1, 2), steps: int = 500,
                  timeline: str = "native15", visual: str = "rgb", limit: int | None = None,
                  progress: bool = True) -> list[dict]:
    """Pretrain and score under ``protocol`` for every seed, then evaluate; returns result rows.

    Writes ``out_dir/scores/<seed>/<video_id>.csv`` (``row,score``, one row per feature row)
    for every scored video first, then evaluates them. Rerun on the same folder with the
    same settings (``out_dir/run.json``), a killed run skips every pretraining whose score
    files are all there: each pretraining is seeded on its own, so the result is the same. Training sees only the videos'
    features (``video_features``); the labels, loaded with the video list, are used by the
    evaluation alone (tested: shuffled labels give byte-identical score files).
    Per-video adaptation runs ``rasl.inference.ADAPT_STEPS`` steps instead of ``steps``.
    """
    tl = TIMELINES[timeline]
    scored, runs = benchmark_runs(data_root, benchmark, protocol, limit)
    dim = video_features(scored[0], visual).visual.shape[1]
    out_dir = Path(out_dir)
    seeds = list(seeds)
    claim_folder(out_dir, {"benchmark": benchmark, "protocol": protocol, "variant": variant, "steps": steps,
                           "timeline": timeline, "visual": visual, "limit": limit})
    bar = tqdm(total=len(seeds) * len(runs), desc=f"{benchmark} {protocol} {variant}", disable=not progress)
    for seed in seeds:
        cfg = variant_run_config(variant, tl, dim, ADAPT_STEPS if protocol == "per-video" else steps, seed)
        for train, test in runs:
            paths = {v: out_dir / "scores" / str(seed) / f"{v.video_id}.csv" for v in test}
            if not all(path.is_file() for path in paths.values()):  # a killed run's complete runs are kept
                model = pretrain_model(cfg, train, tl, visual)
                for v, path in paths.items():
                    write_row_scores(row_scores(model, v, tl, visual), path)
            bar.update()
    bar.close()
    rows = []
    for seed in seeds:
        scores = {v.video_id: read_row_scores(out_dir / "scores" / str(seed) / f"{v.video_id}.csv") for v in scored}
        rows += result_rows(evaluate_rows(scored, scores), benchmark, protocol, variant, seed)
    return rows + summary_rows(rows)


def claim_folder(out_dir: Path, settings: dict) -> None:
    """Record a run's settings in ``out_dir/run.json``; a folder that holds another run's
    scores is an InputError (its score files would be taken for this run's)."""
    record = out_dir / "run.json"
    if record.is_file():
        if json.loads(record.read_text()) != settings:
            raise InputError(record, "this folder holds a run with other settings; choose another --out")
        return
    with atomic_path(record) as tmp:
        tmp.write_text(json.dumps(settings, indent=1) + "\n")


def read_row_scores(path: str | Path) -> np.ndarray:
    """A ``row,score`` CSV -> (n,) scores; the rows must run 0, 1, 2, ..."""
    rows, scores = read_score_table(path, "row")
    if not np.array_equal(rows, np.arange(len(rows))):
        raise InputError(path, "rows must run 0, 1, 2, ...")
    return scores


def evaluate_row_folder(data_root: str | Path, benchmark: str, scores_dir: str | Path,
                        limit: int | None = None) -> Result:
    """Evaluate a folder of ``<video_id>.csv`` row scores on the videos ``run_benchmark`` scores;
    videos without a file are listed in ``unscored``."""
    videos = scored_videos(load_feature_benchmark(data_root, benchmark).videos, limit)
    files = {v.video_id: Path(scores_dir) / f"{v.video_id}.csv" for v in videos}
    scores = {vid: read_row_scores(path) for vid, path in files.items() if path.is_file()}
    for v in videos:
        if v.video_id in scores and len(scores[v.video_id]) != v.n_clips:
            raise InputError(files[v.video_id], f"{len(scores[v.video_id])} rows for {v.n_clips} feature rows")
    return score_videos(benchmark, videos, scores, unscored={vid: "no score file" for vid in files if vid not in scores})


RESULT_COLUMNS = ["benchmark", "protocol", "variant", "seed", "domain", "score"]


def result_rows(result: Result, benchmark: str, protocol: str, variant: str, seed) -> list[dict]:
    """One row per category and one ``Average`` row (the mean of the category means)."""
    rows = [{"benchmark": benchmark, "protocol": protocol, "variant": variant, "seed": seed, "domain": c, "score": x}
            for c, x in result.per_category.items()]
    return rows + [{**rows[0], "domain": "Average", "score": result.average}]


def summary_rows(rows: list[dict]) -> list[dict]:
    """``seed = mean`` and ``seed = std`` rows over the seeds of each (benchmark, protocol, variant, domain);
    std is the sample standard deviation (ddof 1), 0 for a single seed."""
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        groups.setdefault((r["benchmark"], r["protocol"], r["variant"], r["domain"]), []).append(r["score"])
    return [dict(zip(RESULT_COLUMNS, (*key[:3], stat, key[3], float(fn(values)))))
            for stat, fn in (("mean", np.mean), ("std", sample_std)) for key, values in groups.items()]


def sample_std(values) -> float:
    """Standard deviation over seeds with ddof 1 (0 for one value)."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def write_results(rows: list[dict], path: str | Path) -> Path:
    """``results.csv`` with ``RESULT_COLUMNS``, written atomically."""
    write_rows(rows, path, RESULT_COLUMNS)
    return Path(path)


# --- Tables --------------------------------------------------------------------------------

def read_results(paths: Iterable[str | Path]) -> list[dict]:
    """Rows of ``results.csv`` files (``RESULT_COLUMNS``), scores as floats."""
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            rows += [{**r, "score": float(r["score"])} for r in csv.DictReader(f)]
    return rows


def baseline_columns(videos: list[FeatureVideo]) -> dict[str, dict[str, float]]:
    """Label-free baselines on the scored videos, column name -> {topic: mAP}; random is the
    exact expectation (YouTube Highlights) or the mean over 100 seeds (TVSum), which also
    gets the annotators' agreement with each other."""
    columns = {"random": {r["topic"]: r.get("expected", r["mAP"]) for r in random_baseline(videos, n_seeds=100)}}
    for name in BASELINES:
        result = baseline_result(name, videos)
        columns[name] = {**result.per_category, "Average": result.average}
    if videos[0].benchmark == "tvsum":
        columns["human agreement"] = {r["topic"]: r["mAP"] for r in human_agreement(videos, n_seeds=5)}
    return columns


def measured_columns(rows: list[dict], benchmark: str, variant: str = "full") -> dict[str, dict[str, float]]:
    """``<protocol>`` and ``<protocol> std`` columns, {topic: value}, from result rows."""
    columns: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["benchmark"] == benchmark and r["variant"] == variant and r["seed"] in ("mean", "std"):
            name = r["protocol"] + (" std" if r["seed"] == "std" else "")
            columns.setdefault(name, {})[r["domain"]] = r["score"]
    return columns


def benchmark_table(data_root: str | Path, benchmark: str, rows: list[dict]) -> dict[str, dict[str, float]]:
    """Table I (``youtube``) or II (``tvsum``) as measured: column -> {topic: value}, topics in
    the paper's order with ``Average`` last. Columns: the number of scored videos, each
    protocol's mean and std over seeds (``rows`` from ``read_results``), the label-free
    baselines, the paper's "Ours" and UMT's supervised mAP on the same features."""
    videos = scored_videos(load_feature_benchmark(data_root, benchmark).videos)
    topics = [*BENCHMARKS[benchmark][1], "Average"]
    columns = {"videos": {**Counter(v.category for v in videos), "Average": len(videos)},
               **measured_columns(rows, benchmark), **baseline_columns(videos),
               "paper: Ours": {r["topic"]: r["Ours"] for r in paper_results.load(BENCHMARKS[benchmark][2])},
               "UMT (supervised)": {r["topic"]: r["UMT"] for r in paper_results.load("umt_supervised")
                                    if r["benchmark"] == benchmark}}
    return {name: {t: column.get(t) for t in topics} for name, column in columns.items()}


def ablation_table(rows: list[dict], timeline: Timeline = TIMELINES["native15"]) -> dict[str, dict]:
    """Tables III/IV and Fig. 6 as measured: one row per variant (its Table label as index)
    with the mean and std over seeds of the Average, and for the full model and the Fig. 6
    variants their k and whether k-point contrast is on."""
    table: dict[str, dict] = {}
    for r in rows:
        if r["domain"] == "Average" and r["seed"] in ("mean", "std"):
            label, changes = resolve_variant(r["variant"])
            model = changes.get("model", {})
            sweep = r["variant"] == "full" or r["variant"].startswith("k")
            row = table.setdefault(label, {
                "variant": r["variant"],
                "k": model.get("k", timeline.k) if sweep else None,
                "k-point contrast": model.get("k_point_contrastive", True) if sweep else None})
            row[r["seed"]] = r["score"]
    return {label: table[label] for label in sorted(table, key=lambda t: (t != "Ours", t))}


HEADLINE = ("paper", *PROTOCOLS, "random", "norm (rgb)", "norm (flow)", "UMT (supervised)")
BENCHMARK_NAMES = {"youtube": "YouTube Highlights", "tvsum": "TVSum"}


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
    for benchmark, name in BENCHMARK_NAMES.items():
        columns = {k.replace("paper: Ours", "paper"): v["Average"]
                   for k, v in benchmark_table(data_root, benchmark, rows).items()}
        for method in HEADLINE:
            if columns.get(method) is None:
                continue
            table.append({"benchmark": name, "method": method, "mAP": columns[method],
                          "std": columns.get(f"{method} std"), "videos": columns["videos"]})
            seeds = [r["score"] for r in rows if r["benchmark"] == benchmark and r["protocol"] == method
                     and r["variant"] == "full" and r["domain"] == "Average" and r["seed"] not in ("mean", "std")]
            points += [{"benchmark": name, "method": method, "score": x} for x in seeds or [columns[method]]]
    return table, points
