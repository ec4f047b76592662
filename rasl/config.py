"""One typed configuration describes a run; profiles are values of it.

The clip geometry of Section III-F is defined here once and imported everywhere else:
frames are sampled every ``STEP_S`` = 0.2 s and the model sees clips of ``CLIP_S`` = 30 s,
i.e. ``CLIP_STEPS`` = 150 feature vectors.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

STEP_S = 0.2  # seconds between two sampled frames (5 frames per second)
CLIP_S = 30.0  # seconds per model clip
CLIP_STEPS = round(CLIP_S / STEP_S)  # 150 feature vectors per clip (N in the paper)

MODALITIES = ("visual", "audio")
FUSIONS = ("scl", "sum", "concat", "mlp", "lowrank")
DESIGNS = ("printed", "repaired")  # the two designs of the model (implementation notes)
# where Eq. (9) compares the modalities (ModelConfig.scl_on, rasl.model.InputMap)
SCL_ON = ("r", "input", "input_lowrank")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and loss switches of Section III; every ablation is a value here."""

    dim: int = 1024  # d_v = d_a: feature length after the audio interpolation (III-F)
    clip_steps: int = CLIP_STEPS  # N
    channels: tuple[int, ...] = (8, 16, 32)  # encoder conv widths; decoder mirrors them
    kernel_size: int = 3
    psi_channels: int = 32  # width of psi, Eq. (4)
    proj_dim: int = 8  # rows of W_hat / W_check, Eq. (8)
    k: int = 10  # top-k / bottom-k, Eq. (6)-(8); 0 disables L_r ("w/o RASL")
    # False: eta = mean of the top-k activations (Fig. 6)
    k_point_contrastive: bool = True
    # eta of Eq. (8) from the clip's standardised s (notes: fidelity 2)
    standardise_eta: bool = True
    # identical steps of a tiled clip are no negatives in Eq. (9)
    scl_skip_duplicates: bool = True
    self_attention: bool = True  # False: F^m is the identity ("w/o SA")
    auxiliary: bool = True  # masked FVS reconstruction, Eq. (10)
    mask_ratio: float = 0.5  # share of feature vectors that M masks
    # ("visual",) / ("audio",): single-modality pretraining
    modalities: tuple[str, ...] = MODALITIES
    # "scl": two branches + Eq. (9); else Table IV's fusion into one branch
    fusion: str = "scl"
    # Gamma of Eq. (9), a log-scale (see implementation notes)
    temperature_init: float = 3.1
    # weight of L_s in Eq. (11); 1: the plain sum as printed (notes: "Two designs", 1.)
    scl_weight: float = 1.0
    lowrank_rank: int = 4  # rank of the low-rank fusion (Ye et al.), Table IV only
    design: str = (
        "printed"  # "printed": Section III as printed; "repaired": see the notes
    )
    hidden: int = 256  # width of the repaired design's per-step maps (StepAutoencoder)
    # what Eq. (9) compares: "r", the branches' representations as printed; "input" and
    # "input_lowrank", a per-modality linear map of the input rows that also feeds F^m
    # (rasl.model.InputMap; notes: "Two designs", 1.)
    scl_on: str = "r"

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise ValueError(f"design must be one of {DESIGNS}, got {self.design!r}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {self.fusion!r}")
        if not self.modalities or any(m not in MODALITIES for m in self.modalities):
            raise ValueError(f"modalities must be a non-empty subset of {MODALITIES}")
        if self.fusion != "scl" and set(self.modalities) != set(MODALITIES):
            raise ValueError("a fusion scheme needs both modalities")
        if self.scl_on not in SCL_ON:
            raise ValueError(f"scl_on must be one of {SCL_ON}, got {self.scl_on!r}")
        if self.scl_weight < 0:
            raise ValueError(f"scl_weight must be >= 0, got {self.scl_weight}")
        if self.k < 0 or 2 * self.k > self.clip_steps:
            raise ValueError(f"k must be in [0, clip_steps/2], got {self.k}")
        if self.design == "printed" and self.dim % 2 ** len(self.channels):
            raise ValueError(f"dim must be divisible by {2 ** len(self.channels)}")

    @property
    def inference_modality(self) -> str:
        """The branch that scores at inference: visual whenever it was pretrained."""
        return "fused" if self.fusion != "scl" else self.modalities[0]


# The fidelity switches of ModelConfig as they were before they existed (the equations as
# printed): what a checkpoint saved without them was trained with.
PRINTED_LOSSES = {
    "standardise_eta": False,
    "scl_skip_duplicates": False,
    "design": "printed",
}
# Study switches that lost (implementation notes, "Fidelity study") and are gone, with the
# value that meant "off": a checkpoint trained with one of them on cannot be rebuilt.
RETIRED = {
    "shared_projection": False,
    "centre_scl": False,
    "scl_embed": 0,
    "aux_detach_s": False,
    "mask_token": False,
    "input_scaling": "none",
}


