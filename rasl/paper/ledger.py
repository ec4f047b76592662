"""The claims ledger of the book's first page: each claim of the paper, the paper's
number, ours for each design of the model, a verdict and the section that shows it.

Nothing in it is typed: our numbers are the committed result rows
(``results/benchmarks/*.csv``, :func:`rasl.paper.benchmark.read_results`) and
label-free baselines (``baselines.csv``), the paper's come from
:mod:`rasl.paper.published`, Table VI is a count of the model
(:mod:`rasl.paper.efficiency`). When the committed results change, the ledger changes
with them; a design without committed results yet is shown as not run.

The verdict rules (:data:`RULES`), applied to each design alone:

- **a number** (Tables I and II): reproduced when our mean over seeds plus one standard
  deviation reaches the paper's number (:func:`reaches`);
- **an ordering** (Tables III and IV, Fig. 6, Fig. 1, inference without audio): the
  paper's order of two methods holds when their intervals, mean ± one standard deviation
  over seeds, do not overlap in that order (:func:`ordered`; a number without seeds has
  no spread); a claim of several orderings is reproduced when every one holds;
- **a count** (Table VI): reproduced when within :data:`COUNT_TOLERANCE` of the paper's;
- a claim that cannot be measured here is **not testable here**, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rasl.config import DESIGNS
from rasl.paper import published
from rasl.paper.benchmark import TIMELINES
from rasl.paper.tables import TABLE3, TABLE4
from rasl.paper.variants import FIG6_K, sweep_name, sweep_variant, variant, variant_name

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable here"
NO_MODEL = "no model"  # the key of a claim that no design of the model measures
# Table VI: the relative difference a count may have (the paper prints 2 digits)
COUNT_TOLERANCE = 0.02
# the ablations run on YouTube Highlights in-domain (the chapter on ablations)
ABLATIONS = ("youtube", "in-domain")
# the k the committed ablations and the full model were run with (their timeline's)
BASE_K = TIMELINES["native15"].k

RULES = (
    "**Rules.** Each design is judged alone. *A number* (Tables I, II) is reproduced "
    "when our mean over seeds plus one standard deviation reaches the paper's. *An "
    "ordering* (Tables III, IV, Fig. 6, Fig. 1, inference without audio) holds when "
    "the two intervals, mean ± one standard deviation over seeds, do not overlap in the "
    "paper's order (a number without seeds has no spread); a claim of several orderings "
    "is reproduced when every one holds. *A count* (Table VI) is reproduced within "
    f"{COUNT_TOLERANCE:.0%} of the paper's. A verdict that names a design holds for "
    "that design only."
)


@dataclass(frozen=True)
class Estimate:
    """A mean over seeds and its sample standard deviation (None: a single number)."""

    mean: float
    std: float | None = None

    @property
    def low(self) -> float:
        return self.mean - (self.std or 0.0)

    @property
    def high(self) -> float:
        return self.mean + (self.std or 0.0)

    def __str__(self) -> str:
        spread = (
            "" if self.std is None else f" ±\u00a0{self.std:.3f}"
        )  # no break after ±
        return f"{self.mean:.3f}{spread}"


def reaches(ours: Estimate, paper: float) -> bool:
    """A number is reproduced: our mean plus one std reaches the paper's."""
    return ours.high >= paper


def ordered(better: Estimate, worse: Estimate) -> bool:
    """The paper's order holds: ``better``'s interval lies wholly above ``worse``'s."""
    return better.low > worse.high


def within(ours: float, paper: float, tolerance: float = COUNT_TOLERANCE) -> bool:
    """A count is reproduced: within ``tolerance`` (relative) of the paper's."""
    return abs(ours / paper - 1) <= tolerance


@dataclass(frozen=True)
class Judged:
    """One design's measurement of a claim: what the ledger shows, and the verdict."""

    shown: str
    holds: bool
    why: str


@dataclass(frozen=True)
class Claim:
    claim: str
    paper: str
    # design (or "no model") -> its measurement; None: not run yet
    ours: Mapping[str, Judged | None] = field(default_factory=dict)
    section: str = ""  # the label of the book section that shows it
    where: str = ""  # that section, in the ledger's words
    untestable: str = ""  # why it cannot be measured here ("" : it can)

    @property
    def verdict(self) -> str:
        measured = {d: j for d, j in self.ours.items() if j is not None}
        if self.untestable or not measured:
            return NOT_TESTABLE
        holds = [d for d, j in measured.items() if j.holds]
        if len(holds) == len(measured):
            return REPRODUCED
        if not holds:
            return NOT_REPRODUCED
        return f"{REPRODUCED} by the {' and '.join(holds)} design only"

    @property
    def why(self) -> str:
        if self.untestable:
            return self.untestable + "."
        parts = []
        for d, j in self.ours.items():
            text = j.why if j else "not run yet"
            parts.append(text if d == NO_MODEL else f"{d}: {text}")
        return "; ".join(parts) + "." if parts else "not measured."


def estimates(rows: list[dict]) -> dict[tuple[str, str, str], Estimate]:
    """(benchmark, protocol, variant) -> the Average's mean and std over seeds, from result
    rows (:func:`rasl.paper.benchmark.read_results`)."""
    parts: dict[tuple, dict[str, float]] = {}
    for r in rows:
        if r["domain"] == "Average" and r["seed"] in ("mean", "std"):
            key = (r["benchmark"], r["protocol"], r["variant"])
            parts.setdefault(key, {})[r["seed"]] = r["score"]
    return {
        k: Estimate(v["mean"], v.get("std")) for k, v in parts.items() if "mean" in v
    }


def short_label(name: str) -> str:
    """A variant's name as the paper's table calls it, without the table: ``w/o SA``."""
    return variant(name).label.split(": ", 1)[-1]


def number_claim(
    measured: Mapping[tuple, Estimate], benchmark: str, paper: float
) -> dict[str, Judged | None]:
    """Each design's transfer mean (the paper's setting: pretrained without the scored
    benchmark's data) against the paper's number."""
    out: dict[str, Judged | None] = {}
    for design in DESIGNS:
        ours = measured.get((benchmark, "transfer", variant_name("full", design)))
        out[design] = ours and Judged(
            f"{ours} (transfer)",
            reaches(ours, paper),
            f"mean + std {ours.high:.3f} "
            + ("reaches" if reaches(ours, paper) else "is below")
            + f" {paper:.3f}",
        )
    return out


def ordering_claim(
    measured: Mapping[tuple, Estimate], pairs: list[tuple[str, str, str]]
) -> dict[str, Judged | None]:
    """Each design's verdict on orderings ``(name, better, worse)``: ``better`` and
    ``worse`` are printed-design variant names (each design compares its own variants) on
    the ablations' benchmark and protocol. Pairs without results are left out; a design
    without any is not run yet."""
    out: dict[str, Judged | None] = {}
    for design in DESIGNS:
        found = []
        for name, better, worse in pairs:
            a, b = (
                measured.get((*ABLATIONS, variant_name(v, design)))
                for v in (better, worse)
            )
            if a and b:
                found.append((name, better, a, b))
        if not found:
            out[design] = None
            continue
        common = len({better for _, better, _, _ in found}) == 1
        failed = [
            f"{n} {b}" if common else f"{n} ({a} vs {b})"
            for n, _, a, b in found
            if not ordered(a, b)
        ]
        if common:
            worse = [b.mean for *_, b in found]
            shown = f"in-domain: {short_label(found[0][1])} {found[0][2]}; " + (
                f"the others {min(worse):.3f}-{max(worse):.3f}"
                if len(found) > 1
                else f"{found[0][0]} {found[0][3]}"
            )
        else:
            shown = "in-domain: " + "; ".join(
                f"{n}: {a} vs {b}" for n, _, a, b in found
            )
        out[design] = Judged(
            shown,
            not failed,
            f"{len(found) - len(failed)} of {len(found)} hold beyond the spread"
            + (f"; not above: {', '.join(failed)}" if failed else ""),
        )
    return out


