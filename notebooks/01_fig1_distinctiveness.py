# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Are highlights distinct? The similarity analysis (Fig. 1)
#
# This page reproduces **Fig. 1** of the paper, the observation the method is built on:
# *highlight moments have fewer similar feature vectors within their video than ordinary
# moments*. The figure below shows, for every step of the labelled videos, the share of
# the vectors in its 30-s window that are similar to it, highlight steps against the
# rest; the same measure on the benchmarks' published features follows, and the verdict
# closes the page.
#
# ```{glue:figure} fig1-distributions
# :name: fig-distinct
#
# **Fig. 1 of the paper, as distributions**: per step, the share of the window's feature
# vectors within the similarity threshold (median threshold), for highlight steps and for
# the rest; dashed lines are quartiles. Lower means more distinct.
# ```
#
# ## How it is measured
#
# As in the paper, a video is sampled at 5 frames per second, each frame becomes
# a visual feature vector, and for each vector we count the other vectors within a 30-s
# window (15 s either side) whose mean squared error (MSE) to it is below a threshold.
# The counts are then averaged over highlight steps and over the rest.
#
# The paper gives no threshold. We use, for each video, the **median of its within-window
# pairwise MSEs** (so about half of all pairs count as similar in every video, whatever
# the scale of its features), and show below how the comparison moves with other choices.
#
# With the `paper` profile the analysis runs on the benchmarks' videos (TVSum and YouTube
# Highlights, as in the paper); with `smoke` it runs on the labelled video(s) of the data
# root only.

# %% tags=["parameters", "remove-input"]
profile = "smoke"  # "smoke" or "paper"
data_root = None  # None: RASL_DATA, ../shared/data, or the generated synthetic demo set
artifacts = "artifacts"  # folder shared by the book's notebooks (feature cache)
# committed benchmark results; None: results/benchmarks in the checkout
results_dir = None

# %% tags=["remove-input"]
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from rasl.config import CLIP_S, STEP_S
from rasl.config import profile as run_profile
from rasl.data import load_tvsum, load_youtube
from rasl.features import extract_features
from rasl.metrics import tvsum_labels
from rasl.paper import ledger, plots
from rasl.paper.baselines import pairwise_mse, similar_counts
from rasl.paper.book import ROOT, run_settings
from rasl.paper.demo import data_root_or_demo, is_synthetic
from rasl.paper.runs import read_labels, span_clips
from rasl.paper.tables import one_header, read_baselines

root = data_root_or_demo(data_root)
cfg = run_profile(profile)
cache = Path(artifacts) / "features"
synthetic = is_synthetic(root)
display(run_settings(profile=profile, data_root=data_root, artifacts=artifacts))


@dataclass
class Item:
    group: str  # the benchmark, or the kind of labelled video
    name: str
    video: Path
    spans: np.ndarray  # (n, 2) highlight spans, seconds


if profile == "paper":
    with (
        warnings.catch_warnings()
    ):  # the loaders warn with the full list of videos not on disk: counted below
        warnings.simplefilter("ignore")
        tvsum = load_tvsum(root / "tvsum", video_dir=root / "tvsum" / "video")
        youtube = load_youtube(
            root / "youtube_highlights",
            video_dir=root / "youtube_highlights" / "videos",
        )
    items = []
    # positives: 2-s segments whose mean over the 20 annotators is above the median
    for v in tvsum.videos:
        positive = tvsum_labels(v.segment_scores, "consensus")[0]
        items.append(Item("TVSum", v.video_id, v.path, v.clip_spans_s()[positive]))
    # positives: clips labelled 1 (matched an edited highlight)
    for v in youtube.videos:
        items.append(
            Item(
                "YouTube Highlights",
                v.video_id,
                v.path,
                v.clip_spans_s()[v.labels == 1],
            )
        )
    for name, loaded in (
        ("TVSum", tvsum),
        ("YouTube Highlights (test split)", youtube),
    ):
        print(
            f"{name}: {len(loaded.videos)} videos found, {len(loaded.missing)} not on "
            "disk (skipped)"
        )
    if not items:
        raise FileNotFoundError(
            "no benchmark videos under the data root's tvsum/video or "
            "youtube_highlights/videos"
        )
    display(Markdown("Videos of the paper's benchmarks, with their human annotations."))
