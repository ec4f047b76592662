"""Tables I-IV and Fig. 6 on the benchmarks' published features: timelines, protocols, runs.

The UMT feature release (``umt/`` under the data root, read by
:func:`rasl.data.load_feature_benchmark`) gives one I3D/PANN row per label clip, about 2 s
apart, where the paper samples a feature vector every 0.2 s. A :class:`Timeline` says how
the model consumes the rows: the model's clip length and k (Eq. 6-8) on its time axis, and
how often each row is repeated on it. Scores come back one per row, so they are evaluated
against the labels exactly as the rows are aligned with them.

Protocols (no label is read for training):

* ``transfer``: pretrain on the other benchmark (all its videos), score this one;
* ``in-domain``: pretrain on this benchmark's unlabelled train videos, score the held-out
  ones (YouTube Highlights: UMT's val split; TVSum: 5 folds, one video per category held
  out per fold);
* ``per-video``: adapt a fresh model on the scored video alone (``rasl score`` without a
  checkpoint), then score it.

One cell of the measured tables is a :class:`BenchmarkRun`; :func:`run_benchmark` runs it.
:func:`pack_scores` keeps a run's per-video scores in one compressed archive (committed
beside the result CSVs), and :func:`evaluate_archive` turns it back into the run's rows.
"""

from __future__ import annotations

import csv
import json
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from rasl.clips import clip_set
from rasl.config import ModelConfig, RunConfig, TrainConfig
from rasl.data import VISUAL_STREAMS, FeatureVideo, load_feature_benchmark
from rasl.evaluate import Result, read_score_table, score_videos
from rasl.features import Features, write_cache
from rasl.files import InputError, atomic_path, write_rows
from rasl.inference import ADAPT_STEPS, score_curve
from rasl.model import RASLModel
from rasl.paper.variants import variant_changes
from rasl.train import adapt

PROTOCOLS = ("transfer", "in-domain", "per-video")
TVSUM_FOLDS = 5


@dataclass(frozen=True)
class Timeline:
    """How feature rows ~2 s apart become the model's clips: the model's clip length and k
    (``ModelConfig.clip_steps``, ``ModelConfig.k``, set from here when a run's configuration
    is made and read from the configuration after that) and the repeats of each row."""

    name: str
    clip_steps: int  # N: steps per clip on the model's time axis
    k: int  # top-k / bottom-k of Eq. (6)-(8): the paper's 10 of 150 steps, scaled to N
    # each feature row repeated this many times on the model's time axis
    repeat: int = 1

    @property
    def rows(self) -> int:
        """Feature rows per clip."""
        return self.clip_steps // self.repeat


# The candidates of the implementation notes; "native15" was chosen on the train split.
TIMELINES = {
    t.name: t
    for t in (
        Timeline("native15", clip_steps=15, k=1),  # ~30 s per clip
        Timeline("native30", clip_steps=30, k=2),  # ~60 s per clip
        # the paper's N and k on a 0.2-s axis
        Timeline("repeat150", clip_steps=150, k=10, repeat=10),
        # the paper's N and k, ~5 min per clip
        Timeline("native150", clip_steps=150, k=10),
    )
}


def benchmark_config(
    timeline: Timeline,
    dim: int = 1024,
    steps: int = 1000,
    seed: int = 0,
    bf16: bool = False,
    **model,
) -> RunConfig:
    """The paper's model and optimiser on a timeline, CPU, batch 8 (float32 unless ``bf16``);
    ``model`` changes ModelConfig fields, the timeline's k among them."""
    geometry = {"clip_steps": timeline.clip_steps, "k": timeline.k}
    return RunConfig(
        name="benchmark",
        model=ModelConfig(dim=dim, **{**geometry, **model}),
        train=TrainConfig(steps=steps, seed=seed, checkpoint_every=steps, bf16=bf16),
    )


