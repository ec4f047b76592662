"""The runs behind the book's tables: pretraining variants and their evaluation.

A notebook names a variant of Section IV's experiments (an ablation of Table III, a fusion
scheme of Table IV, a reconstruction target of Table V, a k of Fig. 6); this module turns it
into a :class:`RunConfig`, pretrains it on the data root's videos, keeps its checkpoint under
``artifacts/runs/<name>/`` and scores the labelled videos with it.

Labelled videos come as ``videos/labels.csv`` in the data root (columns
``video,start_s,end_s,source``): human-chosen spans, read like YouTube Highlights labels
(a 2-s clip is positive when it overlaps a chosen span).
"""

from __future__ import annotations

import csv
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rasl.clips import ClipDataset, clip_set, dataset_from_videos
from rasl.config import STEP_S, ModelConfig, RunConfig
from rasl.data import list_videos
from rasl.evaluate import Result, curve_to_clip_scores, evaluate_folder, load_benchmark
from rasl.features import Features, extract_features
from rasl.files import InputError
from rasl.highlights import CURVE_COLUMNS, curve_rows, write_rows
from rasl.inference import score_curve
from rasl.metrics import youtube_ap
from rasl.train import load_config, load_model, pretrain

LABEL_CLIP_S = 2.0  # a labelled video is split into 2-s clips, as YouTube Highlights' 100-frame ones

# name -> (section, changes to the run config); "full" is the paper's model.
VARIANTS: dict[str, tuple[str, dict]] = {
    "full": ("Ours", {}),
    "no_rasl": ("Table III: w/o RASL", {"model": {"k": 0}}),
    "no_sa": ("Table III: w/o SA", {"model": {"self_attention": False}}),
    "no_auxiliary": ("Table III: w/o auxiliary", {"model": {"auxiliary": False}}),
    "audio_only": ("Table III: w/o vision", {"model": {"modalities": ("audio",)}}),
    "visual_only": ("Table III: w/o audio", {"model": {"modalities": ("visual",)}}),
    "fusion_sum": ("Table IV: summation", {"model": {"fusion": "sum"}}),
    "fusion_concat": ("Table IV: concatenation", {"model": {"fusion": "concat"}}),
    "fusion_mlp": ("Table IV: submodule MLP", {"model": {"fusion": "mlp"}}),
    "fusion_lowrank": ("Table IV: low-rank fusion", {"model": {"fusion": "lowrank"}}),
    "pixels_visual": ("Table V: pixel visual target", {"features": {"visual": "pixels"}, "model": {"dim": 1024}}),
    "mel_audio": ("Table V: mel-spectrogram audio target", {"features": {"audio": "mel"}}),
    "pixels_mel": ("Table V: pixels and mel-spectrogram",
                   {"features": {"visual": "pixels", "audio": "mel"}, "model": {"dim": 1024}}),
}


def k_variant(k: int, contrastive: bool) -> str:
    """Register (once) and name the Fig. 6 variant with this k, with or without k-point contrast;
    the paper's own setting (k = 10 with contrast) is the full model, not trained twice."""
    if (k, contrastive) == (ModelConfig.k, ModelConfig.k_point_contrastive):
        return "full"
    name = f"k{k}" + ("" if contrastive else "_no_contrast")
    VARIANTS.setdefault(name, (f"Fig. 6: k = {k}{'' if contrastive else ', w/o k-point contrast'}",
                               {"model": {"k": k, "k_point_contrastive": contrastive}}))
    return name


def variant(name: str) -> tuple[str, dict]:
    """A variant's (label, changes to the run config); Fig. 6 names (``k3``, ``k3_no_contrast``)
    are registered on first use, so any process can resolve them."""
    sweep = re.fullmatch(r"k(\d+)(_no_contrast)?", name)
    if sweep and name not in VARIANTS:
        k_variant(int(sweep[1]), sweep[2] is None)
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose one of {sorted(VARIANTS)} or k<N>[_no_contrast]")
    return VARIANTS[name]


def variant_config(base: RunConfig, name: str, artifacts: str | Path) -> RunConfig:
    """``base`` with the variant's changes, writing under ``artifacts/runs/<name>``."""
    _, changes = variant(name)
    return base.replace(**changes, out_dir=str(Path(artifacts) / "runs" / name))


def checkpoint(artifacts: str | Path, name: str) -> Path:
    return Path(artifacts) / "runs" / name / "last.pt"


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
                spans.setdefault(row["video"], []).append((float(row["start_s"]), float(row["end_s"])))
    except FileNotFoundError:
        return []
    except (KeyError, ValueError):
        raise InputError(path, "expected columns video,start_s,end_s with numeric times") from None
    return [Labelled(path.parent / name, s) for name, s in spans.items()]


def span_clips(duration_s: float, spans: list[tuple[float, float]], clip_s: float = LABEL_CLIP_S):
    """(n, 2) clip spans covering the video and their labels: 1 if a clip overlaps a span, else -1."""
    starts = np.arange(0.0, duration_s, clip_s)
    clips = np.stack([starts, np.minimum(starts + clip_s, duration_s)], axis=1)
    hit = np.array([any(a < e and s < b for s, e in spans) for a, b in clips])
    return clips, np.where(hit, 1, -1)


