"""Inference from the visual stream alone: one normalised score per 0.2-s step."""

import numpy as np
import pytest
import torch

from rasl.config import ModelConfig
from rasl.features import Features
from rasl.files import InputError
from rasl.inference import normalise, score_curve, standardise_clips
from rasl.model import RASLModel

MODEL = ModelConfig(dim=64, k=3, channels=(4, 8, 16), psi_channels=8, proj_dim=4)  # N = 150


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return RASLModel(MODEL).eval()


def video(t, audio=False, seed=0):
    v = np.random.default_rng(seed).random((t, 64), dtype=np.float32)
    return Features(visual=v, audio=v.copy() if audio else None, duration_s=t * 0.2, meta={"video": "v.mp4"})


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
    assert np.allclose(score_curve(model, f), normalise(s).numpy(), atol=1e-6)


def test_short_video_is_scored_as_its_repetition(model):
    # a 75-step video is tiled twice to fill its clip: its scores are the first half of
    # the scores of the explicitly doubled 150-step video
    f = video(75)
    doubled = Features(np.concatenate([f.visual, f.visual]), None, 30.0, {})
    with torch.no_grad():
        s = model.score({"visual": torch.from_numpy(doubled.visual)[None]})[0, :75]
    assert np.allclose(score_curve(model, f), normalise(s).numpy(), atol=1e-6)


def test_clips_are_scored_independently(model):
    # steps 150..299 form the second clip: changing the first clip leaves their raw order intact
    a, b = video(300, seed=1), video(300, seed=2)
    b.visual[150:] = a.visual[150:]
    sa, sb = score_curve(model, a)[150:], score_curve(model, b)[150:]
    assert (np.argsort(sa) == np.argsort(sb)).all()


def test_audio_is_never_needed_but_an_audio_model_asks_for_it():
    torch.manual_seed(0)
    audio_model = RASLModel(ModelConfig(**{**MODEL.__dict__, "modalities": ("audio",)})).eval()
    with pytest.raises(InputError, match="v.mp4: this model scores from audio"):
        score_curve(audio_model, video(30))
    assert score_curve(audio_model, video(30, audio=True)).shape == (30,)


def test_constant_curve_normalises_to_zero():
    assert torch.equal(normalise(torch.full((5,), 3.0)), torch.zeros(5))


def test_each_clip_is_standardised_before_the_curve_is_normalised(model):
    # a 200-step video: clip 0 holds steps 0..149, clip 1 the 50-step remainder, tiled
    f = video(200)
    with torch.no_grad():
        raw0 = model.score({"visual": torch.from_numpy(f.visual[:150])[None]})[0]
        raw1 = model.score({"visual": torch.from_numpy(np.tile(f.visual[150:], (3, 1)))[None]})[0]
    z0 = (raw0 - raw0.mean()) / raw0.std()
    z1 = (raw1 - raw1.mean()) / raw1.std()
    expected = normalise(torch.cat([z0, z1[:50]]))
    assert np.allclose(score_curve(model, f), expected.numpy(), atol=1e-5)


def test_standardise_clips_by_hand():
    s = torch.tensor([[1.0, 2.0, 3.0], [10.0, 10.0, 10.0], [0.0, 0.0, 30.0]])
    z = standardise_clips(s)
    assert torch.allclose(z[0], torch.tensor([-1.0, 0.0, 1.0]))
    assert torch.equal(z[1], torch.zeros(3))  # a constant clip carries no ranking
    assert torch.allclose(z[2], torch.tensor([-10.0, -10.0, 20.0]) / torch.tensor([0.0, 0.0, 30.0]).std())
