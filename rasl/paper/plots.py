"""The book's figures: one function per figure, data in, ``matplotlib`` figure out.

The notebooks compute (through the rest of ``rasl``) and call these to draw; nothing here
computes a result. Every method has one colour across the book, :data:`PALETTE`; the
statistical plots use seaborn, which draws the spread over seeds itself from per-seed rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure

from rasl.config import DESIGNS, STEP_S

# One colour per method or group, the same on every page. Our model's protocols and
# variants are blues and greens, label-free baselines warm or grey, the paper black,
# supervised methods red.
PALETTE = {
    "paper": "#222222",
    "transfer": "#0173b2",
    "in-domain": "#029e73",
    "per-video": "#56b4e9",
    "with k-point contrast": "#029e73",
    "without k-point contrast": "#a6dba0",
    "ours": "#0173b2",
    "pretrained without audio": "#7b3294",
    "pretrained without vision": "#ca9161",
    "random": "#b0b0b0",
    "constant": "#d9d9d9",
    "norm (rgb)": "#de8f05",
    "norm (flow)": "#d55e00",
    "norm (audio)": "#fbafe4",
    "distance from mean (rgb)": "#ece133",
    "distinctiveness (rgb)": "#cc78bc",
    "UMT (supervised)": "#c51b7d",
    "human agreement": "#666666",
    "highlights": "#d62728",
    "the rest": "#8c8c8c",
    "measured here": "#de8f05",
    "printed": "#0173b2",
    "repaired": "#029e73",
}
HIGHLIGHT_SHADE = dict(color=PALETTE["highlights"], alpha=0.15, lw=0)


def colour(name: str) -> str:
    """The method's colour; ``<method> (<design>)`` (a column of both designs) has the
    method's, lighter for the repaired design; a method outside :data:`PALETTE` is a
    KeyError (add it there)."""
    if name in PALETTE:
        return PALETTE[name]
    method, _, design = name.rpartition(" (")
    if design.rstrip(")") not in DESIGNS:
        raise KeyError(name)
    rgb = np.array(to_rgb(PALETTE[method]))
    return to_hex(rgb + (1 - rgb) * 0.45 if design == "repaired)" else rgb)


def colours(names) -> dict[str, str]:
    """:func:`colour` of each name, a palette for seaborn."""
    return {n: colour(n) for n in dict.fromkeys(names)}


def _figure(
    width: float, height: float, ncols: int = 1, **kw
) -> tuple[Figure, np.ndarray]:
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False, **kw)
    return fig, axes[0]


def summary_bars(rows: pd.DataFrame) -> Figure:
    """The book's headline figure: Average mAP per method, one panel per benchmark.

    ``rows``: columns ``benchmark``, ``method`` and ``score``; several rows of a method
    (one per seed) give its bar the mean and a standard-deviation error bar. The paper's
    number is drawn as a dashed line when a ``paper`` method is present.
    """
    benchmarks = list(dict.fromkeys(rows["benchmark"]))
    fig, axes = _figure(
        4 * len(benchmarks),
        0.5 + 0.28 * rows["method"].nunique(),
        len(benchmarks),
        sharey=True,
    )
    for ax, benchmark in zip(axes, benchmarks):
        part = rows[rows["benchmark"] == benchmark]
        methods = list(dict.fromkeys(part["method"]))
        sns.barplot(
            part,
            x="score",
            y="method",
            hue="method",
            order=methods,
            palette=colours(methods),
            errorbar="sd",
            capsize=0.3,
            saturation=1,
            err_kws={"linewidth": 1},
            ax=ax,
            legend=False,
        )
        paper = part.loc[part["method"] == "paper", "score"]
        if len(paper):
            ax.axvline(paper.iloc[0], color=PALETTE["paper"], ls="--", lw=1)
        ax.set_title(benchmark, fontsize=10)
        ax.set_xlabel("mAP (Average over categories)")
        ax.set_ylabel("")
        ax.set_xlim(0, 1)
    fig.tight_layout()
    return fig


def per_domain(
    rows: pd.DataFrame,
    baselines: Mapping[str, Mapping[str, float]] | None = None,
    title: str = "",
) -> Figure:
    """Per-category mAP of each protocol with seed error bars (seaborn), baselines as marks.

    ``rows``: per-seed result rows (columns ``domain``, ``protocol``, ``score``);
    ``baselines``: name -> {domain: mAP}, drawn as one marker per domain.
    """
    domains = list(dict.fromkeys(rows["domain"]))
    fig, (ax,) = _figure(8.0, 3.6)
    sns.barplot(
        rows,
        x="domain",
        y="score",
        hue="protocol",
        order=domains,
        palette=colours(rows["protocol"]),
        errorbar="sd",
        capsize=0.15,
        saturation=1,
        err_kws={"linewidth": 1},
        ax=ax,
    )
    for name, values in (baselines or {}).items():
        ax.scatter(
            domains,
            [values.get(d, np.nan) for d in domains],
            marker="_",
            s=400,
            lw=2.5,
            color=PALETTE[name],
            label=name,
            zorder=3,
        )
    ax.set_ylim(0, 1)
    ax.set_xlabel("")
    ax.set_ylabel("mAP")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    return fig


def k_sweep(
    rows: pd.DataFrame, y: str = "score", baseline: float | None = None, ax=None
) -> Figure:
    """Fig. 6: the metric against k, with and without k-point contrast (seaborn lines; a band
    of one standard deviation where a point has several seeds).

    ``rows``: columns ``k``, ``k-point contrast`` (bool) and ``y``; ``baseline``: the rgb
    norm's score, drawn as a dashed line.
    """
    if ax is None:
        fig, (ax,) = _figure(5, 3.2)
    fig = ax.figure
    data = rows.assign(
        contrast=rows["k-point contrast"].map(
            {True: "with k-point contrast", False: "without k-point contrast"}
        )
    )
    sns.lineplot(
        data,
        x="k",
        y=y,
        hue="contrast",
        palette=PALETTE,
        marker="o",
        errorbar="sd",
        ax=ax,
    )
    if baseline is not None:
        ax.axhline(
            baseline, color=PALETTE["norm (rgb)"], ls="--", lw=1, label="norm (rgb)"
        )
    ax.set_xlabel("k")
    ax.set_ylabel(y)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def similarity_distributions(rows: pd.DataFrame, y: str = "share_similar") -> Figure:
    """Fig. 1: per-step share of similar vectors, highlight steps against the rest, per group.

    ``rows``: one row per step with columns ``group``, ``part`` (``highlights`` or
    ``the rest``) and ``y``; violins over the steps, quartiles dashed.
    """
    groups = list(dict.fromkeys(rows["group"]))
    fig, (ax,) = _figure(2.5 + 2.2 * len(groups), 3.4)
    sns.violinplot(
        rows,
        x="group",
        y=y,
        hue="part",
        order=groups,
        hue_order=["highlights", "the rest"],
        palette=PALETTE,
        saturation=1,
        inner="quart",
        cut=0,
        density_norm="width",
        ax=ax,
    )
    ax.set_xlabel("")
    ax.set_ylabel("share of the window's vectors\nthat are similar (per step)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def counts_over_time(steps: Mapping[str, tuple], suffix: str = "") -> Figure:
    """Similar vectors of every step with the highlight spans shaded, one panel per video.

    ``steps``: name -> (duration_s, spans (n, 2), counts (T,), window sizes (T,)).
    """
    fig, axes = plt.subplots(
        len(steps), 1, figsize=(8, 2.3 * len(steps)), squeeze=False
    )
    for ax, (name, (duration, spans, counts, neighbours)) in zip(
        axes[:, 0], steps.items()
    ):
        t = np.arange(len(counts)) * STEP_S
        for start, end in spans:
            ax.axvspan(start, end, **HIGHLIGHT_SHADE)
        ax.plot(t, counts, color=PALETTE["ours"], label="similar vectors")
        ax.plot(
            t, neighbours, color="k", ls="--", lw=0.8, label="vectors in the window"
        )
        ax.set_xlim(0, duration)
        ax.set_title(f"{name}{suffix}: shaded = highlight spans", fontsize=9)
        ax.set_ylabel("count")
    axes[-1, 0].set_xlabel("time (s)")
    axes[0, 0].legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def loss_curves(
    log: pd.DataFrame, terms: Sequence[str], title: str = "", cols: int = 3
) -> Figure:
    """One panel per loss term against the step (``log`` indexed by step), log scale
    where the term spans more than a factor of 3."""
    rows = -(-len(terms) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(8.5, 2.4 * rows), squeeze=False)
    for ax, term in zip(axes.flat, terms):
        ax.plot(log.index, log[term], color=PALETTE["ours"])
        ax.set_title(term, fontsize=10)
        if log[term].min() > 0 and log[term].max() > 3 * log[term].min():
            ax.set_yscale("log")  # a term that barely moves keeps a linear axis
        ax.set_xlabel("step")
    for ax in axes.flat[len(terms) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def run_comparison(
    runs: Mapping[str, pd.DataFrame],
    columns: Sequence[str],
    smooth: int = 10,
    title: str = "",
) -> Figure:
    """Logged quantities of several runs, a panel each (three to a row), each smoothed
    over ``smooth`` steps."""
    rows = -(-len(columns) // 3)
    fig, axes = plt.subplots(rows, 3, figsize=(8.5, 2.6 * rows + 0.4), squeeze=False)
    axes = axes.ravel()
    for ax in axes[len(columns) :]:
        fig.delaxes(ax)
    for ax, column in zip(axes, columns):
        for label, run in runs.items():
            ax.plot(
                run.index,
                run[column].rolling(smooth, min_periods=1).mean(),
                label=label,
            )
        ax.set_title(column, fontsize=9)
        ax.set_xlabel("step")
    axes[0].set_yscale("symlog", linthresh=1e-3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def efficiency_bars(table: pd.DataFrame, columns: Mapping[str, str]) -> Figure:
    """Table VI: one log-scale bar panel per column, the paper's rows black, ours orange.

    ``table``: columns ``method``, ``source`` and those of ``columns`` (column -> axis label).
    """
    fig, axes = _figure(4 * len(columns), 3.2, len(columns), sharey=True)
    colours = [
        PALETTE["paper"] if s.startswith("paper") else PALETTE["measured here"]
        for s in table.source
    ]
    for ax, (column, label) in zip(axes, columns.items()):
        ax.barh(table.method, table[column], color=colours)
        ax.set_xscale("log")
        ax.set_xlabel(label + "\nlog scale")
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig


def show_frame(ax, frame: np.ndarray, size: tuple[int, int], title: str) -> None:
    """A thumbnail at the video's aspect ratio (``size`` = width, height), titled, no axes."""
    width, height = size
    ax.imshow(frame, extent=(0, width, height, 0))
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def frame_grid(
    frames: Mapping[str, tuple[np.ndarray, tuple[int, int], str]],
    cols: int = 4,
    title: str = "",
) -> Figure:
    """One thumbnail per entry: name -> (frame, (width, height), caption)."""
    rows = -(-len(frames) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(8, 1.9 * rows), squeeze=False)
    for ax, (frame, size, caption) in zip(axes.flat, frames.values()):
        show_frame(ax, frame, size, caption)
    for ax in axes.flat[len(frames) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    return fig


def score_panel(
    frames: Sequence[tuple[np.ndarray, str]],
    size: tuple[int, int],
    duration_s: float,
    curves: Mapping[str, np.ndarray],
    spans=(),
    mel: np.ndarray | None = None,
    marks_s: Sequence[float] = (),
    title: str = "",
) -> Figure:
    """Fig. 7: thumbnails, the log-mel spectrogram (``None``: no sound track) and score curves.

    ``frames``: (frame, caption) pairs; ``curves``: method (a :data:`PALETTE` name) -> (T,)
    scores, one per 0.2-s step; ``spans``: labelled highlight spans (s), shaded;
    ``marks_s``: times of the thumbnails, marked under the curves.
    """
    fig = plt.figure(figsize=(8, 4.6))
    grid = fig.add_gridspec(3, max(len(frames), 1), height_ratios=(0.9, 1, 1.5))
    for i, (frame, caption) in enumerate(frames):
        show_frame(fig.add_subplot(grid[0, i]), frame, size, caption)
    ax_mel = fig.add_subplot(grid[1, :])
    if mel is not None:
        ax_mel.imshow(
            mel.T,
            origin="lower",
            aspect="auto",
            cmap="magma",
            extent=(0, duration_s, 0, mel.shape[1]),
        )
        ax_mel.set_ylabel("mel band")
    else:
        ax_mel.text(
            0.5,
            0.5,
            "no sound track",
            ha="center",
            va="center",
            transform=ax_mel.transAxes,
        )
        ax_mel.set_yticks([])
    ax = fig.add_subplot(grid[2, :], sharex=ax_mel)
    for start, end in spans:
        ax.axvspan(start, end, **HIGHLIGHT_SHADE)
    for name, scores in curves.items():
        ax.plot(
            np.arange(len(scores)) * STEP_S, scores, color=PALETTE[name], label=name
        )
    if len(marks_s):
        ax.plot(marks_s, np.full(len(marks_s), -0.06), "k^", ms=5, label="frames above")
    ax.set_xlim(0, duration_s)
    ax.set_ylim(-0.12, 1.05)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("highlight score")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=4, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.subplots_adjust(top=0.88, hspace=0.3, bottom=0.18)
    return fig


def segments_panel(
    scores: np.ndarray,
    duration_s: float,
    segments,
    frames: Sequence[tuple[np.ndarray, str]],
    size: tuple[int, int],
    spans=(),
    title: str = "",
    max_frames: int = 6,
) -> Figure:
    """A score curve with the selected segments shaded green, labelled spans as red bars on
    top, and a thumbnail per segment (up to ``max_frames``) below."""
    fig = plt.figure(figsize=(8, 3.2))
    grid = fig.add_gridspec(2, max_frames, height_ratios=(1.3, 1))
    ax = fig.add_subplot(grid[0, :])
    for seg in segments:
        ax.axvspan(seg.start_s, seg.end_s, color="tab:green", alpha=0.3, lw=0)
    for start, end in spans:
        ax.plot(
            [start, end],
            [1.08, 1.08],
            color=PALETTE["highlights"],
            lw=4,
            solid_capstyle="butt",
        )
    ax.plot(np.arange(len(scores)) * STEP_S, scores, color=PALETTE["ours"])
    ax.set_xlim(0, duration_s)
    ax.set_ylim(0, 1.15)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("score")
    ax.set_title(title, fontsize=9)
    for i, (frame, caption) in enumerate(frames[:max_frames]):
        show_frame(fig.add_subplot(grid[1, i]), frame, size, caption)
    fig.subplots_adjust(hspace=0.6)
    return fig


def row_curves(
    curves: Mapping[str, np.ndarray],
    positives: np.ndarray | None = None,
    title: str = "",
) -> Figure:
    """A benchmark video's score curves, one score per label clip (a feature row of the
    published features), each min-max scaled over the video so curves of other scales
    compare; ``curves``: method (a :data:`PALETTE` name) -> (n,) scores; ``positives``:
    (n,) bool, the clips labelled as highlights, shaded (None: labels not at hand)."""
    fig, (ax,) = _figure(8, 2.8)
    for i in np.flatnonzero(positives if positives is not None else []):
        ax.axvspan(i - 0.5, i + 0.5, **HIGHLIGHT_SHADE)
    for name, scores in curves.items():
        span = np.ptp(scores)
        scaled = (scores - scores.min()) / span if span > 0 else np.zeros(len(scores))
        ax.plot(scaled, color=PALETTE[name], label=name, lw=1.2)
    n = max(len(x) for x in curves.values())
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("label clip (100 frames, one every 50 frames: ~1.7 s at 30 fps)")
    ax.set_ylabel("score (min-max)")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def glue_figure(name: str, fig: Figure) -> None:
    """Store ``fig`` under ``name`` for a ``{glue:figure}`` directive and close it (myst-nb)."""
    from myst_nb import glue

    glue(name, fig, display=False)
    plt.close(fig)


def share_curve(
    rows: pd.DataFrame, baselines: Mapping[str, float], split: str
) -> Figure:
    """mAP against the share of the pretraining videos, one line per design with the
    spread over seeds (seaborn), label-free baselines as horizontal lines.

    ``rows``: one row per run (columns ``design``, ``videos``, ``mAP_<split>``);
    ``baselines``: name -> mAP on the same split.
    """
    fig, (ax,) = _figure(6.0, 3.6)
    sns.lineplot(
        rows,
        x="videos",
        y=f"mAP_{split}",
        hue="design",
        palette=PALETTE,
        marker="o",
        errorbar="sd",
        ax=ax,
    )
    for name, value in baselines.items():
        ax.axhline(value, color=PALETTE[name], lw=1.5, ls="--", label=name)
    ax.set_xlabel("pretraining videos (YouTube Highlights train split)")
    ax.set_ylabel(f"mAP, {split} split")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig
