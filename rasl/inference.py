"""Inference (Section III-F): a whole video's score curve from the pretrained visual branch.

The feature sequence is cut into 30-s clips (a short video or the remainder is repeated to
fill a clip), each clip is scored by the RASL module, each clip's activation sequence is
standardised, the scores of the original steps are concatenated, and the curve is min-max
normalised over the whole video: one score in [0, 1] per 0.2-s step.

"Concatenate and normalize the highlight score sequences" (III-F) does not say whether
the sequences are normalised one by one. Clips are scored independently and their raw
activations are not on one scale (a tiled remainder can score far above the rest of the
video; the implementation notes measure it), so each clip's sequence is standardised
(zero mean, unit variance over its N steps) before the whole curve is min-max normalised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from rasl.clips import clip_set, cut_clips, stitch
from rasl.config import STEP_S, RunConfig, smoke
from rasl.features import Features, extract_features
from rasl.files import InputError
from rasl.model import RASLModel
from rasl.train import adapt, load_model

# the design that self-adaptation builds: the one the design study finds better on the
# YouTube Highlights train split beyond the spread over seeds, else the paper's
# (rasl.paper.analysis.design_on_train; implementation notes, "Two designs")
DEFAULT_DESIGN = "printed"
ADAPT_STEPS = 10  # self-adaptation steps without a checkpoint (notes: "The tool", without a checkpoint)


@dataclass
class ScoreCurve:
    times_s: np.ndarray  # (T,) start time of each step
    scores: np.ndarray  # (T,) in [0, 1]
    meta: dict = field(default_factory=dict)


def normalise(scores: torch.Tensor) -> torch.Tensor:
    """Min-max over the whole video; a constant curve carries no ranking and becomes 0."""
    lo, hi = scores.min(), scores.max()
    return (scores - lo) / (hi - lo) if hi > lo else torch.zeros_like(scores)


def standardise_clips(s: torch.Tensor) -> torch.Tensor:
    """(C, N) clip activations -> zero mean, unit variance per clip (a constant clip -> 0)."""
    centred = s - s.mean(-1, keepdim=True)
    std = s.std(-1, keepdim=True)
    return torch.where(std > 0, centred / std.clamp_min(1e-12), torch.zeros_like(s))


@torch.inference_mode()
def score_curve(
    model: RASLModel, features: Features, batch_size: int = 16, standardise: bool = True
) -> np.ndarray:
    """(T,) normalised highlight scores of one video from the inputs its model needs.

    ``standardise=False`` skips the per-clip standardisation: whole-video min-max only.
    """
    needed = (
        ("visual", "audio")
        if model.cfg.inference_modality == "fused"
        else (model.cfg.inference_modality,)
    )
    if any(getattr(features, m) is None for m in needed):
        raise InputError(
            features.meta.get("video", "video"),
            "this model scores from audio, but the video has none",
        )
    device = next(model.parameters()).device
    model.eval()
    cut = {
        m: cut_clips(torch.from_numpy(getattr(features, m)), model.cfg.clip_steps)
        for m in needed
    }
    clips = {m: c for m, (c, _) in cut.items()}
    lengths = next(iter(cut.values()))[1]
    n = len(lengths)

    def over_clips(fn) -> torch.Tensor:
        return torch.cat(
            [
                fn({m: c[i : i + batch_size].to(device) for m, c in clips.items()})
                .float()
                .cpu()
                for i in range(0, n, batch_size)
            ]
        )

    # folding costs 2 D^3 and saves 2 D^2 per step
    if n * model.cfg.clip_steps > model.cfg.dim:
        model = model.for_inference()
    s = over_clips(model.score)
    return normalise(
        stitch(standardise_clips(s) if standardise else s, lengths)
    ).numpy()


def adapted_config(features: Features, base: RunConfig) -> RunConfig:
    """The config to adapt on one video: visual-only when the video has no audio track."""
    modalities = ("visual", "audio") if features.audio is not None else ("visual",)
    return base.replace(
        model={"modalities": modalities, "dim": features.visual.shape[1]}
    )


def score_video(
    video: str | Path,
    checkpoint: str | None = None,
    cfg: RunConfig | None = None,
    cache_dir: str | None = None,
    adapt_steps: int | None = None,
    progress: bool = False,
    design: str | None = None,
) -> ScoreCurve:
    """Video -> features -> model -> score curve.

    With ``checkpoint`` the pretrained model scores the video (its encoders and its design
    are the ones it was trained with; a ``design`` given must be that one). Without it a
    model of ``design`` (default ``DEFAULT_DESIGN``) adapts to the video itself:
    ``adapt_steps`` (default ``ADAPT_STEPS``) steps of the pretraining objective on the
    video's own clips.
    """
    cfg = (cfg or smoke()).replace(model={"design": design or DEFAULT_DESIGN})
    if checkpoint:
        model, cfg = load_model(checkpoint, device=cfg.train.device)
        if design not in (None, cfg.model.design):
            raise InputError(checkpoint, f"a {cfg.model.design} model, not {design}")
    features = extract_features(
        video, cfg.features, cache_dir=cache_dir, progress=progress
    )
    if checkpoint is None:
        cfg = adapted_config(features, cfg)
        steps = ADAPT_STEPS if adapt_steps is None else adapt_steps
        model = adapt(
            cfg,
            clip_set(
                {str(video): features}, cfg.model.modalities, cfg.model.clip_steps
            ),
            steps,
            progress,
        )
    elif features.visual.shape[1] != cfg.model.dim:
        raise InputError(
            checkpoint,
            f"model expects {cfg.model.dim}-d features, encoder gives {features.visual.shape[1]}",
        )
    scores = score_curve(model, features)
    meta = {
        "video": str(video),
        "checkpoint": checkpoint,
        "adapt_steps": None if checkpoint else steps,
        **features.meta,
    }
    return ScoreCurve(np.arange(len(scores)) * STEP_S, scores, meta)
