"""Section III as the model behaves, not only as the equations print (the implementation
notes' fidelity items): each test states a behaviour that a reading of the paper left open."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rasl.clips import clip_set
from rasl.config import PRINTED_LOSSES, RETIRED, ModelConfig, RunConfig, TrainConfig
from rasl.features import Features
from rasl.inference import score_curve
from rasl.losses import (
    identical_steps,
    k_point_eta,
    random_step_mask,
    symmetric_contrastive_loss,
)
from rasl.model import RASLModel
from rasl.train import adapt, load_model, orient, save_checkpoint

pytestmark = pytest.mark.fidelity
TINY = dict(dim=64, clip_steps=12, k=2, channels=(4, 8, 16), psi_channels=8, proj_dim=4)


def _fvs(cfg, b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {
        m: torch.rand(b, cfg.clip_steps, cfg.dim, generator=g) for m in cfg.modalities
    }


def test_masked_steps_share_one_representation():  # item 1: why Eq. (10) alone pushes s to encode the input
    cfg = ModelConfig(**TINY)
    model = RASLModel(cfg)
    x = _fvs(cfg)["visual"]
    x[:, ::2] = 0  # M . rho with every other step masked
    r = model.branches["visual"].encode(model.attended("visual", {"visual": x}))
    masked = r[:, ::2].flatten(2)
    # identical rows
    assert torch.allclose(masked, masked[:, :1].expand_as(masked), atol=1e-6)
    assert not torch.allclose(r[:, 1], r[:, 3])  # unmasked steps differ


def test_standardised_eta_cannot_be_raised_by_an_offset_or_a_scale():  # item 2
    g = torch.Generator().manual_seed(0)
    s, z = torch.randn(3, 10, generator=g), torch.randn(3, 10, 5, generator=g)
    proj = nn.Identity()
    eta, sim = k_point_eta(s, z, 2, proj, proj, proj, standardise=True)
    eta_moved, sim_moved = k_point_eta(
        3 * s + 7, z, 2, proj, proj, proj, standardise=True
    )
    torch.testing.assert_close(eta_moved, eta)
    torch.testing.assert_close(sim_moved, sim)
    # as printed, an offset alone raises eta without changing which steps are on top
    raw, _ = k_point_eta(s, z, 2, proj, proj, proj)
    raised, _ = k_point_eta(s + 7, z, 2, proj, proj, proj)
    assert (raised > raw).all()
    # by hand: s = (0, 1, 2, 3) standardised with the sample std sqrt(5/3); top step 3, bottom step 0, k = 1
    s1 = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    # cos(z3, z0) = 0
    z1 = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 1.0]]])
    eta1, _ = k_point_eta(s1, z1, 1, proj, proj, proj, standardise=True)
    assert eta1.item() == pytest.approx(1.5 / math.sqrt(5 / 3), rel=1e-6)


def test_identical_steps_are_no_negatives():  # item 5
    g = torch.Generator().manual_seed(0)
    a2, v2 = torch.randn(1, 2, 4, generator=g), torch.randn(1, 2, 4, generator=g)

    def tile(x):
        # a clip tiled from a 2-step video: steps 0, 2, 4 are identical
        return x.repeat(1, 3, 1)

    fvs = {"visual": tile(v2), "audio": tile(a2)}
    same = identical_steps(fvs)
    assert same[0, 0].tolist() == [True, False, True, False, True, False]
    for other in (
        "visual",
        "audio",
    ):  # identical in one modality only: still different steps
        one = {**fvs, other: torch.randn(1, 6, 4, generator=g)}
        assert torch.equal(identical_steps(one)[0], torch.eye(6, dtype=torch.bool))
    gamma = torch.tensor(1.0)
    tiled = symmetric_contrastive_loss(tile(a2), tile(v2), gamma, same=same)
    # by hand: each step's negatives are the 3 copies of the other step, never its own copies:
    # -log(e^l_ii / (e^l_ii + 3 e^l_ij)) = log(1 + 3 e^(l_ij - l_ii)), both directions averaged
    logits = math.e * F.normalize(a2[0], dim=-1) @ F.normalize(v2[0], dim=-1).T

    def by_rows(m):
        return (
            sum(math.log(1 + 3 * math.exp(m[i, 1 - i] - m[i, i])) for i in range(2)) / 2
        )

    assert tiled.item() == pytest.approx(
        (by_rows(logits) + by_rows(logits.T)) / 2, rel=1e-5
    )
    # with its own copies as negatives the positive can never win
    assert symmetric_contrastive_loss(tile(a2), tile(v2), gamma).item() > tiled.item()


def _trained(design: str, k: int = 2, seed: int = 0):
    cfg = RunConfig(
        model=ModelConfig(**{**TINY, "k": k}, hidden=16, design=design),
        train=TrainConfig(steps=4, batch_size=2, seed=seed),
    )
    x = torch.rand(
        60, cfg.model.dim, generator=torch.Generator().manual_seed(1)
    ).numpy()
    feats = Features(x, x[::-1].copy(), 12.0, {})
    clips = clip_set({"v": feats}, cfg.model.modalities, cfg.model.clip_steps)
    return adapt(cfg, clips, 4), clips, feats


@pytest.mark.parametrize("design, k", [("printed", 2), ("printed", 0), ("repaired", 2)])
def test_a_sign_flip_of_the_weights_does_not_invert_the_curve(design, k):  # item 3
    model, clips, feats = _trained(design, k)
    curve = score_curve(model, feats)
    ae = model.branches["visual"]
    with torch.no_grad():  # the symmetry: -s, and a decoder that undoes it
        ae.w.weight.neg_()
        ae.decoder[0].weight.neg_()
        terms = model.losses(
            {m: x[:2] for m, x in clips.fvs.items()}, torch.Generator()
        )
    assert score_curve(model, feats)[:3].tolist() != curve[:3].tolist()  # now inverted
    sign = float(model.score_sign)
    assert orient(model, clips, seed=0) == -sign  # oriented again, without labels
    np.testing.assert_allclose(score_curve(model, feats), curve, atol=1e-6)
    assert all(torch.isfinite(t) for t in terms.values())


def test_the_sign_follows_the_difficulty_of_reconstruction_from_context():  # item 3
    model, clips, _ = _trained("printed")
    sign = orient(model, clips, seed=0)
    # by hand: the summed within-clip covariance of s and the masked steps' context error,
    # under the masks a generator seeded 0 draws, as orient draws them
    fvs = {m: x for m, x in clips.fvs.items()}
    with torch.no_grad():
        model.score_sign.fill_(1.0)
        masked = 1 - random_step_mask(
            len(clips), TINY["clip_steps"], 0.5, torch.Generator().manual_seed(0)
        )
        s, e = model.score(fvs), model.context_error(fvs, 1 - masked)
    total = 0.0
    for clip in range(len(clips)):
        idx = masked[clip].bool()
        total += float(
            (
                (s[clip, idx] - s[clip, idx].mean())
                * (e[clip, idx] - e[clip, idx].mean())
            ).sum()
        )
    assert sign == (1.0 if total > 0 else -1.0)


def test_the_sign_is_kept_in_the_checkpoint_and_old_ones_score_unoriented(
    tmp_path,
):  # item 3
    model, _, feats = _trained("printed")
    cfg = RunConfig(model=model.cfg)
    path = save_checkpoint(
        tmp_path / "c.pt", cfg, model, torch.optim.RMSprop(model.parameters()), 4
    )
    model.score_sign.fill_(-1.0)
    path_neg = save_checkpoint(
        tmp_path / "n.pt", cfg, model, torch.optim.RMSprop(model.parameters()), 4
    )
    assert float(load_model(path_neg)[0].score_sign) == -1.0
    state = torch.load(path, weights_only=True)
    del state["model"]["score_sign"]  # as saved before orientation existed
    torch.save(state, tmp_path / "old.pt")
    assert float(load_model(tmp_path / "old.pt")[0].score_sign) == 1.0


def test_minmax_only_skips_the_per_clip_standardisation():  # item 4
    cfg = ModelConfig(**TINY, modalities=("visual",))
    model = RASLModel(cfg).eval()
    x = torch.rand(24, cfg.dim, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        s = model.score({"visual": x.reshape(2, 12, -1)}).flatten()
    curve = score_curve(model, Features(x.numpy(), None, 4.8, {}), standardise=False)
    np.testing.assert_allclose(
        curve, ((s - s.min()) / (s.max() - s.min())).numpy(), atol=1e-6
    )


def test_training_logs_what_the_losses_see():  # item 2
    cfg = ModelConfig(**TINY)
    stats: dict[str, float] = {}
    RASLModel(cfg).losses(_fvs(cfg), torch.Generator().manual_seed(0), stats)
    assert set(stats) == {
        f"{t}/{m}"
        for t in ("eta", "sim", "s_mean", "s_std")
        for m in ("visual", "audio")
    }
    assert -1.0 <= stats["sim/visual"] <= 1.0 and stats["s_std/visual"] > 0


def test_a_config_saved_before_the_switches_loads_as_printed():  # old checkpoints keep their losses
    saved = RunConfig().to_dict()
    for key in PRINTED_LOSSES:
        del saved["model"][key]
    old = RunConfig.from_dict(saved).model
    assert {key: getattr(old, key) for key in PRINTED_LOSSES} == PRINTED_LOSSES
    # today's configs round-trip, with today's defaults
    assert RunConfig.from_dict(RunConfig().to_dict()) == RunConfig()
    assert RunConfig().model.standardise_eta and RunConfig().model.scl_skip_duplicates


def test_a_retired_study_switch_loads_only_when_it_was_off():
    saved = RunConfig().to_dict()
    saved["model"].update(RETIRED)  # as saved while the switches existed, all off
    assert RunConfig.from_dict(saved) == RunConfig()
    saved["model"]["mask_token"] = True
    with pytest.raises(ValueError, match="retired study switch mask_token"):
        RunConfig.from_dict(saved)