def claims(
    rows: list[dict],
    baselines: list[dict],
    efficiency: Mapping[str, Mapping] | None = None,
) -> list[Claim]:
    """The ledger: one :class:`Claim` per claim of the paper, in the paper's order.

    ``rows``: result rows of every committed cell, both designs
    (:func:`rasl.paper.benchmark.read_results`); ``baselines``: rows of
    :func:`rasl.paper.tables.read_baselines`; ``efficiency``: design -> the report of
    :func:`rasl.paper.efficiency.count_paper_configuration` (None: not counted).
    """
    measured = estimates(rows)
    table = {
        name: {r["topic"]: r["Ours"] for r in published.load(name)}
        for name in ("table1_youtube", "table2_tvsum")
    }
    paper3 = {
        r["method"]: r["youtube_highlights"] for r in published.load("table3_ablation")
    }
    paper4 = {
        r["method"]: r["youtube_highlights"] for r in published.load("table4_fusion")
    }
    paper6 = next(
        r for r in published.load("table6_efficiency") if r["method"] == "Ours"
    )
    return [
        Claim(
            "Highlights are more distinct than the rest of their video (Fig. 1)",
            "fewer similar feature vectors for highlights (a figure, no number printed)",
            {NO_MODEL: distinctiveness(baselines)},
            "fig1-benchmarks",
            "Fig. 1 on the benchmarks",
        ),
        Claim(
            "0.651 mAP on YouTube Highlights, pretrained without its data (Table I)",
            f"{table['table1_youtube']['Average']:.3f}",
            number_claim(measured, "youtube", table["table1_youtube"]["Average"]),
            "table1-measured",
            "Table I, measured",
        ),
        Claim(
            "0.783 top-5 mAP on TVSum, pretrained without its data (Table II)",
            f"{table['table2_tvsum']['Average']:.3f}",
            number_claim(measured, "tvsum", table["table2_tvsum"]["Average"]),
            "table2-measured",
            "Table II, measured",
        ),
        Claim(
            "Each component helps: the full model beats each ablation (Table III)",
            _ordering_text(paper3, "Ours"),
            ordering_claim(measured, [(short_label(a), "full", a) for a in TABLE3]),
            "ablations-measured",
            "Tables III and IV, measured",
        ),
        Claim(
            "SCL beats direct audio-visual fusion (Table IV)",
            _ordering_text(paper4, "Ours"),
            ordering_claim(measured, [(short_label(f), "full", f) for f in TABLE4]),
            "ablations-measured",
            "Tables III and IV, measured",
        ),
        Claim(
            "Deep features beat pixels and mel-spectrograms as targets (Table V)",
            "; ".join(
                f"{r['visual_target']} + {r['audio_target']} {r['youtube_highlights']:.3f}"
                for r in published.load("table5_targets")
            ),
            section="table5",
            where="Table V",
            untestable=(
                "its variants change the encoders, which run on the videos; the "
                "benchmarks' videos are not on this machine, only their published "
                "I3D/PANN features. The smoke profile runs the targets it can build "
                "offline (pixels and mel-spectrograms beside its own encoders) on a few "
                "videos as a pipeline check, not a measurement"
            ),
        ),
        Claim(
            "k-point contrast beats plain top-k at every k (Fig. 6)",
            "with above without, the gap widest at large k (a figure, no number "
            "printed)",
            ordering_claim(
                measured,
                [
                    (f"k = {k}", sweep_variant(k, True, BASE_K), sweep_name(k, False))
                    for k in FIG6_K
                ],
            ),
            "ksweep-measured",
            "Fig. 6, measured",
        ),
        Claim(
            "8.53 M parameters and 0.82 GFLOPs (Table VI)",
            f"{paper6['parameters_M']:.2f} M, {paper6['flops_G']:.2f} G",
            {d: count_claim(r, paper6) for d, r in (efficiency or {}).items()},
            "efficiency-found",
            "Table VI, counted",
        ),
        Claim(
            "Scoring needs no audio, yet pretraining with audio helps: Ours beats "
            "the model pretrained without audio (Table III)",
            f"Ours {paper3['Ours']:.3f}, w/o audio {paper3['Ours w/o audio']:.3f}",
            ordering_claim(measured, [("w/o audio", "full", "visual_only")]),
            "ablations-measured",
            "Table III, measured",
        ),
    ]


def _ordering_text(paper: Mapping[str, float], ours: str) -> str:
    others = [v for k, v in paper.items() if k != ours]
    return f"Ours {paper[ours]:.3f}, the others {min(others):.3f}-{max(others):.3f}"


def distinctiveness(baselines: list[dict]) -> Judged | None:
    """Fig. 1's distinctiveness as a score against random scores, on each benchmark's
    scored videos (rows of ``baselines.csv``); None without them."""
    found = {
        (r["benchmark"], r["method"]): Estimate(r["score"], r["std"])
        for r in baselines
        if r["domain"] == "Average"
    }
    pairs = {
        b: (found.get((b, "distinctiveness (rgb)")), found.get((b, "random")))
        for b in ("youtube", "tvsum")
    }
    if not all(x and y for x, y in pairs.values()):
        return None
    names = {"youtube": "YouTube Highlights", "tvsum": "TVSum"}
    above = [ordered(x, y) for x, y in pairs.values()]
    return Judged(
        "; ".join(f"{names[b]} {x} vs random {y}" for b, (x, y) in pairs.items()),
        all(above),
        "ranked by Fig. 1's distinctiveness (1 - share of similar vectors in the "
        "30-s window), highlights score "
        + (
            f"{'above' if above[0] else 'not above'} random on both benchmarks"
            if len(set(above)) == 1
            else " and ".join(
                f"{'above' if a else 'not above'} random on {names[b]}"
                for b, a in zip(pairs, above)
            )
        )
        + " (published I3D features, one row per ~2 s, not Swin-B at 5 fps)",
    )


def count_claim(report: Mapping, paper: Mapping) -> Judged:
    params, flops = report["params"] / 1e6, report["flops"] / 1e9
    close = within(params, paper["parameters_M"]) and within(flops, paper["flops_G"])
    return Judged(
        f"{params:.2f} M, {flops:.2f} G",
        close,
        f"{100 * (params / paper['parameters_M'] - 1):+.1f} % parameters, "
        f"{100 * (flops / paper['flops_G'] - 1):+.1f} % multiply-adds",
    )


def to_markdown(ledger: list[Claim]) -> str:
    """The ledger as a MyST table, each claim linked to the section that shows it."""
    lines = [
        "| claim | paper | ours | verdict | shown in |",
        "|---|---|---|---|---|",
    ]
    for c in ledger:
        ours = "<br>".join(
            ("" if d == NO_MODEL else f"{d}: ") + (j.shown if j else "not run yet")
            for d, j in c.ours.items()
        )
        lines.append(
            f"| {c.claim} | {c.paper} | {ours} | **{c.verdict}**: {c.why} | "
            f"{{ref}}`{c.where} <{c.section}>` |"
        )
    return "\n".join(lines)