else:
    group = "SYNTHETIC demo" if synthetic else "labelled real"
    items = [
        Item(group, x.video.name, x.video, np.array(x.spans)) for x in read_labels(root)
    ]
    display(
        Markdown(
            f"**SYNTHETIC demo data** ({len(items)} generated clips; their labelled "
            "spans are where the generator drew a highlight): nothing measured here "
            "says anything about real videos."
            if synthetic
            else f"**Smoke profile: {len(items)} real video(s) with human highlight "
            "labels** from the data root (`videos/labels.csv`; for Big Buck Bunny, "
            "the spans a human editor kept for a trailer). This is a handful of steps "
            "from one or two videos, not the paper's benchmarks: it illustrates the "
            "analysis, it does not test the claim."
        )
    )

# %% [markdown]
# ## Similar vectors per step
#
# `rasl.paper.baselines.similar_counts` counts, for every step, the vectors within the window
# whose MSE is below the threshold, and how many vectors the window holds (fewer near the
# ends of a video). A step is a highlight step when its 0.2 s overlap a highlight span
# (`rasl.paper.runs.span_clips` with 0.2-s clips). Features: the profile's visual
# encoder (Swin-B for `paper`, as in the paper; EfficientNet-Lite0 for `smoke`), read from
# and written to the feature cache that later chapters share.

# %% tags=["hide-input"]
QUANTILES = (
    0.25,
    0.5,
    0.75,
)  # thresholds tried: these quantiles of each video's within-window MSEs
HL, REST = "highlights", "the rest"

rows, steps, per_step = [], {}, []
for item in items:
    feats = extract_features(item.video, cfg.features, cache_dir=cache)
    mses = np.concatenate(pairwise_mse(feats.visual))
    _, labels = span_clips(
        feats.duration_s, [tuple(s) for s in item.spans], clip_s=STEP_S
    )
    assert len(labels) == len(feats.visual), (item.name, len(labels), len(feats.visual))
    highlight = labels > 0
    for q in QUANTILES:
        counts, neighbours = similar_counts(feats.visual, float(np.quantile(mses, q)))
        if q == 0.5:
            steps[item.name] = (feats.duration_s, item.spans, counts, neighbours)
            per_step.append(
                pd.DataFrame(
                    {
                        "group": item.group,
                        "video": item.name,
                        "part": np.where(highlight, HL, REST),
                        "share_similar": counts / neighbours,
                    }
                )
            )
        rows += [
            {
                "group": item.group,
                "video": item.name,
                "quantile": q,
                "part": part,
                "steps": int(m.sum()),
                "similar": counts[m].sum(),
                "neighbours": neighbours[m].sum(),
            }
            for part, m in ((HL, highlight), (REST, ~highlight))
            if m.any()
        ]
per_video = pd.DataFrame(rows)
per_step = pd.concat(per_step, ignore_index=True)
plots.glue_figure("fig1-distributions", plots.similarity_distributions(per_step))
print(
    f"{len(items)} video(s), {sum(len(s[2]) for s in steps.values())} steps, window "
    f"{CLIP_S:g} s, one vector every {STEP_S:g} s"
)
NAMES = {  # column -> heading
    "steps": "steps",
    "similar_per_step": "similar vectors per step",
    "share_similar": "share of the window similar",
}

# %% [markdown]
# Per video, at the median threshold: steps, and the mean number of similar vectors per
# step for highlight steps and for the rest (with the share of the window's vectors that
# are similar, which corrects for the fewer neighbours near a video's ends).

# %% tags=["hide-input"]
median = per_video[per_video["quantile"] == 0.5]
table = median.set_index(["group", "video", "part"])
table = table.assign(
    similar_per_step=table.similar / table.steps,
    share_similar=table.similar / table.neighbours,
)
table[list(NAMES)].unstack("part").round(3).rename(columns=NAMES).pipe(one_header)

# %% [markdown]
# ## Fig. 1: highlights vs the rest
#
# Mean number of similar feature vectors per step, over all steps of each group's videos,
# at the median threshold (the paper's Fig. 1 plots these means):

