"""The book's runs on videos: pretraining variants on the data root's videos, and scoring them.

A chapter names a variant of Section IV's experiments (:mod:`rasl.paper.variants`); this
module turns it into a :class:`RunConfig` of the chapter's profile, pretrains it on the data
root's videos, keeps its checkpoint under ``artifacts/runs/<name>/`` and scores the
labelled videos (or, with the paper profile, the benchmark videos) with it.

Labelled videos come as ``videos/labels.csv`` in the data root (columns
``video,start_s,end_s,source``): human-chosen spans, read like YouTube Highlights labels
(a 2-s clip is positive when it overlaps a chosen span).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rasl.clips import ClipDataset, clip_set, dataset_from_videos
from rasl.config import STEP_S, RunConfig
from rasl.data import BENCHMARKS
from rasl.evaluate import Result, curve_to_clip_scores, evaluate_folder, load_benchmark
from rasl.features import Features, extract_features
from rasl.files import InputError, list_videos, write_rows
from rasl.highlights import CURVE_COLUMNS, curve_rows
from rasl.inference import score_curve
from rasl.metrics import youtube_ap
from rasl.model import RASLModel
from rasl.paper.baselines import distinctiveness_scores
from rasl.paper.book import report
from rasl.paper.variants import variant, variant_changes
from rasl.train import load_config, load_model, pretrain

LABEL_CLIP_S = 2.0  # a labelled video is split into 2-s clips, as YouTube Highlights' 100-frame ones


def variant_config(
    base: RunConfig, name: str, artifacts: str | Path, runs: str = "runs"
) -> RunConfig:
    """``base`` with the variant's changes, writing under ``artifacts/<runs>/<name>``."""
    return base.replace(
        **variant_changes(name), out_dir=str(Path(artifacts) / runs / name)
    )


def checkpoint(artifacts: str | Path, name: str, runs: str = "runs") -> Path:
    return Path(artifacts) / runs / name / "last.pt"


def find_checkpoint(artifacts: str | Path, name: str) -> Path:
    """The checkpoint of variant ``name`` that the book's chapters made: under ``runs/``
    (the profile's own steps), else under ``ablations/`` (the shorter runs of the
    ablations chapter); the first when neither exists."""
    found = [checkpoint(artifacts, name, runs) for runs in ("runs", "ablations")]
    return next((p for p in found if p.is_file()), found[0])


@dataclass
class Labelled:
    video: Path
    spans: list[tuple[float, float]]  # chosen highlight spans, seconds


def read_labels(root: str | Path) -> list[Labelled]:
    """The labelled videos of a data root: ``videos/labels.csv`` grouped by video."""
    path = Path(root) / "videos" / "labels.csv"
    spans: dict[str, list[tuple[float, float]]] = {}
    try:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                spans.setdefault(row["video"], []).append(
                    (float(row["start_s"]), float(row["end_s"]))
                )
    except FileNotFoundError:
        return []
    except (KeyError, ValueError):
        raise InputError(
            path, "expected columns video,start_s,end_s with numeric times"
        ) from None
    return [Labelled(path.parent / name, s) for name, s in spans.items()]


def span_clips(
    duration_s: float, spans: list[tuple[float, float]], clip_s: float = LABEL_CLIP_S
):
    """(n, 2) clip spans covering the video and their labels: 1 if a clip overlaps a span, else -1."""
    starts = np.arange(0.0, duration_s, clip_s)
    clips = np.stack([starts, np.minimum(starts + clip_s, duration_s)], axis=1)
    hit = np.array([any(a < e and s < b for s, e in spans) for a, b in clips])
    return clips, np.where(hit, 1, -1)


def labelled_ap(
    curve: np.ndarray, duration_s: float, spans: list[tuple[float, float]]
) -> float:
    """AP of a 0.2-s score curve against chosen spans, on 2-s clips (``rasl.metrics.youtube_ap``)."""
    clips, labels = span_clips(duration_s, spans)
    return youtube_ap(curve_to_clip_scores(curve, clips), labels)


def pretraining_videos(root: str | Path, cfg: RunConfig) -> list[Path]:
    """The videos a run pretrains on: the data root's ``cfg.pretrain_on`` folder (``activitynet/``
    for the paper profile, as in the paper; ``videos/`` otherwise)."""
    return list_videos(Path(root) / cfg.pretrain_on)


def root_features(
    root: str | Path, cfg: RunConfig, cache_dir: str | Path
) -> dict[str, Features]:
    """Features of every video in ``root/videos`` (cached), keyed by file name."""
    return {
        v.name: extract_features(v, cfg.features, cache_dir=cache_dir)
        for v in list_videos(Path(root) / "videos")
    }


def pretrain_variant(
    base: RunConfig,
    name: str,
    data: dict[str, Features] | ClipDataset,
    artifacts: str | Path,
    progress: bool = False,
    runs: str = "runs",
) -> Path:
    """Pretrain variant ``name`` on ``data`` (the videos' features, cut in memory, or their clips
    streamed from the cache) into ``artifacts/<runs>/<name>``, unless its checkpoint was
    trained with exactly this configuration already (then it is reused); returns the
    checkpoint."""
    cfg = variant_config(base, name, artifacts, runs)
    ckpt = checkpoint(artifacts, name, runs)
    if not (ckpt.is_file() and load_config(ckpt) == cfg):
        clips = (
            clip_set(data, cfg.model.modalities, cfg.model.clip_steps)
            if isinstance(data, dict)
            else data
        )
        pretrain(cfg, clips, progress=progress)
    return ckpt


def evaluate_checkpoint(
    ckpt: str | Path, features: dict[str, Features], labelled: list[Labelled]
) -> dict[str, float]:
    """AP per labelled video of the model in ``ckpt``."""
    model, _ = load_model(ckpt)
    return {
        item.video.name: labelled_ap(
            score_curve(model, features[item.video.name]),
            features[item.video.name].duration_s,
            item.spans,
        )
        for item in labelled
    }


def write_benchmark_curves(
    ckpt: str | Path,
    videos: list,
    out_dir: str | Path,
    cache_dir: str | Path,
    device: str = "cpu",
) -> Path:
    """Score every benchmark video that has a file (``.path``) into ``out_dir/<video_id>.csv``,
    the layout ``rasl evaluate`` and :func:`rasl.evaluate.evaluate_folder` read."""
    model, cfg = load_model(ckpt, device=device)
    features_cfg = dataclasses.replace(cfg.features, device=device)
    for video in videos:
        curve = score_curve(
            model, extract_features(video.path, features_cfg, cache_dir=cache_dir)
        )
        write_rows(
            curve_rows(np.arange(len(curve)) * STEP_S, curve),
            Path(out_dir) / f"{video.video_id}.csv",
            CURVE_COLUMNS,
        )
    return Path(out_dir)


def benchmark_results(
    ckpt: str | Path,
    root: str | Path,
    out_dir: str | Path,
    cache_dir: str | Path,
    device: str = "cpu",
) -> dict[str, Result]:
    """Tables I and II for one checkpoint: score the benchmark videos found under the data
    root (``Benchmark.videos``), save the curves under ``out_dir/<benchmark>/``, evaluate."""
    results = {}
    for benchmark, videos in ((b.name, b.videos) for b in BENCHMARKS.values()):
        loaded = load_benchmark(benchmark, root, video_dir=Path(root) / videos)
        scores = write_benchmark_curves(
            ckpt, loaded.videos, Path(out_dir) / benchmark, cache_dir, device
        )
        results[benchmark] = evaluate_folder(
            benchmark, root, scores, Path(root) / videos
        )
    return results


def evaluate_variant(
    base: RunConfig,
    name: str,
    root: str | Path,
    artifacts: str | Path,
    pretraining_videos: list[Path],
    runs: str = "runs",
) -> dict[str, float]:
    """Pretrain variant ``name`` (or reuse it) into ``artifacts/<runs>/<name>`` and evaluate
    it: the benchmarks' averages (``evaluate_on == "benchmarks"``) or the mean AP over the
    data root's labelled videos. Features are cached in ``artifacts/features``."""
    cfg = variant_config(base, name, artifacts, runs)
    report(f"{variant(name).label}: {cfg.train.steps} pretraining steps, then scoring")
    cache = Path(artifacts) / "features"
    data = dataset_from_videos(
        [str(v) for v in pretraining_videos],
        cfg,
        cache,
        progress=False,  # streamed
        workers=cfg.train.num_workers,
    )
    ckpt = pretrain_variant(base, name, data, artifacts, runs=runs)
    if base.evaluate_on == "benchmarks":
        results = benchmark_results(
            ckpt, root, Path(artifacts) / "scores" / name, cache, cfg.features.device
        )
        return {benchmark: r.average for benchmark, r in results.items()}
    aps = evaluate_checkpoint(ckpt, root_features(root, cfg, cache), read_labels(root))
    return {"labelled videos (mean AP)": float(np.mean(list(aps.values())))}


def labelled_baselines(
    ours: dict[str, float],
    features: dict[str, Features],
    labelled: list[Labelled],
    n_random: int = 100,
    seed: int = 0,
) -> list[dict]:
    """Per labelled video: the model's AP (``ours``, by video name) beside the label-free
    baselines on the same 2-s clips: random scores (mean and std over ``n_random`` draws of
    one generator seeded ``seed``), a constant score and Fig. 1's distinctiveness."""
    rng = np.random.default_rng(seed)
    rows = []
    for item in labelled:
        f = features[item.video.name]
        random_aps = [
            labelled_ap(rng.random(len(f.visual)), f.duration_s, item.spans)
            for _ in range(n_random)
        ]
        rows.append(
            {
                "video": item.video.name,
                "ours": ours[item.video.name],
                f"random ({n_random} seeds)": float(np.mean(random_aps)),
                "random std": float(np.std(random_aps)),
                "constant": labelled_ap(
                    np.zeros(len(f.visual)), f.duration_s, item.spans
                ),
                "distinctiveness (Fig. 1)": labelled_ap(
                    distinctiveness_scores(f.visual), f.duration_s, item.spans
                ),
            }
        )
    return rows


def load_checkpoints(
    checkpoints: Mapping[str, Path], cfg: RunConfig
) -> tuple[dict[str, RASLModel], list[str]]:
    """The checkpoints (name -> path) that ``cfg`` can score: trained on the encoders its
    profile extracts. Returns the models by name, and one line per checkpoint left out
    saying why (none yet, or other encoders)."""
    models, left_out = {}, []
    for name, ckpt in checkpoints.items():
        if not ckpt.is_file():
            shown = Path(*ckpt.parts[-3:])
            left_out.append(
                f"{name}: no checkpoint at {shown} (its chapter has not run): left out"
            )
            continue
        model, trained = load_model(ckpt, device=cfg.train.device)
        encoders = (cfg.features.visual, cfg.features.audio)
        if (trained.features.visual, trained.features.audio) != encoders:
            left_out.append(
                f"{name}: trained on {trained.features.visual}/{trained.features.audio} "
                f"features, this profile extracts {encoders[0]}/{encoders[1]}: left out"
            )
            continue
        models[name] = model
    return models, left_out
