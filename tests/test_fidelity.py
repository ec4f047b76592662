"""Section III as the model behaves, not only as the equations print (the implementation
notes' fidelity items): each test states a behaviour that a reading of the paper left open."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rasl.config import ModelConfig
from rasl.features import Features
from rasl.inference import orientation, score_curve
from rasl.losses import identical_steps, k_point_eta, symmetric_contrastive_loss
from rasl.model import RASLModel

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
    assert torch.allclose(
        masked, masked[:, :1].expand_as(masked), atol=1e-6
    )  # identical rows
    assert not torch.allclose(r[:, 1], r[:, 3])  # unmasked steps differ


@pytest.mark.parametrize("detach", [False, True])
def test_aux_detach_s_stops_eq10_from_training_the_activation(detach):  # item 1
    cfg = ModelConfig(**TINY, aux_detach_s=detach, modalities=("visual",))
    torch.manual_seed(0)  # the weights must not depend on which tests ran before
    model = RASLModel(cfg)
    terms = model.losses(_fvs(cfg), torch.Generator().manual_seed(0))
    w = model.branches["visual"].w.weight
    (grad,) = torch.autograd.grad(
        terms["L_au/visual"], w, allow_unused=True, retain_graph=True
    )
    reaches = grad is not None and bool(grad.abs().sum() > 0)
    assert reaches is not detach
    (grad_e,) = torch.autograd.grad(terms["L_e/visual"], w)
    assert grad_e.abs().sum() > 0  # Eq. (5) still trains s


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
    z1 = torch.tensor(
        [[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 1.0]]]
    )  # cos(z3, z0) = 0
    eta1, _ = k_point_eta(s1, z1, 1, proj, proj, proj, standardise=True)
    assert eta1.item() == pytest.approx(1.5 / math.sqrt(5 / 3), rel=1e-6)


def test_centred_scl_ignores_a_component_every_step_shares():  # item 0
    g = torch.Generator().manual_seed(0)
    a, v = torch.randn(2, 6, 8, generator=g), torch.randn(2, 6, 8, generator=g)
    shared = 50 * torch.rand(
        8, generator=g
    )  # a large positive component, as the ReLU-ed maps have
    gamma = torch.tensor(3.1)
    centred = symmetric_contrastive_loss(a, v, gamma, centre=True)
    assert symmetric_contrastive_loss(
        a + shared, v + shared, gamma, centre=True
    ).item() == pytest.approx(centred.item(), rel=1e-5)
    # without centring the shared component makes every cosine ~1: the loss goes to log N
    flat = symmetric_contrastive_loss(a + shared, v + shared, gamma).item()
    assert abs(flat - math.log(6)) < 0.05 < abs(centred.item() - math.log(6))


def test_identical_steps_are_no_negatives():  # item 5
    g = torch.Generator().manual_seed(0)
    a2, v2 = torch.randn(1, 2, 4, generator=g), torch.randn(1, 2, 4, generator=g)

    def tile(x):
        return x.repeat(
            1, 3, 1
        )  # a clip tiled from a 2-step video: steps 0, 2, 4 are identical

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


def test_orientation_follows_the_reconstruction_error():  # item 3
    s = torch.tensor([0.0, 1.0, 2.0, 3.0])
    assert orientation(s, torch.tensor([0.1, 0.2, 0.3, 0.5])) == 1.0
    assert orientation(s, torch.tensor([0.5, 0.3, 0.2, 0.1])) == -1.0


def test_without_rasl_the_curve_is_oriented_by_the_error():  # item 3
    cfg = ModelConfig(**{**TINY, "k": 0}, modalities=("visual",))
    model = RASLModel(cfg).eval()
    x = torch.rand(24, cfg.dim, generator=torch.Generator().manual_seed(1))
    feats = Features(x.numpy(), None, 4.8, {})
    curve = score_curve(model, feats, standardise=False)
    with torch.no_grad():
        err = model.reconstruction_error({"visual": x.reshape(2, 12, -1)}).flatten()
    assert np.corrcoef(curve, err.numpy())[0, 1] > 0
    # the symmetry of k = 0: -s with a negated first decoder layer reconstructs the same; same curve
    ae = model.branches["visual"]
    with torch.no_grad():
        ae.w.weight.neg_()
        ae.decoder[0].weight.neg_()
    np.testing.assert_allclose(
        score_curve(model, feats, standardise=False), curve, atol=1e-6
    )


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


def test_separate_projections_can_oppose_any_pair_a_shared_one_cannot():  # item 2
    cfg = ModelConfig(**TINY)
    ae = RASLModel(cfg).branches["visual"]
    z = torch.rand(
        1, cfg.clip_steps, ae.w.in_features, generator=torch.Generator().manual_seed(3)
    )
    z[:, :] = z[:, :1]  # every step the same: nothing distinguishes top from bottom
    s = torch.arange(float(cfg.clip_steps))[None]
    with torch.no_grad():
        ae.project_bottom[0].weight.copy_(-ae.project_top[0].weight)  # W' = -W^
    _, sim = k_point_eta(s, z, cfg.k, nn.Identity(), ae.project_top, ae.project_bottom)
    torch.testing.assert_close(
        sim, torch.full_like(sim, -1.0)
    )  # 1 - sim = 2: the most eta can gain
    shared = RASLModel(ModelConfig(**TINY, shared_projection=True)).branches["visual"]
    assert shared.project_bottom is shared.project_top
    _, sim = k_point_eta(
        s, z, cfg.k, nn.Identity(), shared.project_top, shared.project_bottom
    )
    torch.testing.assert_close(
        sim, torch.ones_like(sim)
    )  # identical steps stay identical: no gain


def test_a_config_saved_before_the_switches_loads_as_printed():  # old checkpoints keep their losses
    from rasl.config import PRINTED_LOSSES, RunConfig

    saved = RunConfig().to_dict()
    for key in PRINTED_LOSSES:
        del saved["model"][key]
    old = RunConfig.from_dict(saved).model
    assert {key: getattr(old, key) for key in PRINTED_LOSSES} == PRINTED_LOSSES
    assert (
        RunConfig.from_dict(RunConfig().to_dict()) == RunConfig()
    )  # today's configs round-trip
    assert (
        RunConfig().model.standardise_eta and RunConfig().model.scl_skip_duplicates
    )  # today's defaults


def test_mask_token_and_positions_give_masked_steps_their_own_representation():  # item 1
    cfg = ModelConfig(**TINY, mask_token=True)
    torch.manual_seed(0)
    model = RASLModel(cfg)
    mask = torch.ones(2, cfg.clip_steps)
    mask[:, ::2] = 0
    x = (
        _fvs(cfg)["visual"] * mask[..., None]
        + (1 - mask[..., None]) * model.mask_token["visual"]
    )
    r = (
        model.branches["visual"]
        .encode(model.attended("visual", {"visual": x}))
        .flatten(2)
    )
    masked = r[:, ::2]
    assert (
        masked[:, 1:] - masked[:, :1]
    ).abs().amax() > 1e-4  # positions tell the masked steps apart
    # the same clip at another offset within the window is another input: positions are part of F^m
    shifted = model.attended("visual", {"visual": x.roll(1, dims=1)})
    assert not torch.allclose(
        shifted.roll(-1, dims=1), model.attended("visual", {"visual": x})
    )


def test_scl_embedding_is_what_eq9_compares():  # item 0
    cfg = ModelConfig(**TINY, scl_embed=3)
    torch.manual_seed(0)
    model = RASLModel(cfg)
    fvs = _fvs(cfg)
    with (
        torch.no_grad()
    ):  # embeddings that are 0 for every step: all logits equal, L_s = log N exactly
        model.embed["audio"].weight.zero_()
    l_s = model.losses(fvs, torch.Generator().manual_seed(0))["L_s"]
    assert l_s.item() == pytest.approx(math.log(cfg.clip_steps), abs=1e-5)
    torch.manual_seed(0)
    model = RASLModel(cfg)
    l_s = model.losses(fvs, torch.Generator().manual_seed(0))["L_s"]
    grads = torch.autograd.grad(
        l_s, [model.embed["visual"].weight, model.attend["audio"].w_v.weight]
    )
    assert all(
        g.abs().sum() > 0 for g in grads
    )  # the embedding and the branch below it both learn from Eq. (9)
    assert model.embed["visual"].weight.shape == (3, 16 * (64 // 8))


@pytest.mark.parametrize("scaling", ["rms", "zscore"])
def test_input_scaling_is_fitted_on_the_corpus_and_kept_for_inference(
    scaling, tmp_path
):  # item 0
    cfg = ModelConfig(**TINY, input_scaling=scaling)
    torch.manual_seed(0)
    model = RASLModel(cfg)
    g = torch.Generator().manual_seed(1)
    corpus = {
        m: 0.2 + 0.05 * torch.randn(40, cfg.clip_steps, cfg.dim, generator=g)
        for m in cfg.modalities
    }
    model.fit_input_statistics(corpus)
    seen = model.scaled(corpus)["visual"].reshape(-1, cfg.dim)
    if (
        scaling == "zscore"
    ):  # every dimension has zero mean and unit spread over the corpus
        torch.testing.assert_close(
            seen.mean(0), torch.zeros(cfg.dim), atol=1e-5, rtol=0
        )
        torch.testing.assert_close(seen.std(0), torch.ones(cfg.dim), atol=1e-5, rtol=0)
    else:  # one factor: unit root mean square, the rows' order by norm unchanged
        assert seen.pow(2).mean().sqrt().item() == pytest.approx(1.0, abs=1e-5)
        raw = corpus["visual"].reshape(-1, cfg.dim)
        assert torch.equal(seen.norm(dim=-1).argsort(), raw.norm(dim=-1).argsort())
    torch.save(model.state_dict(), tmp_path / "m.pt")
    loaded = RASLModel(cfg)
    loaded.load_state_dict(torch.load(tmp_path / "m.pt"))
    clip = {m: x[:2] for m, x in corpus.items()}
    torch.testing.assert_close(loaded.eval().score(clip), model.eval().score(clip))
