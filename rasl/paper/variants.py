"""The variants of Section IV's experiments, each a set of changes to a run configuration.

An ablation of Table III, a fusion scheme of Table IV, a reconstruction target of Table V
and a k of Fig. 6 are each a name here, mapped once, at import, to its label in the
paper's tables and to the changes it makes to a :class:`rasl.config.RunConfig` (as
``RunConfig.replace`` takes them). Every variant exists for both designs of the model
(``ModelConfig.design``): ``full``, ``no_rasl``, ... for the printed design, ``repaired``,
``repaired_no_rasl``, ... for the repaired one. The mapping is read-only: nothing adds a
variant at run time, so every process resolves the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from rasl.config import DESIGNS

# the k of Fig. 6's sweeps: the benchmark runs' and the smoke book's
FIG6_K = (1, 3, 7, 10, 30)


@dataclass(frozen=True)
class Variant:
    name: str
    label: str  # as the paper's tables and figures name it, with the design if repaired
    changes: dict  # RunConfig section -> {field: value}
    ablation: (
        str  # the variant's name for the printed design ("full" for the model itself)
    )
    design: str


def _ablations() -> list[tuple[str, str, dict]]:
    """(name, label, changes) of every variant of the printed design."""
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
    pixels = {"visual": "pixels"}
    table5 = [
        (
            "pixels_visual",
            "Table V: pixel visual target",
            {"features": pixels, "model": {"dim": 1024}},
        ),
        (
            "mel_audio",
            "Table V: mel-spectrogram audio target",
            {"features": {"audio": "mel"}},
        ),
        (
            "pixels_mel",
            "Table V: pixels and mel-spectrogram",
            {"features": {**pixels, "audio": "mel"}, "model": {"dim": 1024}},
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
    return [("full", "Ours", {}), *table3, *table4, *table5, *fig6]


def variant_name(ablation: str, design: str) -> str:
    """The name of an ablation for a design: ``full`` -> ``repaired``, ``no_sa`` ->
    ``repaired_no_sa``; the printed design's names are the ablations' own."""
    if design == "printed":
        return ablation
    return design if ablation == "full" else f"{design}_{ablation}"


def _variants() -> list[Variant]:
    out = []
    for design in DESIGNS:
        for name, label, changes in _ablations():
            if design != "printed":
                label = f"{label} ({design})"
                changes = {
                    **changes,
                    "model": {**changes.get("model", {}), "design": design},
                }
            out.append(
                Variant(variant_name(name, design), label, changes, name, design)
            )
    return out


def sweep_name(k: int, contrastive: bool) -> str:
    """The Fig. 6 variant's name for this k, with or without k-point contrast."""
    return f"k{k}" + ("" if contrastive else "_no_contrast")


VARIANTS = MappingProxyType({v.name: v for v in _variants()})


def sweep_variant(
    k: int, contrastive: bool, base_k: int, design: str = "printed"
) -> str:
    """The variant to run for a Fig. 6 point: the design's full model where the point is
    the run's own setting (``base_k`` with contrast: not trained twice), else the sweep
    variant."""
    if (k, contrastive) == (base_k, True):
        return variant_name("full", design)
    if k not in FIG6_K:
        raise ValueError(f"no Fig. 6 variant for k = {k}; the sweep has k in {FIG6_K}")
    return variant_name(sweep_name(k, contrastive), design)


def variant(name: str) -> Variant:
    """The variant called ``name``; a ValueError lists the names."""
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose one of {sorted(VARIANTS)}")
    return VARIANTS[name]


def variant_changes(name: str) -> dict:
    """The changes to a RunConfig that variant ``name`` makes."""
    return variant(name).changes
