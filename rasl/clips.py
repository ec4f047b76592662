"""Cutting a feature sequence into the model's 30-s clips and stitching scores back.

Section III-F: a video longer than 30 s is split into consecutive clips of N = 150 steps;
a video shorter than a clip, or the remainder after the last full clip, is repeated until
it fills a clip, and only the part that belongs to the original is kept at inference.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import torch
from tqdm import tqdm

from rasl.config import CLIP_STEPS, RunConfig
from rasl.data import list_videos
from rasl.features import Features, extract_features
from rasl.files import InputError


def cut_clips(seq: torch.Tensor, n: int = CLIP_STEPS) -> tuple[torch.Tensor, list[int]]:
    """(T, D) -> clips (C, n, D) and, per clip, how many leading steps are original.

    The remainder (and a sequence shorter than ``n``) is tiled from its own first step
    until it is ``n`` long, so every clip holds real, contiguous content.
    """
    t = seq.shape[0]
    if t == 0:
        raise ValueError("cannot cut an empty sequence into clips")
    starts = range(0, t, n)
    clips, lengths = [], []
    for s in starts:
        part = seq[s : s + n]
        lengths.append(part.shape[0])
        reps = -(-n // part.shape[0])  # ceil
        clips.append(part.repeat(reps, *([1] * (seq.dim() - 1)))[:n])
    return torch.stack(clips), lengths


def stitch(clip_values: torch.Tensor, lengths: list[int]) -> torch.Tensor:
    """(C, n) per-clip values -> (T,) keeping only each clip's original steps."""
    if len(clip_values) != len(lengths):
        raise ValueError(f"{len(clip_values)} clips of values for {len(lengths)} clips cut")
    return torch.cat([v[:length] for v, length in zip(clip_values, lengths)])


@dataclass
class ClipSet:
    """Pretraining clips: modality -> (C, N, D) float32, with the video each clip came from,
    and the videos left out because they lack a modality (no sound track)."""

    fvs: dict[str, torch.Tensor]
    sources: list[str]
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sources)

    def batch(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        return {m: x[idx] for m, x in self.fvs.items()}


def clip_set(features: dict[str, Features], modalities: tuple[str, ...], n: int = CLIP_STEPS) -> ClipSet:
    """Cut every video's FVS into clips of the given modalities.

    A video without an audio track cannot feed an audio branch: when "audio" is among
    ``modalities`` such videos are left out, listed in ``skipped`` and counted in a warning.
    """
    per_modality: dict[str, list[torch.Tensor]] = {m: [] for m in modalities}
    sources: list[str] = []
    skipped: list[str] = []
    for name, f in features.items():
        if any(getattr(f, m) is None for m in modalities):  # modalities name Features' fields
            skipped.append(name)
            continue
        for m in modalities:
            clips, _ = cut_clips(torch.from_numpy(getattr(f, m)), n)
            per_modality[m].append(clips)
        sources += [name] * clips.shape[0]
    if not sources:
        raise ValueError(f"no video has every modality in {modalities}")
    if skipped:
        warnings.warn(f"{len(skipped)} of {len(features)} videos have no audio track and are left out of "
                      f"pretraining with audio: {', '.join(skipped)}", stacklevel=2)
    return ClipSet({m: torch.cat(c) for m, c in per_modality.items()}, sources, skipped)


def clips_from_videos(inputs: list[str], cfg: RunConfig, cache_dir: str | None, progress: bool = True) -> ClipSet:
    """Videos (files or folders) -> cached features -> the pretraining clips of ``cfg``."""
    videos = [v for path in inputs for v in list_videos(path)]
    if not videos:
        raise InputError(", ".join(inputs), "no video files found")
    feats = {str(v): extract_features(v, cfg.features, cache_dir=cache_dir) for v in tqdm(videos, "features", disable=not progress)}
    return clip_set(feats, cfg.model.modalities, cfg.model.clip_steps)
