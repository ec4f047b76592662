"""What the activation learns: how a model's scores relate to label-free signals of its input.

A reader of the tables must see whether RASL detects something that the length of a
feature vector does not; these correlations say it without any label. And Fig. 1's
argument made a score: how hard each step is to rebuild from its context.
"""

from __future__ import annotations

import csv

import numpy as np
import torch

from rasl.clips import cut_clips, stitch
from rasl.config import ModelConfig, TrainConfig
from rasl.data import FeatureVideo
from rasl.losses import random_step_mask
from rasl.model import RASLModel
from rasl.paper.baselines import BASELINES, rank_correlation
from rasl.paper.benchmark import Timeline, row_scores, video_features

# the label-free signals a model's scores are compared with
SIGNALS = ("norm (rgb)", "norm (flow)", "distinctiveness (rgb)")


@torch.inference_mode()
def score_correlations(
    model: RASLModel,
    videos: list[FeatureVideo],
    timeline: Timeline,
    visual: str = "rgb",
) -> dict[str, dict[str, float]]:
    """Per video id, the rank correlation (:func:`rasl.paper.baselines.rank_correlation`)
    of the model's row scores with each label-free signal of :data:`SIGNALS`."""
    out = {}
    for v in videos:
        scores = row_scores(model, v, timeline, visual)
        out[v.video_id] = {
            s: rank_correlation(scores, BASELINES[s](v)) for s in SIGNALS
        }
    return out


@torch.inference_mode()
def context_scores(
    model: RASLModel,
    video: FeatureVideo,
    timeline: Timeline,
    visual: str = "rgb",
    masks: int = 4,
    seed: int = 0,
) -> np.ndarray:
    """(n,) a label-free score per feature row: its error of reconstruction from context
    (:meth:`rasl.model.RASLModel.context_error`), averaged over the times it is masked.

    Each of ``masks`` random masks M of Eq. (10) (the model's mask ratio, a generator
    seeded ``seed``) is used with its complement, so every step is masked ``masks`` times.
    Fig. 1's argument is that highlights are the steps this error is high for.
    """
    features = video_features(video, visual, timeline.repeat)
    n = model.cfg.clip_steps
    clips = {
        m: cut_clips(torch.from_numpy(getattr(features, m)), n)[0]
        for m in ("visual", "audio")
    }
    lengths = cut_clips(torch.from_numpy(features.visual), n)[1]
    gen, total = torch.Generator().manual_seed(seed), torch.zeros(len(lengths), n)
    for _ in range(masks):
        keep = random_step_mask(len(lengths), n, model.cfg.mask_ratio, gen)
        for k in (keep, 1 - keep):
            total += (1 - k) * model.context_error(clips, k)
    steps = stitch(total / masks, lengths).numpy()
    return steps.reshape(-1, timeline.repeat).mean(axis=1)


# settings of the design study that its first rows have no column for: they ran with these
STUDY_DEFAULTS = {
    "scl_weight": ModelConfig().scl_weight,
    "lr": TrainConfig().lr,
    "scl_on": ModelConfig().scl_on,
}


def read_study(path) -> list[dict]:
    """The rows of ``experiments/design_study.py``'s CSV, numbers as floats, with
    :data:`STUDY_DEFAULTS` where a row has no value of its own."""

    def value(text: str):
        try:
            return float(text)
        except ValueError:
            return text

    with open(path, newline="") as f:
        return [
            {**STUDY_DEFAULTS, **{k: value(v) for k, v in row.items() if v != ""}}
            for row in csv.DictReader(f)
        ]


def summarise_study(
    rows: list[dict], by: tuple[str, ...], columns: list[str]
) -> list[dict]:
    """Per group of ``by`` (in first-seen order): the number of seeds and, per column, the
    mean and sample standard deviation (ddof 1) over the group's runs."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[b] for b in by), []).append(r)
    out = []
    for key, group in groups.items():
        row = {**dict(zip(by, key)), "seeds": len(group)}
        for c in columns:
            values = [r[c] for r in group if c in r]
            row[c] = float(np.mean(values)) if values else None
            row[f"{c} std"] = float(np.std(values, ddof=1)) if len(values) > 1 else None
        out.append(row)
    return out


def train_intervals(
    rows: list[dict], by: tuple[str, ...] = ("design",)
) -> dict[tuple, tuple[float, float]]:
    """Per group of ``by`` (keyed by its values), the mAP_train interval, mean ± one std
    over seeds, in the design study's main setting (rgb as the visual stream, every
    pretraining video)."""
    base = [r for r in rows if r["visual"] == "rgb" and r["share"] == 1.0]
    return {
        tuple(r[b] for b in by): (
            r["mAP_train"] - (r["mAP_train std"] or 0.0),
            r["mAP_train"] + (r["mAP_train std"] or 0.0),
        )
        for r in summarise_study(base, by, ["mAP_train"])
    }


def separated_design(rows: list[dict]) -> str | None:
    """The design whose :func:`train_intervals` interval lies wholly above every other
    design's (the ledger's rule for an ordering), or None when the intervals overlap."""
    intervals = train_intervals(rows)
    for (design,), (low, _) in intervals.items():
        if all(low > high for d, (_, high) in intervals.items() if d != (design,)):
            return design
    return None


def design_on_train(rows: list[dict]) -> str:
    """The design the YouTube Highlights train split supports, the choice behind
    ``rasl.inference.DEFAULT_DESIGN``: :func:`separated_design`, or ``"printed"``, the
    paper's, when the train split separates none: a departure from the paper has to be
    measured better, not only have the higher mean."""
    return separated_design(rows) or "printed"
