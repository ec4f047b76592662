"""Inference from the visual stream alone: one normalised score per 0.2-s step."""

import numpy as np
import pytest
import torch

from rasl import inference
from rasl.config import FeatureConfig, ModelConfig, RunConfig, TrainConfig
from rasl.features import Features, extract_features
from rasl.files import InputError
from rasl.inference import (
    ADAPT_STEPS,
    adapted_config,
    normalise,
    score_curve,
    score_video,
    standardise_clips,
)
from rasl.model import RASLModel
from rasl.train import build, save_checkpoint

# N = 150
MODEL = ModelConfig(dim=64, k=3, channels=(4, 8, 16), psi_channels=8, proj_dim=4)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return RASLModel(MODEL).eval()


def minmax(s):
    """The expected whole-video normalisation, written out: lowest step 0, highest 1."""
    return ((s - s.min()) / (s.max() - s.min())).numpy()


def video(t, audio=False, seed=0):
    v = np.random.default_rng(seed).random((t, 64), dtype=np.float32)
    return Features(
        visual=v,
        audio=v.copy() if audio else None,
        duration_s=t * 0.2,
        meta={"video": "v.mp4"},
    )


@pytest.mark.parametrize("t", [1, 149, 150, 151, 1000])
def test_one_score_per_step_in_unit_range(model, t):
    s = score_curve(model, video(t))
    assert s.shape == (t,) and s.dtype == np.float32
    assert s.min() >= 0 and s.max() <= 1
    if t > 1:
        assert s.min() == 0 and s.max() == 1


def test_full_clip_scores_equal_the_model_activations_normalised(model):
    f = video(150)
    with torch.no_grad():
        s = model.score({"visual": torch.from_numpy(f.visual)[None]})[0]
    curve = score_curve(model, f)
    assert np.allclose(curve, minmax(s), atol=1e-6)
    # the highest activation scores 1
    assert curve.argmax() == s.argmax() and curve.argmin() == s.argmin()


def test_short_video_is_scored_as_its_repetition(model):
    # a 75-step video is tiled twice to fill its clip: its scores are the first half of
    # the scores of the explicitly doubled 150-step video
    f = video(75)
    doubled = Features(np.concatenate([f.visual, f.visual]), None, 30.0, {})
    with torch.no_grad():
        s = model.score({"visual": torch.from_numpy(doubled.visual)[None]})[0, :75]
    assert np.allclose(score_curve(model, f), minmax(s), atol=1e-6)


def test_forty_clips_in_three_batches_keep_every_step(model):
    # 40 clips (6000 steps) go through batches of 16, 16 and 8: every clip is scored, in
    # order, exactly as in one batch of all 40
    f = video(40 * 150, seed=3)
    curve = score_curve(model, f)
    assert curve.shape == (6000,)
    assert np.allclose(curve, score_curve(model, f, batch_size=40), atol=1e-6)
    with torch.no_grad():
        last = model.score({"visual": torch.from_numpy(f.visual[-150:])[None]})[0]
    assert np.argsort(curve[-150:]).tolist() == np.argsort(last.numpy()).tolist()


def test_clips_are_scored_independently(model):
    # steps 150..299 form the second clip: changing the first clip leaves their raw order intact
    a, b = video(300, seed=1), video(300, seed=2)
    b.visual[150:] = a.visual[150:]
    sa, sb = score_curve(model, a)[150:], score_curve(model, b)[150:]
    assert (np.argsort(sa) == np.argsort(sb)).all()


def test_audio_is_never_needed_but_an_audio_model_asks_for_it():
    torch.manual_seed(0)
    audio_model = RASLModel(
        ModelConfig(**{**MODEL.__dict__, "modalities": ("audio",)})
    ).eval()
    with pytest.raises(InputError, match="v.mp4: this model scores from audio"):
        score_curve(audio_model, video(30))
    assert score_curve(audio_model, video(30, audio=True)).shape == (30,)


def test_normalise_by_hand():
    assert torch.equal(
        normalise(torch.tensor([2.0, 6.0, 3.0, 4.0])),
        torch.tensor([0.0, 1.0, 0.25, 0.5]),
    )
    # a constant curve ranks nothing
    assert torch.equal(normalise(torch.full((5,), 3.0)), torch.zeros(5))


def test_each_clip_is_standardised_before_the_curve_is_normalised(model):
    # a 200-step video: clip 0 holds steps 0..149, clip 1 the 50-step remainder, tiled
    f = video(200)
    with torch.no_grad():
        raw0 = model.score({"visual": torch.from_numpy(f.visual[:150])[None]})[0]
        raw1 = model.score(
            {"visual": torch.from_numpy(np.tile(f.visual[150:], (3, 1)))[None]}
        )[0]
    z0 = (raw0 - raw0.mean()) / raw0.std()
    z1 = (raw1 - raw1.mean()) / raw1.std()
    assert np.allclose(
        score_curve(model, f), minmax(torch.cat([z0, z1[:50]])), atol=1e-5
    )