@dataclass(frozen=True)
class BenchmarkRun:
    """One cell of the measured tables: a benchmark, a protocol and a variant, over seeds."""

    benchmark: str
    protocol: str
    variant: str = "full"  # a name of rasl.paper.variants.VARIANTS
    seeds: tuple[int, ...] = (0, 1, 2)
    # pretraining steps (per-video adaptation runs ADAPT_STEPS instead)
    steps: int = 500
    timeline: Timeline = TIMELINES["native15"]
    visual: str = "rgb"  # rasl.data.VISUAL_STREAMS
    limit: int | None = None  # score only the first ``limit`` videos of each category

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(
                f"protocol must be one of {PROTOCOLS}, got {self.protocol!r}"
            )
        if self.visual not in VISUAL_STREAMS:
            raise ValueError(
                f"visual must be one of {sorted(VISUAL_STREAMS)}, got {self.visual!r}"
            )
        # an unknown variant fails here, not after the first runs
        variant_changes(self.variant)

    def config(self, seed: int, dim: int) -> RunConfig:
        """The run configuration of one seed on ``dim``-long visual rows: ``benchmark_config``
        with the variant's changes."""
        changes = variant_changes(self.variant)
        if "features" in changes:
            raise ValueError(
                f"variant {self.variant!r} changes the encoders: it cannot run on published features"
            )
        steps = ADAPT_STEPS if self.protocol == "per-video" else self.steps
        return benchmark_config(self.timeline, dim, steps, seed).replace(**changes)

    def settings(self) -> dict:
        """What a score folder's ``run.json`` records (all but the seeds, which may grow)."""
        return {
            **{k: v for k, v in asdict(self).items() if k != "seeds"},
            "timeline": self.timeline.name,
        }

    def command(self) -> str:
        """The ``rasl benchmark`` command line of this run (the data root and ``--out`` left out)."""
        if self.seeds != tuple(range(len(self.seeds))):
            raise ValueError(
                f"seeds {self.seeds} are not 0..N-1: no --seeds N gives them"
            )
        words = [
            f"rasl benchmark --benchmark {self.benchmark} --protocol {self.protocol} --variant {self.variant}",
            f"--seeds {len(self.seeds)} --steps {self.steps} --timeline {self.timeline.name}",
        ]
        words += [f"--visual {self.visual}"] if self.visual != "rgb" else []
        words += [f"--videos {self.limit}"] if self.limit is not None else []
        return " ".join(words)


def video_features(
    video: FeatureVideo, visual: str = "rgb", repeat: int = 1
) -> Features:
    """A video's rows as model inputs, each row repeated ``repeat`` times."""
    fvs = {m: np.repeat(x, repeat, axis=0) for m, x in video.features(visual).items()}
    return Features(
        fvs["visual"],
        fvs["audio"],
        duration_s=float("nan"),  # rows carry no times; unread here
        meta={"video": video.video_id, "visual": visual, "repeat": repeat},
    )


def write_feature_files(
    videos: Iterable[FeatureVideo],
    out_dir: str | Path,
    visual: str = "rgb",
    repeat: int = 1,
) -> list[Path]:
    """Each video's model inputs (``video_features``) as ``out_dir/<video_id>.npz`` in the feature
    cache's layout, for :class:`rasl.clips.ClipDataset` to stream, as pretraining on videos does."""
    paths = []
    for video in videos:
        paths.append(Path(out_dir) / f"{video.video_id}.npz")
        write_cache(paths[-1], video_features(video, visual, repeat))
    return paths


def pretrain_model(
    cfg: RunConfig,
    videos: Iterable[FeatureVideo],
    timeline: Timeline,
    visual: str = "rgb",
    on_step: Callable[[int, dict, RASLModel], None] | None = None,
) -> RASLModel:
    """Algorithm 1 in memory on the videos' clips; ``on_step(step, losses, model)`` after each step."""
    feats = {v.video_id: video_features(v, visual, timeline.repeat) for v in videos}
    return adapt(
        cfg,
        clip_set(feats, cfg.model.modalities, cfg.model.clip_steps),
        cfg.train.steps,
        on_step=on_step,
    )


def row_scores(
    model: RASLModel,
    video: FeatureVideo,
    timeline: Timeline,
    visual: str = "rgb",
    standardise: bool = True,
) -> np.ndarray:
    """(n,) scores, one per feature row: the step scores of a row's repeats averaged."""
    curve = score_curve(
        model, video_features(video, visual, timeline.repeat), standardise=standardise
    )
    return curve.reshape(-1, timeline.repeat).mean(axis=1)


def evaluate_rows(videos: list[FeatureVideo], scores: dict[str, np.ndarray]) -> Result:
    """The benchmark's per-video AP and category means of row scores."""
    return score_videos(videos[0].benchmark, videos, scores)


# --- Protocols ----------------------------------------------------------------------------


