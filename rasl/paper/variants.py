"""The variants of Section IV's experiments, each a set of changes to a run configuration.

An ablation of Table III, a fusion scheme of Table IV, a reconstruction target of Table V
and a k of Fig. 6 are each a name here, mapped once, at import, to its label in the
paper's tables and to the changes it makes to a :class:`rasl.config.RunConfig` (as
``RunConfig.replace`` takes them). The mapping is read-only: nothing adds a variant at run
time, so every process resolves the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

FIG6_K = (
    1,
    3,
    7,
    10,
    30,
)  # the k of Fig. 6's sweeps: the benchmark runs' and the smoke book's


@dataclass(frozen=True)
class Variant:
    name: str
    label: str  # as the paper's tables and figures name it
    changes: dict  # RunConfig section -> {field: value}


def _variants() -> list[Variant]:
    table3 = [
        ("no_rasl", "Table III: w/o RASL", {"model": {"k": 0}}),
        ("no_sa", "Table III: w/o SA", {"model": {"self_attention": False}}),
        ("no_auxiliary", "Table III: w/o auxiliary", {"model": {"auxiliary": False}}),
        ("audio_only", "Table III: w/o vision", {"model": {"modalities": ("audio",)}}),
        ("visual_only", "Table III: w/o audio", {"model": {"modalities": ("visual",)}}),
    ]
    table4 = [
        (f"fusion_{f}", f"Table IV: {label}", {"model": {"fusion": f}})
        for f, label in (
            ("sum", "summation"),
            ("concat", "concatenation"),
            ("mlp", "submodule MLP"),
            ("lowrank", "low-rank fusion"),
        )
    ]
    table5 = [
        (
            "pixels_visual",
            "Table V: pixel visual target",
            {"features": {"visual": "pixels"}, "model": {"dim": 1024}},
        ),
        (
            "mel_audio",
            "Table V: mel-spectrogram audio target",
            {"features": {"audio": "mel"}},
        ),
        (
            "pixels_mel",
            "Table V: pixels and mel-spectrogram",
            {"features": {"visual": "pixels", "audio": "mel"}, "model": {"dim": 1024}},
        ),
    ]
    fig6 = [
        (
            sweep_name(k, contrast),
            f"Fig. 6: k = {k}{'' if contrast else ', w/o k-point contrast'}",
            {"model": {"k": k, "k_point_contrastive": contrast}},
        )
        for k in FIG6_K
        for contrast in (True, False)
    ]
    return [Variant("full", "Ours", {})] + [
        Variant(*v) for v in table3 + table4 + table5 + fig6
    ]


def sweep_name(k: int, contrastive: bool) -> str:
    """The Fig. 6 variant's name for this k, with or without k-point contrast."""
    return f"k{k}" + ("" if contrastive else "_no_contrast")


VARIANTS = MappingProxyType({v.name: v for v in _variants()})


def sweep_variant(k: int, contrastive: bool, base_k: int) -> str:
    """The variant to run for a Fig. 6 point: the full model where the point is the run's own
    setting (``base_k`` with contrast: not trained twice), else the sweep variant."""
    if (k, contrastive) == (base_k, True):
        return "full"
    name = sweep_name(k, contrastive)
    if name not in VARIANTS:
        raise ValueError(f"no Fig. 6 variant for k = {k}; the sweep has k in {FIG6_K}")
    return name


def variant(name: str) -> Variant:
    """The variant called ``name``; a ValueError lists the names."""
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose one of {sorted(VARIANTS)}")
    return VARIANTS[name]


def variant_changes(name: str) -> dict:
    """The changes to a RunConfig that variant ``name`` makes."""
    return variant(name).changes