def test_standardise_clips_by_hand():
    s = torch.tensor([[1.0, 2.0, 3.0], [10.0, 10.0, 10.0], [0.0, 0.0, 30.0]])
    z = standardise_clips(s)
    assert torch.allclose(z[0], torch.tensor([-1.0, 0.0, 1.0]))
    assert torch.equal(z[1], torch.zeros(3))  # a constant clip carries no ranking
    assert torch.allclose(
        z[2], torch.tensor([-10.0, -10.0, 20.0]) / torch.tensor([0.0, 0.0, 30.0]).std()
    )


PIXELS = FeatureConfig(
    visual="pixels", audio="mel"
)  # 1024-d grey levels: no weights, fast
ADAPTING = RunConfig(  # a small model adapting on a video's pixel features
    name="t",
    model=ModelConfig(
        clip_steps=20, k=3, channels=(4, 8, 16), psi_channels=8, proj_dim=4
    ),
    features=PIXELS,
    train=TrainConfig(batch_size=2),
)


def checkpoint(tmp_path, dim):
    """A checkpoint of a fresh visual-only model of feature length ``dim`` on pixel features."""
    model_cfg = ModelConfig(
        dim=dim,
        clip_steps=20,
        k=3,
        channels=(4, 8, 16),
        psi_channels=8,
        proj_dim=4,
        modalities=("visual",),
    )
    cfg = RunConfig(
        name="t",
        model=model_cfg,
        features=PIXELS,
        train=TrainConfig(steps=1),
        out_dir=str(tmp_path),
    )
    model, opt, _ = build(cfg)
    return save_checkpoint(tmp_path / f"d{dim}.pt", cfg, model, opt, 0), model.eval()


def test_a_checkpoint_scores_the_video_with_its_own_encoders(small_video, tmp_path):
    path, model = checkpoint(tmp_path, 1024)
    # its config names the pixel encoder
    curve = score_video(small_video, checkpoint=str(path))
    # 48 steps: clips of 20, 20 and 8
    expected = score_curve(model, extract_features(small_video, PIXELS))
    assert curve.scores.shape == (48,) and np.array_equal(curve.scores, expected)
    assert np.allclose(curve.times_s, np.arange(48) * 0.2)
    assert curve.meta["checkpoint"] == str(path) and curve.meta["adapt_steps"] is None


def test_a_checkpoint_for_other_features_is_one_error(small_video, tmp_path):
    path, _ = checkpoint(tmp_path, 64)
    with pytest.raises(
        InputError, match=r"d64\.pt: model expects 64-d features, encoder gives 1024"
    ):
        score_video(small_video, checkpoint=str(path))


def test_without_a_checkpoint_the_model_adapts_to_the_video(
    small_video, tmp_path, capsys
):
    cfg = ADAPTING
    fresh, adapted = (score_video(small_video, cfg=cfg, adapt_steps=n) for n in (0, 3))
    assert (
        fresh.meta["adapt_steps"] == 0
        and adapted.meta["adapt_steps"] == 3
        and adapted.meta["checkpoint"] is None
    )
    assert adapted.scores.shape == (48,) and not np.allclose(
        fresh.scores, adapted.scores
    )
    default = score_video(small_video, cfg=cfg, cache_dir=str(tmp_path))
    assert (
        default.meta["adapt_steps"] == ADAPT_STEPS
        and len(list(tmp_path.glob("small.*.npz"))) == 1
    )  # cached
    assert capsys.readouterr().err == ""  # no progress bars unless asked
    score_video(small_video, cfg=cfg, adapt_steps=1, progress=True)
    err = capsys.readouterr().err
    # the feature and adaptation bars, when asked
    assert "small.mp4" in err and "adapt" in err


def test_the_adapted_model_pairs_the_audio_when_the_video_has_it():
    base = RunConfig(model=ModelConfig(dim=64))
    with_audio = adapted_config(
        Features(np.zeros((5, 32), np.float32), np.zeros((5, 32), np.float32), 1.0, {}),
        base,
    )
    silent = adapted_config(
        Features(np.zeros((5, 32), np.float32), None, 1.0, {}), base
    )
    assert (with_audio.model.modalities, with_audio.model.dim) == (
        ("visual", "audio"),
        32,
    )
    assert (silent.model.modalities, silent.model.dim) == (("visual",), 32)


def test_self_adaptation_trains_on_clips_of_the_configured_length(
    small_video, monkeypatch
):
    """The clips a video adapts on are as long as the model's ``clip_steps``, not the default 150."""
    lengths = []
    real_adapt = inference.adapt
    monkeypatch.setattr(
        inference,
        "adapt",
        lambda cfg, clips, *a: (
            lengths.append(clips.fvs["visual"].shape[1]) or real_adapt(cfg, clips, *a)
        ),
    )
    cfg = ADAPTING
    score_video(small_video, cfg=cfg, adapt_steps=1)
    assert lengths == [20]