def tvsum_folds(
    videos: list[FeatureVideo], n_folds: int = TVSUM_FOLDS
) -> list[list[FeatureVideo]]:
    """Held-out videos of each fold: the f-th video (by id) of every category."""
    by_category: dict[str, list[FeatureVideo]] = {}
    for v in sorted(videos, key=lambda v: v.video_id):
        by_category.setdefault(v.category, []).append(v)
    return [
        [vs[f] for vs in by_category.values() if f < len(vs)] for f in range(n_folds)
    ]


def scored_videos(
    videos: list[FeatureVideo], limit: int | None = None
) -> list[FeatureVideo]:
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


def youtube_splits(data_root: str | Path) -> dict[str, list[FeatureVideo]]:
    """YouTube Highlights' videos with a feature file, by UMT split (``train``, ``val``):
    the studies' choices are made on train, val is reported only. The 28 listed videos
    without a feature file are skipped without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        videos = load_feature_benchmark(data_root, "youtube").videos
    return {s: [v for v in videos if v.split == s] for s in ("train", "val")}


def protocol_runs(
    protocol: str,
    target: list[FeatureVideo],
    source: list[FeatureVideo],
    scored: list[FeatureVideo],
) -> list[tuple[list[FeatureVideo], list[FeatureVideo]]]:
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
        runs.append(
            (
                [v for v in target if v.video_id not in out],
                [v for v in held_out if v.video_id in ids],
            )
        )
    return [(train, test) for train, test in runs if test]


def benchmark_runs(
    data_root: str | Path, benchmark: str, protocol: str, limit: int | None = None
) -> tuple[list[FeatureVideo], list[tuple[list[FeatureVideo], list[FeatureVideo]]]]:
    """The videos ``benchmark`` is scored on (:func:`scored_videos`) and the (pretraining videos,
    scored videos) pairs of ``protocol`` (:func:`protocol_runs`), loaded from the data root."""
    target = load_feature_benchmark(data_root, benchmark).videos
    other = "tvsum" if benchmark == "youtube" else "youtube"
    source = (
        load_feature_benchmark(data_root, other).videos
        if protocol == "transfer"
        else []
    )
    scored = scored_videos(target, limit)
    return scored, protocol_runs(protocol, target, source, scored)


def write_row_scores(scores: np.ndarray, path: Path) -> None:
    """One video's scores as ``row,score`` CSV, written atomically."""
    write_rows(
        [{"row": i, "score": float(x)} for i, x in enumerate(scores)],
        path,
        ["row", "score"],
    )


def run_benchmark(
    data_root: str | Path, run: BenchmarkRun, out_dir: str | Path, progress: bool = True
) -> list[dict]:
    """Pretrain and score under ``run.protocol`` for every seed, then evaluate; returns result rows.

    Writes ``out_dir/scores/<seed>/<video_id>.csv`` (``row,score``, one row per feature row)
    for every scored video first, then evaluates them. Rerun on the same folder with the
    same settings (``out_dir/run.json``), a killed run skips every pretraining whose score
    files are all there: each pretraining is seeded on its own, so the result is the same.
    Training sees only the videos' features (``video_features``); the labels, loaded with
    the video list, are used by the evaluation alone (tested: shuffled labels give
    byte-identical score files). Per-video adaptation runs ``rasl.inference.ADAPT_STEPS``
    steps instead of ``run.steps``.
    """
    scored, runs = benchmark_runs(data_root, run.benchmark, run.protocol, run.limit)
    dim = video_features(scored[0], run.visual).visual.shape[1]
    out_dir = Path(out_dir)
    claim_folder(out_dir, run.settings())
    bar = tqdm(
        total=len(run.seeds) * len(runs),
        desc=f"{run.benchmark} {run.protocol} {run.variant}",
        disable=not progress,
    )
    for seed in run.seeds:
        cfg = run.config(seed, dim)
        for train, test in runs:
            paths = {
                v: out_dir / "scores" / str(seed) / f"{v.video_id}.csv" for v in test
            }
            # a killed run's complete runs are kept
            if not all(path.is_file() for path in paths.values()):
                model = pretrain_model(cfg, train, run.timeline, run.visual)
                for v, path in paths.items():
                    write_row_scores(
                        row_scores(model, v, run.timeline, run.visual), path
                    )
            bar.update()
    bar.close()
    scores = {
        seed: {
            v.video_id: read_row_scores(
                out_dir / "scores" / str(seed) / f"{v.video_id}.csv"
            )
            for v in scored
        }
        for seed in run.seeds
    }
    return result_rows(scored, scores, run.benchmark, run.protocol, run.variant)


