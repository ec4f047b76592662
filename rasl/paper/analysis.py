"""What the activation learns: how a model's scores relate to label-free signals of its input.

A reader of the tables must see whether RASL detects something that the length of a
feature vector does not; these correlations say it without any label.
"""

from __future__ import annotations

import numpy as np
import torch

from rasl.data import FeatureVideo
from rasl.model import RASLModel
from rasl.paper.baselines import feature_norm, rank_correlation
from rasl.paper.benchmark import Timeline, row_scores


@torch.inference_mode()
def activation_norm_correlation(
    model: RASLModel,
    videos: list[FeatureVideo],
    timeline: Timeline,
    visual: str = "rgb",
) -> float:
    """Mean over videos of the rank correlation between row scores and the visual feature norm:
    near 1 means the activation has become a norm of its input."""
    return float(
        np.mean(
            [
                rank_correlation(
                    row_scores(model, v, timeline, visual),
                    feature_norm(v.features(visual)["visual"]),
                )
                for v in videos
            ]
        )
    )
