"""The claims ledger's verdict rules, on hand-made result rows."""

from __future__ import annotations

import pytest

from rasl.paper import ledger
from rasl.paper.ledger import Estimate, ordered, reaches, within

PAPER_YOUTUBE, PAPER_TVSUM = 0.651, 0.783


def _cell(variant, mean, std, benchmark="youtube", protocol="in-domain"):
    """The Average's mean and std rows of one committed cell."""
    return [
        {
            "benchmark": benchmark,
            "protocol": protocol,
            "variant": variant,
            "seed": seed,
            "domain": "Average",
            "score": score,
        }
        for seed, score in (("mean", mean), ("std", std))
    ]


BASELINES = [
    {"benchmark": b, "method": m, "domain": "Average", "score": s, "std": sd}
    for b, m, s, sd in (
        ("youtube", "random", 0.51, None),
        ("youtube", "distinctiveness (rgb)", 0.54, None),
        ("tvsum", "random", 0.41, 0.02),
        ("tvsum", "distinctiveness (rgb)", 0.42, None),  # within random's spread
    )
]


def _by_claim(claims):
    return {c.claim.split(" (")[0].split(":")[0]: c for c in claims}


def test_rules_at_their_boundaries():
    assert reaches(Estimate(0.60, 0.05), 0.65) and not reaches(
        Estimate(0.60, 0.04), 0.65
    )
    assert reaches(Estimate(0.70), 0.65)  # above the paper's number reproduces it too
    assert ordered(Estimate(0.6, 0.02), Estimate(0.5, 0.07))
    assert not ordered(Estimate(0.6, 0.05), Estimate(0.5, 0.05))  # the intervals touch
    assert not ordered(Estimate(0.5, 0.01), Estimate(0.6, 0.01))  # reversed
    assert ordered(Estimate(0.54), Estimate(0.51))  # no seeds, no spread
    assert within(8.54, 8.53) and within(0.83, 0.82) and not within(9.84, 8.53)


def test_a_ledger_of_the_printed_design_alone():
    rows = [
        *_cell("full", 0.60, 0.01, protocol="transfer"),
        *_cell("full", 0.50, 0.01, "tvsum", "transfer"),
        *_cell("full", 0.60, 0.01),
        *_cell("no_rasl", 0.50, 0.02),  # below beyond the spread
        *_cell("no_sa", 0.59, 0.02),  # within the spread
        *_cell("fusion_sum", 0.40, 0.01),
        *_cell("k3", 0.55, 0.01),
        *_cell("k3_no_contrast", 0.45, 0.01),
    ]
    claims = ledger.claims(rows, BASELINES)
    assert len(claims) == 9
    by = _by_claim(claims)
    table1 = by["0.651 mAP on YouTube Highlights, pretrained without its data"]
    assert table1.paper == f"{PAPER_YOUTUBE:.3f}"
    assert table1.ours["printed"].shown == "0.600 ±\u00a00.010 (transfer)"
    assert table1.ours["repaired"] is None  # its results are not committed yet
    assert table1.verdict == ledger.NOT_REPRODUCED
    assert "repaired: not run yet" in table1.why
    components = by["Each component helps"]
    assert components.verdict == ledger.NOT_REPRODUCED
    assert (
        "1 of 2 hold" in components.why
        and "w/o SA 0.590 ±\u00a00.020" in components.why
    )
    assert by["SCL beats direct audio-visual fusion"].verdict == ledger.REPRODUCED
    assert by["k-point contrast beats plain top-k at every k"].verdict == (
        ledger.REPRODUCED
    )
    # Fig. 1: above random on YouTube Highlights, within random's spread on TVSum
    assert by["Highlights are more distinct than the rest of their video"].verdict == (
        ledger.NOT_REPRODUCED
    )
    table5 = by["Deep features beat pixels and mel-spectrograms as targets"]
    assert table5.verdict == ledger.NOT_TESTABLE and "videos" in table5.why
    assert by["8.53 M parameters and 0.82 GFLOPs"].verdict == ledger.NOT_TESTABLE
    assert by["Scoring needs no audio, yet pretraining with audio helps"].verdict == (
        ledger.NOT_TESTABLE  # no "w/o audio" cell
    )


def test_the_verdict_follows_the_results_and_names_the_design():
    rows = [
        *_cell("full", 0.60, 0.01, protocol="transfer"),
        *_cell("repaired", 0.64, 0.02, protocol="transfer"),
    ]
    table1 = _by_claim(ledger.claims(rows, BASELINES))[
        "0.651 mAP on YouTube Highlights, pretrained without its data"
    ]
    assert table1.verdict == "reproduced by the repaired design only"
    rows += _cell("full", 0.65, 0.01, protocol="transfer")  # a rerun reaches it
    rows = rows[2:]
    table1 = _by_claim(ledger.claims(rows, BASELINES))[
        "0.651 mAP on YouTube Highlights, pretrained without its data"
    ]
    assert table1.verdict == ledger.REPRODUCED


@pytest.mark.parametrize(
    ("params", "flops", "verdict"),
    [(8_542_083, 826_982_400, ledger.REPRODUCED), (9_843_265, 783_398_400, None)],
)
def test_table6_is_a_count_within_two_percent(params, flops, verdict):
    report = {"params": params, "flops": flops}
    table6 = _by_claim(ledger.claims([], BASELINES, {"printed": report}))[
        "8.53 M parameters and 0.82 GFLOPs"
    ]
    assert table6.verdict == (verdict or ledger.NOT_REPRODUCED)


def test_the_markdown_has_a_row_and_a_link_per_claim():
    text = ledger.to_markdown(ledger.claims(_cell("full", 0.6, 0.01), BASELINES))
    lines = text.splitlines()
    assert len(lines) == 2 + 9
    assert all(line.count("{ref}`") == 1 for line in lines[2:])
    assert "**not testable here**" in text