def claim_folder(out_dir: Path, settings: dict) -> None:
    """Record a run's settings in ``out_dir/run.json``; a folder that holds another run's
    scores is an InputError (its score files would be taken for this run's)."""
    record = out_dir / "run.json"
    if record.is_file():
        if json.loads(record.read_text()) != settings:
            raise InputError(
                record,
                "this folder holds a run with other settings; choose another --out",
            )
        return
    with atomic_path(record) as tmp:
        tmp.write_text(json.dumps(settings, indent=1) + "\n")


def read_row_scores(path: str | Path) -> np.ndarray:
    """A ``row,score`` CSV -> (n,) scores; the rows must run 0, 1, 2, ..."""
    rows, scores = read_score_table(path, "row")
    if not np.array_equal(rows, np.arange(len(rows))):
        raise InputError(path, "rows must run 0, 1, 2, ...")
    return scores


def evaluate_row_folder(
    data_root: str | Path,
    benchmark: str,
    scores_dir: str | Path,
    limit: int | None = None,
) -> Result:
    """Evaluate a folder of ``<video_id>.csv`` row scores on the videos ``run_benchmark`` scores;
    videos without a file are listed in ``unscored``."""
    videos = scored_videos(load_feature_benchmark(data_root, benchmark).videos, limit)
    files = {v.video_id: Path(scores_dir) / f"{v.video_id}.csv" for v in videos}
    scores = {
        vid: read_row_scores(path) for vid, path in files.items() if path.is_file()
    }
    for v in videos:
        if v.video_id in scores and len(scores[v.video_id]) != v.n_clips:
            raise InputError(
                files[v.video_id],
                f"{len(scores[v.video_id])} rows for {v.n_clips} feature rows",
            )
    return score_videos(
        benchmark,
        videos,
        scores,
        unscored={vid: "no score file" for vid in files if vid not in scores},
    )


# --- Score archives -----------------------------------------------------------------------

