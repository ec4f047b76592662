"""The variants of Tables III-V and Fig. 6: one read-only mapping, built once."""

import pytest

from rasl.config import smoke
from rasl.paper.variants import (
    FIG6_K,
    VARIANTS,
    sweep_variant,
    variant,
    variant_changes,
)


def test_the_mapping_is_read_only():
    with pytest.raises(TypeError):
        VARIANTS["mine"] = VARIANTS["full"]


def test_every_fig6_point_is_a_variant_from_the_start():
    for k in FIG6_K:
        assert variant_changes(f"k{k}") == {
            "model": {"k": k, "k_point_contrastive": True}
        }
        assert (
            variant(f"k{k}_no_contrast").label
            == f"Fig. 6: k = {k}, w/o k-point contrast"
        )


def test_a_sweep_point_at_the_runs_own_k_is_the_full_model():
    k = smoke().model.k
    assert sweep_variant(k, True, k) == "full"
    assert sweep_variant(k, False, k) == f"k{k}_no_contrast"
    assert sweep_variant(3, True, 1) == "k3"
    with pytest.raises(ValueError, match="no Fig. 6 variant for k = 4"):
        sweep_variant(4, True, 1)


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown variant 'k2'.*'full'"):
        variant("k2")


def test_every_variant_exists_for_both_designs():
    repaired = [v for v in VARIANTS.values() if v.design == "repaired"]
    assert len(repaired) == len(VARIANTS) / 2
    for v in repaired:
        printed = VARIANTS[v.ablation]
        assert v.name == (
            "repaired" if v.ablation == "full" else f"repaired_{v.ablation}"
        )
        assert v.label == f"{printed.label} (repaired)"
        model = {**printed.changes.get("model", {}), "design": "repaired"}
        assert v.changes == {**printed.changes, "model": model}
    assert sweep_variant(1, True, 1, "repaired") == "repaired"
    assert sweep_variant(3, False, 1, "repaired") == "repaired_k3_no_contrast"
