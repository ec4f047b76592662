"""Each figure of the book renders from small inputs and shows what it claims to show."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from rasl.highlights import Segment  # noqa: E402
from rasl.paper import plots  # noqa: E402
from rasl.paper.benchmark import read_results  # noqa: E402
from rasl.paper.book import ROOT  # noqa: E402
from rasl.paper.tables import designs_measured, headline, read_baselines  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def bars(ax) -> list[Rectangle]:
    return [
        p
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_width() > 0 and p.get_height() > 0
    ]


def test_every_method_has_its_own_colour_where_methods_meet():
    # the methods of the book's summary, both designs of every protocol among them
    results = ROOT / "results" / "benchmarks"
    variants = designs_measured(results)
    rows = read_results(
        p for v in variants for p in sorted(results.glob(f"*_*_{v}.csv"))
    )
    table, _ = headline(rows, read_baselines(results / "baselines.csv"), variants)
    together = list(dict.fromkeys(r["method"] for r in table))
    assert len(variants) == 2 and "per-video (repaired)" in together
    assert len({plots.colour(m) for m in together}) == len(together)
    with pytest.raises(KeyError):
        plots.colour("a method nobody drew")


def test_summary_bars_draws_one_bar_per_method_with_the_seed_spread():
    rows = pd.DataFrame(
        [
            *(
                {"benchmark": "YouTube", "method": "transfer", "score": s}
                for s in (0.5, 0.6, 0.7)
            ),
            {"benchmark": "YouTube", "method": "paper", "score": 0.65},
            {"benchmark": "YouTube", "method": "random", "score": 0.5},
            *(
                {"benchmark": "TVSum", "method": "transfer", "score": s}
                for s in (0.4, 0.5)
            ),
            {"benchmark": "TVSum", "method": "paper", "score": 0.78},
        ]
    )
    fig = plots.summary_bars(rows)
    youtube, tvsum = fig.axes
    assert youtube.get_title() == "YouTube" and tvsum.get_title() == "TVSum"
    assert [t.get_text() for t in youtube.get_yticklabels()] == [
        "transfer",
        "paper",
        "random",
    ]
    widths = sorted(round(b.get_width(), 3) for b in bars(youtube))
    assert widths == [0.5, 0.6, 0.65]  # the mean of the seeds for transfer
    transfer = next(b for b in bars(youtube) if round(b.get_width(), 3) == 0.6)
    assert to_hex(transfer.get_facecolor()) == plots.PALETTE["transfer"]
    # the error bar of transfer spans mean +- sd over its three seeds
    spans = [
        (np.nanmin(x), np.nanmax(x))
        for line in youtube.lines
        if np.isfinite(x := line.get_xdata()).any()
    ]
    assert any(np.allclose(span, [0.5, 0.7]) for span in spans)
    assert (0.65, 0.65) in spans  # the paper's dashed line


def test_per_domain_draws_a_bar_per_domain_and_protocol_and_the_baselines():
    rows = pd.DataFrame(
        [
            {"domain": d, "protocol": p, "seed": s, "score": 0.5 + 0.1 * s}
            for d in ("dog", "surfing", "Average")
            for p in ("transfer", "in-domain")
            for s in (0, 1)
        ]
    )
    fig = plots.per_domain(
        rows, {"norm (rgb)": {"dog": 0.6, "surfing": 0.7, "Average": 0.65}}, "Table I"
    )
    ax = fig.axes[0]
    assert len(bars(ax)) == 6
    assert [t.get_text() for t in ax.get_xticklabels()] == ["dog", "surfing", "Average"]
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        "transfer",
        "in-domain",
        "norm (rgb)",
    }
    marks = ax.collections[-1].get_offsets()
    assert np.allclose(np.asarray(marks)[:, 1], [0.6, 0.7, 0.65])


def test_k_sweep_draws_both_curves_with_a_band_and_the_baseline():
    rows = pd.DataFrame(
        [
            {
                "k": k,
                "k-point contrast": c,
                "seed": s,
                "score": 0.5 + 0.01 * k + 0.02 * s,
            }
            for k in (1, 3, 7)
            for c in (True, False)
            for s in (0, 1, 2)
        ]
    )
    fig = plots.k_sweep(rows, baseline=0.55)
    ax = fig.axes[0]
    curves = [line for line in ax.lines if len(line.get_xdata()) == 3]
    assert len(curves) == 2 and all(
        list(line.get_xdata()) == [1, 3, 7] for line in curves
    )
    # the means over seeds
    assert np.allclose(curves[0].get_ydata(), [0.53, 0.55, 0.59])
    assert len(ax.collections) >= 2, "no sd band drawn"
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert labels == {"with k-point contrast", "without k-point contrast", "norm (rgb)"}


def test_similarity_distributions_draws_a_violin_per_group_and_part():
    rng = np.random.default_rng(0)
    rows = pd.DataFrame(
        {
            "group": ["A"] * 40 + ["B"] * 40,
            "part": (["highlights"] * 10 + ["the rest"] * 30) * 2,
            "share_similar": rng.random(80),
        }
    )
    ax = plots.similarity_distributions(rows).axes[0]
    colours = [to_hex(c.get_facecolor()[0]) for c in ax.collections]
    assert (
        colours.count(plots.PALETTE["highlights"]) == 2
        and colours.count(plots.PALETTE["the rest"]) == 2
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]


def test_counts_over_time_shades_the_spans_of_each_video():
    t = 50
    steps = {
        "a.mp4": (10.0, np.array([[2.0, 4.0]]), np.arange(t), np.full(t, 60)),
        "b.mp4": (
            10.0,
            np.array([[1.0, 2.0], [5.0, 6.0]]),
            np.arange(t),
            np.full(t, 60),
        ),
    }
    fig = plots.counts_over_time(steps)
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["a.mp4", "b.mp4"]
    assert [len(ax.patches) for ax in fig.axes] == [1, 2]
    assert all(len(ax.lines) == 2 for ax in fig.axes)


def test_loss_curves_has_one_panel_per_term():
    log = pd.DataFrame(
        {"L_e": [1.0, 0.5, 0.2], "L_r": [0.3, 0.2, 0.1], "L_s": [2.0, 2.0, 2.0]},
        index=[1, 2, 3],
    )
    fig = plots.loss_curves(log, ["L_e", "L_r", "L_s"])
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert [ax.get_title() for ax in shown] == ["L_e", "L_r", "L_s"]
    # log scale where a term spans more than a factor of 3 (L_e), else linear
    assert [ax.get_yscale() for ax in shown] == ["log", "linear", "linear"]


def test_run_comparison_overlays_the_runs():
    runs = {
        "a": pd.DataFrame({"x": np.arange(20.0), "y": np.ones(20)}),
        "b": pd.DataFrame({"x": np.zeros(20), "y": np.ones(20)}),
    }
    fig = plots.run_comparison(runs, ["x", "y"], smooth=1)
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    assert np.allclose(fig.axes[0].lines[0].get_ydata(), np.arange(20.0))


def test_efficiency_bars_colours_the_paper_and_ours_apart():
    table = pd.DataFrame(
        {
            "method": ["A", "Ours, reproduced"],
            "source": ["paper, Table VI", "measured here"],
            "parameters_M": [8.5, 8.4],
            "flops_G": [0.8, 0.81],
        }
    )
    fig = plots.efficiency_bars(
        table, {"parameters_M": "parameters", "flops_G": "FLOPs"}
    )
    left = fig.axes[0]
    assert [to_hex(b.get_facecolor()) for b in bars(left)] == [
        plots.PALETTE["paper"],
        plots.PALETTE["measured here"],
    ]
    assert left.get_xscale() == "log"


def test_frame_grid_and_panels_show_every_frame():
    frame = np.zeros((8, 8, 3), np.uint8)
    fig = plots.frame_grid(
        {f"v{i}": (frame, (16, 9), f"v{i}") for i in range(5)}, cols=4
    )
    assert len([ax for ax in fig.axes if ax.images]) == 5
    curves = {
        "ours": np.linspace(0, 1, 50),
        "pretrained without audio": np.linspace(1, 0, 50),
    }
    fig = plots.score_panel(
        [(frame, "t = 1 s")] * 3,
        (16, 9),
        10.0,
        curves,
        spans=[(2.0, 3.0)],
        mel=None,
        marks_s=[1.0, 5.0, 9.0],
        title="v",
    )
    curve_ax = fig.axes[-1]
    assert {line.get_label() for line in curve_ax.lines} >= set(curves)
    assert any(t.get_text() == "no sound track" for t in fig.axes[-2].texts)
    fig = plots.segments_panel(
        np.linspace(0, 1, 50),
        10.0,
        [Segment(1.0, 3.0, 0.5, 0.9)],
        [(frame, "1.0-3.0 s")],
        (16, 9),
        spans=[(2.0, 4.0)],
    )
    assert (
        len(fig.axes[0].patches) == 1 and len([ax for ax in fig.axes if ax.images]) == 1
    )


def test_row_curves_scales_each_curve_and_shades_the_positive_clips():
    curves = {"transfer": np.array([0.0, 0.5, 1.0, 0.5]), "norm (rgb)": np.full(4, 7.0)}
    curves["in-domain"] = np.array([10.0, 30.0, 20.0, 10.0])
    fig = plots.row_curves(curves, np.array([False, True, True, False]), "v")
    (ax,) = fig.axes
    lines = {line.get_label(): line.get_ydata() for line in ax.lines}
    np.testing.assert_allclose(lines["in-domain"], [0.0, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(lines["norm (rgb)"], 0.0)  # a flat curve stays flat
    assert to_hex(ax.lines[0].get_color()) == plots.PALETTE["transfer"]
    shaded = sorted(p.get_x() for p in ax.patches)
    assert shaded == pytest.approx([0.5, 1.5])
    assert not plots.row_curves(curves).axes[0].patches  # no labels, nothing shaded