META_KEY = "meta.json"  # an archive's settings, JSON text, beside its score arrays
# every entry's zip timestamp: identical scores make byte-identical archives
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_archive(
    arrays: dict[str, np.ndarray], path: str | Path, meta: dict | None = None
) -> Path:
    """Arrays keyed ``<group>/<video_id>`` and ``meta`` (JSON) in one compressed ``.npz``,
    written atomically, entries sorted and undated, so the same input gives the same bytes."""
    if meta is not None:
        arrays = {**arrays, META_KEY: np.array(json.dumps(meta, sort_keys=True))}
    with (
        atomic_path(path) as tmp,
        zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for key in sorted(arrays):
            entry = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w", force_zip64=True) as f:
                np.lib.format.write_array(
                    f, np.asarray(arrays[key]), allow_pickle=False
                )
    return Path(path)


def read_archive(path: str | Path) -> tuple[dict, dict[str, dict[str, np.ndarray]]]:
    """An archive of :func:`write_archive` -> (its meta, or {}; group -> video id -> scores)."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    meta = {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                if key == META_KEY:
                    meta = json.loads(str(npz[key]))
                    continue
                group, sep, video = key.rpartition("/")
                if not sep:
                    raise InputError(path, f"entry {key!r} is not <group>/<video_id>")
                groups.setdefault(group, {})[video] = npz[key]
    except OSError as e:
        raise InputError(path, f"cannot read ({e.strerror or e})") from None
    except (ValueError, zipfile.BadZipFile):
        raise InputError(path, "not a score archive (.npz)") from None
    return meta, groups


def pack_scores(out_dir: str | Path, archive: str | Path) -> Path:
    """A ``run_benchmark`` folder's score files in one archive (:func:`write_archive`):
    ``scores/<seed>/<video_id>.csv`` as float32 arrays keyed ``<seed>/<video_id>``, the
    folder's ``run.json`` as its meta. The scores are float32 values, so nothing is lost;
    a score that is not one is an InputError rather than a silent change."""
    out_dir = Path(out_dir)
    files = sorted((out_dir / "scores").glob("*/*.csv"))
    if not files:
        raise InputError(out_dir / "scores", "no score files to pack")
    arrays = {}
    for path in files:
        scores = read_row_scores(path)
        arrays[f"{path.parent.name}/{path.stem}"] = packed = scores.astype(np.float32)
        if not np.array_equal(packed, scores):
            raise InputError(path, "scores that are not float32 values would change")
    try:
        settings = json.loads((out_dir / "run.json").read_text())
    except OSError as e:
        raise InputError(out_dir / "run.json", f"cannot read ({e.strerror})") from None
    return write_archive(arrays, archive, settings)


def evaluate_archive(
    data_root: str | Path, archive: str | Path, benchmark: str | None = None
) -> list[dict]:
    """Result rows of every seed of a :func:`pack_scores` archive, mean and std rows after
    them: the rows ``run_benchmark`` returned for the run (labels from ``umt/`` under the
    data root). With ``benchmark``, an archive of another benchmark is an InputError."""
    settings, seeds = read_archive(archive)
    if not {"benchmark", "protocol", "variant"} <= set(settings):
        raise InputError(archive, "no run settings in it: not made by pack_scores")
    if benchmark not in (None, settings["benchmark"]):
        raise InputError(
            archive, f"holds {settings['benchmark']} scores, not {benchmark}"
        )
    videos = scored_videos(
        load_feature_benchmark(data_root, settings["benchmark"]).videos,
        settings.get("limit"),
    )
    for seed, scores in seeds.items():
        if not seed.isdigit():
            raise InputError(archive, f"entries {seed}/...: {seed!r} is not a seed")
        for v in videos:
            if len(scores.get(v.video_id, ())) != v.n_clips:
                raise InputError(
                    archive,
                    f"seed {seed}: {len(scores.get(v.video_id, ()))} scores of "
                    f"{v.video_id} for its {v.n_clips} feature rows",
                )
    return result_rows(
        videos,
        {int(seed): seeds[seed] for seed in sorted(seeds, key=int)},
        settings["benchmark"],
        settings["protocol"],
        settings["variant"],
    )


RESULT_COLUMNS = ["benchmark", "protocol", "variant", "seed", "domain", "score"]


def result_rows(
    videos: list[FeatureVideo],
    scores: dict[int, dict[str, np.ndarray]],
    benchmark: str,
    protocol: str,
    variant: str,
) -> list[dict]:
    """The rows of a run: each seed's (``scores``: seed -> video id -> row scores) category
    and Average rows (:func:`seed_rows`), then their mean and std rows (:func:`summary_rows`)."""
    rows = []
    for seed, by_video in scores.items():
        result = evaluate_rows(videos, by_video)
        rows += seed_rows(result, benchmark, protocol, variant, seed)
    return rows + summary_rows(rows)


def seed_rows(
    result: Result, benchmark: str, protocol: str, variant: str, seed
) -> list[dict]:
    """One row per category and one ``Average`` row (the mean of the category means)."""
    rows = [
        {
            "benchmark": benchmark,
            "protocol": protocol,
            "variant": variant,
            "seed": seed,
            "domain": c,
            "score": x,
        }
        for c, x in result.per_category.items()
    ]
    return rows + [{**rows[0], "domain": "Average", "score": result.average}]


def summary_rows(rows: list[dict]) -> list[dict]:
    """``seed = mean`` and ``seed = std`` rows over the seeds of each (benchmark, protocol, variant, domain);
    std is the sample standard deviation (ddof 1), 0 for a single seed."""
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        groups.setdefault(
            (r["benchmark"], r["protocol"], r["variant"], r["domain"]), []
        ).append(r["score"])
    return [
        dict(zip(RESULT_COLUMNS, (*key[:3], stat, key[3], float(fn(values)))))
        for stat, fn in (("mean", np.mean), ("std", sample_std))
        for key, values in groups.items()
    ]


def sample_std(values) -> float:
    """Standard deviation over seeds with ddof 1 (0 for one value)."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def write_results(rows: list[dict], path: str | Path) -> Path:
    """``results.csv`` with ``RESULT_COLUMNS``, written atomically."""
    write_rows(rows, path, RESULT_COLUMNS)
    return Path(path)


def read_results(paths: Iterable[str | Path]) -> list[dict]:
    """Rows of ``results.csv`` files (``RESULT_COLUMNS``), scores as floats."""
    rows = []
    for path in paths:
        with open(path, newline="") as f:
            rows += [{**r, "score": float(r["score"])} for r in csv.DictReader(f)]
    return rows