@dataclass(frozen=True)
class FeatureConfig:
    """Which encoders turn a video into its two feature vector sequences (III-A)."""

    visual: str = "swin"
    audio: str = "hubert"
    device: str = "cpu"
    # frames per encoder call (8 is fastest on CPU; larger on a GPU)
    batch_size: int = 8
    weights: str | None = None  # local weights file for the visual encoder, if any
    audio_weights: str | None = None  # local weights file for the audio encoder, if any
    # the visual encoder under bfloat16 autocast; None: wherever the device computes bf16
    # natively (a CUDA GPU, a CPU with AVX512-BF16 or AMX), fp32 elsewhere
    bf16: bool | None = False


@dataclass(frozen=True)
class TrainConfig:
    """Pretraining, Algorithm 1."""

    steps: int = 20000
    batch_size: int = 8
    lr: float = 1e-3  # RMSprop
    seed: int = 0
    device: str = "cpu"
    # bfloat16 autocast; None: wherever the device computes bf16 natively (a CUDA GPU, a CPU
    # with AVX512-BF16 or AMX). Faster there, but on the benchmark features it learns a worse
    # model, so float32 is the default (notes: "Precision").
    bf16: bool | None = False
    checkpoint_every: int = 1000
    num_workers: int = 0
    # torch.compile the objective: the same losses (tested) after a compilation per model;
    # slower than eager on CPU (the masked pass's kept-step count breaks the graph), kept for
    # GPUs (notes: "Speed")
    compile: bool = False


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs; saved inside every checkpoint."""

    name: str = "custom"  # a label for logs and checkpoints; nothing branches on it
    model: ModelConfig = field(default_factory=ModelConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data_root: str | None = None  # RASL_DATA; None means the generated demo set
    out_dir: str = "artifacts"
    pretrain_on: str = "videos"  # the data root's folder of pretraining videos ("activitynet" in the paper)
    # "labelled": videos/labels.csv; "benchmarks": the benchmark videos
    evaluate_on: str = "labelled"

    def replace(self, **sections) -> "RunConfig":
        """A copy with whole sections or sections' fields replaced.

        ``cfg.replace(model={"k": 0})`` changes one field of one section.
        """
        changes = {}
        for key, value in sections.items():
            current = getattr(self, key)
            if isinstance(value, dict) and dataclasses.is_dataclass(current):
                value = dataclasses.replace(current, **value)
            changes[key] = value
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        # a config saved before a switch existed ran without it
        model = {**PRINTED_LOSSES, **d["model"]}
        for key, off in RETIRED.items():
            if model.pop(key, off) != off:
                raise ValueError(
                    f"trained with the retired study switch {key}; "
                    "this version of rasl cannot rebuild that model"
                )
        model["channels"] = tuple(model["channels"])
        model["modalities"] = tuple(model["modalities"])
        return cls(
            name=d["name"],
            model=ModelConfig(**model),
            features=FeatureConfig(**d["features"]),
            train=TrainConfig(**d["train"]),
            data_root=d["data_root"],
            out_dir=d["out_dir"],
            # absent before these fields
            **{k: d[k] for k in ("pretrain_on", "evaluate_on") if k in d},
        )


def default_data_root() -> str | None:
    """The data root from ``RASL_DATA``, else ``../shared/data`` beside the checkout, else None."""
    env = os.environ.get("RASL_DATA")
    if env:
        return env
    beside = Path(__file__).resolve().parents[2] / "shared" / "data"
    return str(beside) if beside.is_dir() else None


def smoke() -> RunConfig:
    """CPU, offline encoders, the shared real videos (or the generated demo set), minutes."""
    return RunConfig(
        name="smoke",
        model=ModelConfig(dim=1280),  # efficientnet_lite0 pools to 1280-d
        # bf16 where the CPU computes it natively (notes: "Measured behind the code's constants")
        features=FeatureConfig(visual="efficientnet_lite0", audio="mel", bf16=None),
        # minutes on 2 CPU cores
        train=TrainConfig(steps=20, batch_size=2, checkpoint_every=10),
        data_root=default_data_root(),
    )


def paper() -> RunConfig:
    """The paper's settings: Swin-B (1024-d) and HuBERT features (our stand-in for the paper's
    Mockingjay), GPU, ActivityNet."""
    return RunConfig(
        name="paper",
        features=FeatureConfig(
            visual="swin", audio="hubert", device="cuda", batch_size=64
        ),
        # clips cut from memory-mapped files in 4 processes
        train=TrainConfig(device="cuda", num_workers=4),
        data_root=os.environ.get("RASL_DATA"),
        pretrain_on="activitynet",
        evaluate_on="benchmarks",
    )


PROFILES = {"smoke": smoke, "paper": paper}


def profile(name: str) -> RunConfig:
    try:
        return PROFILES[name]()
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}; choose one of {sorted(PROFILES)}"
        ) from None