# %% tags=["hide-input"]
pooled = per_video.groupby(["group", "quantile", "part"])[
    ["similar", "neighbours", "steps"]
].sum()
pooled["similar_per_step"] = pooled.similar / pooled.steps
pooled["share_similar"] = pooled.similar / pooled.neighbours
at_median = pooled.xs(0.5, level="quantile").similar_per_step.unstack("part")
at_median.round(2).pipe(one_header)  # similar vectors per step

# %% [markdown]
# How the comparison depends on the threshold (the quantile of each video's within-window
# MSEs below which two vectors count as similar):

# %% tags=["hide-input"]
by_threshold = pooled.similar_per_step.unstack("part")
by_threshold.round(2).rename_axis(
    index=["group", "threshold (quantile of the MSEs)"]
).pipe(one_header)  # similar vectors per step

# %% [markdown]
# ## Step by step
#
# The number of similar vectors of every step (median threshold) with the highlight spans
# shaded; the dashed line is how many vectors the window holds. Up to four videos.

# %% tags=["hide-input"]
shown = dict(list(steps.items())[:4])
plots.glue_figure(
    "counts", plots.counts_over_time(shown, " (SYNTHETIC)" if synthetic else "")
)

# %% [markdown]
# ```{glue:figure} counts
# :name: fig-counts
#
# Similar vectors of every step (blue) and vectors in its window (dashed), with the
# labelled highlight spans shaded red.
# ```

# %% [markdown]
# (fig1-benchmarks)=
# ## On the benchmarks: distinctiveness as a score
#
# The benchmarks' videos are not here, but their published features are (UMT's I3D RGB
# vectors, one per label clip of about 2 s). Fig. 1's measure turned into a score per
# row, one minus the share of the 30-s window's vectors that are similar to it
# (`rasl.paper.baselines.distinctiveness_scores`, median threshold), ranks highlights
# above the rest if highlights are the more distinct rows. Its mAP against random
# scores on the videos each benchmark is scored on, read from the committed
# `results/benchmarks/baselines.csv` (the claims ledger of the first page applies its
# rule to these numbers):

# %% tags=["remove-input"]
results_dir = Path(results_dir) if results_dir else ROOT / "results" / "benchmarks"
if (results_dir / "baselines.csv").is_file():
    committed = read_baselines(results_dir / "baselines.csv")
    check = ledger.distinctiveness(committed)
    display(Markdown(f"{check.shown}: {check.why}."))
else:
    check = None
    print(
        "no committed baselines (results/benchmarks/baselines.csv): "
        "experiments/run_benchmarks.py --out results/benchmarks --set baselines"
    )

# %% [markdown]
# ## What we found

# %% tags=["hide-input"]
found = []
for group, row in at_median.iterrows():
    fewer = row[HL] < row[REST]
    found.append(
        f"on {group} videos, highlight steps have on average **{row[HL]:.1f}** similar "
        f"vectors in their 30-s window against **{row[REST]:.1f}** for the other "
        f"steps, i.e. **{'fewer' if fewer else 'more'}** "
        f"({100 * (row[HL] / row[REST] - 1):+.1f} %)"
    )
agree = by_threshold[HL] < by_threshold[REST]
display(
    Markdown(
        "In this notebook we have repeated the similarity analysis of Fig. 1: "
        + "; ".join(found)
        + ". "
        f"Highlights have fewer similar vectors at {int(agree.sum())} of the "
        f"{len(agree)} (group, threshold) settings tried. "
        + (
            "These are synthetic clips: the result checks the code, not the paper's "
            "claim."
            if synthetic
            else (
                "The paper reports fewer similar vectors for highlights on both "
                "benchmarks."
                if profile == "paper"
                else "With one or two labelled real videos this is an illustration, "
                "not evidence for or against the paper's claim, which it makes on "
                "TVSum and YouTube Highlights."
            )
        )
        + (
            " On the benchmarks' published features, Fig. 1's measure as a score "
            + ("ranks" if check.holds else "does not rank")
            + " highlights above random scores on both benchmarks."
            if check
            else ""
        )
    )
)