def labelled_ap(curve: np.ndarray, duration_s: float, spans: list[tuple[float, float]]) -> float:
    """AP of a 0.2-s score curve against chosen spans, on 2-s clips (``rasl.metrics.youtube_ap``)."""
    clips, labels = span_clips(duration_s, spans)
    return youtube_ap(curve_to_clip_scores(curve, clips), labels)


def pretraining_videos(root: str | Path, cfg: RunConfig) -> list[Path]:
    """The videos a run pretrains on: the data root's ``cfg.pretrain_on`` folder (``activitynet/``
    for the paper profile, as in the paper; ``videos/`` otherwise)."""
    return list_videos(Path(root) / cfg.pretrain_on)


def root_features(root: str | Path, cfg: RunConfig, cache_dir: str | Path) -> dict[str, Features]:
    """Features of every video in ``root/videos`` (cached), keyed by file name."""
    return {v.name: extract_features(v, cfg.features, cache_dir=cache_dir) for v in list_videos(Path(root) / "videos")}


def pretrain_variant(base: RunConfig, name: str, data: dict[str, Features] | ClipDataset, artifacts: str | Path,
                     progress: bool = False) -> Path:
    """Pretrain variant ``name`` on ``data`` (the videos' features, cut in memory, or their clips
    streamed from the cache), unless its checkpoint was trained with exactly this configuration
    already (then it is reused); returns the checkpoint."""
    cfg = variant_config(base, name, artifacts)
    ckpt = checkpoint(artifacts, name)
    if not (ckpt.is_file() and load_config(ckpt) == cfg):
        clips = clip_set(data, cfg.model.modalities, cfg.model.clip_steps) if isinstance(data, dict) else data
        pretrain(cfg, clips, progress=progress)
    return ckpt


def evaluate_checkpoint(ckpt: str | Path, features: dict[str, Features], labelled: list[Labelled]) -> dict[str, float]:
    """AP per labelled video of the model in ``ckpt``."""
    model, _ = load_model(ckpt)
    return {
        item.video.name: labelled_ap(score_curve(model, features[item.video.name]),
                                     features[item.video.name].duration_s, item.spans)
        for item in labelled
    }


BENCHMARK_VIDEOS = {"youtube": "youtube_highlights/videos", "tvsum": "tvsum/video"}  # under the data root


def write_benchmark_curves(ckpt: str | Path, videos: list, out_dir: str | Path, cache_dir: str | Path,
                           device: str = "cpu") -> Path:
    """Score every benchmark video that has a file (``.path``) into ``out_dir/<video_id>.csv``,
    the layout ``rasl evaluate`` and :func:`rasl.evaluate.evaluate_folder` read."""
    model, cfg = load_model(ckpt, device=device)
    features_cfg = dataclasses.replace(cfg.features, device=device)
    for video in videos:
        curve = score_curve(model, extract_features(video.path, features_cfg, cache_dir=cache_dir))
        write_rows(curve_rows(np.arange(len(curve)) * STEP_S, curve), Path(out_dir) / f"{video.video_id}.csv", CURVE_COLUMNS)
    return Path(out_dir)


def benchmark_results(ckpt: str | Path, root: str | Path, out_dir: str | Path, cache_dir: str | Path,
                      device: str = "cpu") -> dict[str, Result]:
    """Tables I and II for one checkpoint: score the benchmark videos found under the data
    root (``BENCHMARK_VIDEOS``), save the curves under ``out_dir/<benchmark>/``, evaluate."""
    results = {}
    for benchmark, videos in BENCHMARK_VIDEOS.items():
        loaded = load_benchmark(benchmark, root, video_dir=Path(root) / videos)
        scores = write_benchmark_curves(ckpt, loaded.videos, Path(out_dir) / benchmark, cache_dir, device)
        results[benchmark] = evaluate_folder(benchmark, root, scores, Path(root) / videos)
    return results


def evaluate_variant(base: RunConfig, name: str, root: str | Path, artifacts: str | Path,
                     pretraining_videos: list[Path]) -> dict[str, float]:
    """Pretrain variant ``name`` (or reuse it) and evaluate it: the benchmarks' averages
    (``evaluate_on == "benchmarks"``) or the mean AP over the data root's labelled videos."""
    cfg = variant_config(base, name, artifacts)
    cache = Path(artifacts) / "features"
    data = dataset_from_videos([str(v) for v in pretraining_videos], cfg, cache, progress=False,  # streamed
                               workers=cfg.train.num_workers)
    ckpt = pretrain_variant(base, name, data, artifacts)
    if base.evaluate_on == "benchmarks":
        results = benchmark_results(ckpt, root, Path(artifacts) / "scores" / name, cache, cfg.features.device)
        return {benchmark: r.average for benchmark, r in results.items()}
    aps = evaluate_checkpoint(ckpt, root_features(root, cfg, cache), read_labels(root))
    return {"labelled videos (mean AP)": float(np.mean(list(aps.values())))}
