"""What the activation learns: correlations with label-free signals, context scores, the
design study's summaries."""

import csv

import numpy as np
import pytest
import torch

from rasl.config import ModelConfig
from rasl.data import FeatureVideo
from rasl.inference import DEFAULT_DESIGN
from rasl.losses import random_step_mask
from rasl.model import RASLModel
from rasl.paper.analysis import (
    context_scores,
    design_on_train,
    read_study,
    score_correlations,
    summarise_study,
)
from rasl.paper.benchmark import Timeline
from rasl.paper.book import ROOT

CFG = ModelConfig(
    dim=64, clip_steps=8, k=1, channels=(4, 8, 16), psi_channels=8, proj_dim=4
)


@pytest.fixture
def video(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "v.npz"
    rows = {s: rng.random((12, 64), dtype=np.float32) for s in ("rgb", "flow")}
    np.savez(path, **rows, audio=rng.random((12, 128), dtype=np.float32))
    return FeatureVideo("v", "youtube", "dog", "val", np.ones(12, dtype=int), path)


def test_context_scores_average_each_rows_error_over_the_times_it_is_masked(video):
    torch.manual_seed(0)
    model = RASLModel(CFG).eval()
    timeline = Timeline("t", clip_steps=8, k=1)
    scores = context_scores(model, video, timeline, masks=1, seed=3)
    assert scores.shape == (12,) and np.all(scores > 0)
    # by hand with the one mask the generator draws: each step counts where it is masked
    x = torch.from_numpy(video.features()["visual"])
    clips = {
        m: torch.stack([t[:8], torch.cat([t[8:], t[8:]])])
        for m, t in (
            ("visual", x),
            ("audio", torch.from_numpy(video.features()["audio"])),
        )
    }
    keep = random_step_mask(2, 8, 0.5, torch.Generator().manual_seed(3))
    with torch.no_grad():
        total = (1 - keep) * model.context_error(
            clips, keep
        ) + keep * model.context_error(clips, 1 - keep)
    np.testing.assert_allclose(
        scores, torch.cat([total[0], total[1, :4]]).numpy(), rtol=1e-5
    )


def test_a_score_that_is_the_rgb_norm_correlates_one(video, monkeypatch):
    norm = np.linalg.norm(video.stream("rgb"), axis=1)
    monkeypatch.setattr("rasl.paper.analysis.row_scores", lambda *a: norm)
    (corr,) = score_correlations(None, [video], Timeline("t", 8, 1)).values()
    assert corr["norm (rgb)"] == pytest.approx(1.0)
    assert -1 <= corr["norm (flow)"] <= 1 and -1 <= corr["distinctiveness (rgb)"] <= 1


def test_summarise_study_by_hand(tmp_path):
    path = tmp_path / "s.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["design", "seed", "mAP_train", "L_s"])
        w.writerows(
            [
                ["printed", 0, 0.5, ""],
                ["printed", 1, 0.7, ""],
                ["repaired", 0, 0.6, 2.0],
            ]
        )
    rows = read_study(path)
    # the settings the study's first rows ran with, having no column for them
    assert rows[0] == {
        "scl_weight": 1.0,
        "lr": 1e-3,
        "scl_on": "r",
        "design": "printed",
        "seed": 0.0,
        "mAP_train": 0.5,
    }
    printed, repaired = summarise_study(rows, ("design",), ["mAP_train", "L_s"])
    assert printed["seeds"] == 2 and printed["mAP_train"] == pytest.approx(0.6)
    assert printed["mAP_train std"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert (
        printed["L_s"] is None
        and repaired["L_s"] == 2.0
        and repaired["L_s std"] is None
    )


def test_design_on_train_by_hand():
    def run(design, mAP, visual="rgb", share=1.0):
        return dict(design=design, visual=visual, share=share, mAP_train=mAP)

    rows = [
        run("printed", 0.50),
        run("printed", 0.52),  # 0.51 ± 0.014
        run("repaired", 0.54),
        run("repaired", 0.56),  # 0.55 ± 0.014: wholly above
        # other settings do not vote, however high
        run("printed", 0.99, visual="flow"),
        run("printed", 0.99, share=0.25),
    ]
    assert design_on_train(rows) == "repaired"
    rows[1]["mAP_train"] = 0.60  # printed 0.55 ± 0.071: the intervals overlap
    assert design_on_train(rows) == "printed"
    rows[0]["mAP_train"] = 0.58  # printed 0.59 ± 0.014, above repaired's interval
    assert design_on_train(rows) == "printed"
    rows[2:4] = [run("repaired", 0.70), run("repaired", 0.72)]
    assert design_on_train(rows) == "repaired"


def test_the_tools_default_design_is_the_committed_studys_choice():
    study = read_study(ROOT / "results" / "fidelity" / "design_study.csv")
    assert DEFAULT_DESIGN == design_on_train(study)
