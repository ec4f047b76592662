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
# # Ablations: Tables III, IV, V and Fig. 6
#
# The paper removes one part at a time (Table III), replaces the symmetric contrastive
# module by direct audio-visual fusion (Table IV), swaps the deep features for pixels and
# mel-spectrograms as reconstruction targets (Table V) and varies k with and without
# k-point contrastive learning (Fig. 6). Every variant here is a value of the run
# configuration (`rasl.paper.variants.VARIANTS`), pretrained exactly like the full model and
# scored the same way.
#
# **Measured on the benchmarks' published features**: every Table III and Table IV
# variant and the Fig. 6 sweep, for each design of the model committed, pretrained
# in-domain on the YouTube Highlights train split (unlabelled) and scored on its val split
# over several seeds, beside the full model and the rgb-norm baseline. The runs are
# committed in `results/benchmarks/` (the Reproducibility page lists each one's command,
# seeds and wall time); Table V changes the encoders and cannot be run from features.
#
# ```{glue:figure} ablations
# :name: tbl-ablations
#
# **Tables III and IV of the paper, measured**: YouTube Highlights val split, Average mAP
# over the 6 domains, mean ± standard deviation over seeds per variant and design, beside
# the paper's YouTube Highlights column ("Ours" is the full model).
# ```
#
# ```{glue:figure} ksweep
# :name: fig-ksweep
#
# **Fig. 6 of the paper, measured**: mAP against k (of 15 rows per clip), with and
# without k-point contrastive learning, one panel per design whose sweep is committed;
# bands are one standard deviation over seeds, the dashed line the rgb feature norm.
# ```
#
# **The profile's own runs** (the sections after it): with `paper` the variants are
# pretrained on ActivityNet and evaluated on both benchmarks; with `smoke` each variant is
# built, pretrained for a few steps and scored on the data root's labelled videos: a
# check that every variant runs end to end, **not** a measurement comparable with the
# paper's tables.

# %% tags=["parameters", "remove-input"]
profile = "smoke"
data_root = None
artifacts = "artifacts"
# committed benchmark results; None: results/benchmarks in the checkout
results_dir = None
# Fig. 6 sweep run here; k of 10, as in the paper, is the full model. None: 1, 10 and 30
# with the paper profile, 1 and 10 with smoke
k_values = None
# pretraining steps of each variant run here; None: the profile's with paper, 2 with
# smoke (enough to build, train, save, reload and score every variant)
variant_steps = None

# %% tags=["remove-input"]
import functools
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from rasl import decode
from rasl.config import DESIGNS
from rasl.config import profile as run_profile
from rasl.paper import ledger, plots, published
from rasl.paper.baselines import expected_random_ap
from rasl.paper.benchmark import read_results
from rasl.paper.book import ROOT, run_settings
from rasl.paper.demo import data_root_or_demo, is_synthetic
from rasl.paper.provenance import commits_apart
from rasl.paper.runs import (
    evaluate_variant,
    pretraining_videos,
    read_labels,
    span_clips,
    variant_config,
)
from rasl.paper.tables import (
    TABLE3,
    TABLE4,
    ablation_comparison,
    ablation_table,
    baseline_columns,
    one_header,
    read_baselines,
)
from rasl.paper.variants import VARIANTS, sweep_variant, variant
from rasl.runtime import configure_cpu

configure_cpu()  # before torch starts its CPU threads: 1.8x faster training steps
# videos without a sound track are left out of audio pretraining (listed in the
# pretraining chapter); the clip dataset warns each time it indexes them
warnings.filterwarnings("ignore", message=".*no audio track and are left out")

root = data_root_or_demo(data_root)
smoke = profile == "smoke"
k_values = k_values or ([1, 10] if smoke else [1, 10, 30])
steps = variant_steps or (2 if smoke else run_profile(profile).train.steps)
base = run_profile(profile).replace(train={"steps": steps})
# a run with the profile's own steps is the later chapters' model: kept under runs/;
# shorter ones apart, under ablations/
runs = "runs" if steps == run_profile(profile).train.steps else "ablations"
videos = pretraining_videos(root, base)
display(
    run_settings(
        profile=profile,
        data_root=data_root,
        artifacts=artifacts,
        results="results/benchmarks",
        k_values=k_values,
        variant_steps=steps,
    )
)

# %% [markdown]
# (ablations-measured)=
# ## Tables III and IV, measured on the published features
#
# The table and the Fig. 6 sweep at the top of the page come from these runs. "w/o RASL"
# (k = 0) has no L_r; like every model here its score is oriented without
# labels so that it rises with each step's error of reconstruction from its context (the
# paper's premise: distinct steps are harder to reconstruct; `rasl.train.orient`, see the
# implementation notes).

# %% tags=["remove-input"]
results_dir = Path(results_dir) if results_dir else ROOT / "results" / "benchmarks"
ablation_rows = read_results(sorted(results_dir.glob("youtube_in-domain_*.csv")))
if ablation_rows and (results_dir / "baselines.csv").is_file():
    baselines = read_baselines(results_dir / "baselines.csv")
    norm_rgb = baseline_columns(baselines, "youtube")["norm (rgb)"]["Average"]
    compared = pd.DataFrame(
        ablation_comparison(ablation_rows, ("full", *TABLE3, *TABLE4))
    )
    compared.insert(0, "table", ["III"] * (1 + len(TABLE3)) + ["IV"] * len(TABLE4))
    compared = compared.set_index(["table", "method"]).rename(
        columns={"paper": "paper (YouTube Highlights)"}
    )
    glue("ablations", one_header(compared), display=False)
    sweep = pd.DataFrame.from_dict(ablation_table(ablation_rows), orient="index")
    sweep = sweep.dropna(subset=["k"]).assign(
        design=lambda t: [variant(v).design for v in t.variant]
    )
    per_seed = pd.DataFrame(
        [
            r
            for r in ablation_rows
            if r["domain"] == "Average" and r["seed"] not in ("mean", "std")
        ]
    )
    points = per_seed.merge(
        sweep[["variant", "k", "k-point contrast", "design"]], on="variant"
    ).astype({"k-point contrast": bool})
    # a design's sweep is drawn once it has runs with and without the contrast
    designs = [
        d
        for d in DESIGNS
        if set(points[points.design == d]["k-point contrast"]) == {True, False}
    ]
    fig, axes = plt.subplots(
        1, len(designs), figsize=(4.2 * len(designs), 3.2), squeeze=False, sharey=True
    )
    for ax, design in zip(axes[0], designs):
        plots.k_sweep(points[points.design == design], baseline=norm_rgb, ax=ax)
        ax.set_title(f"{design} design", fontsize=10)
        ax.set_ylabel("mAP (YouTube Highlights val)")
    plots.glue_figure("ksweep", fig)
    gaps = []
    for design in designs:
        part = sweep[sweep.design == design]
        gap = part.pivot_table(index="k", columns="k-point contrast", values="mean")
        gaps.append(
            f"{design} design: "
            + ", ".join(
                f"k = {int(k)}: {g:+.3f}"
                for k, g in (gap[True] - gap[False]).dropna().items()
            )
            + f" (seed spreads up to {part['std'].max():.3f})"
        )
    display(
        Markdown(
            "The rgb-norm baseline scores "
            f"**{norm_rgb:.3f}** on the same videos. Fig. 6, with minus without "
            "k-point contrast: "
            + "; ".join(gaps)
            + ". "
            + commits_apart(
                results_dir,
                [f"youtube_in-domain_{v}" for v in sorted(set(per_seed.variant))],
                "youtube_in-domain_full",
            )
        )
    )
else:
    print(
        "no committed results (results/benchmarks/): experiments/run_benchmarks.py "
        "--out results/benchmarks --set ablations (--set fig6, --set baselines)"
    )
    for key in ("ablations", "ksweep"):
        glue(key, Markdown("*Not measured: no committed results.*"), display=False)

# %% [markdown]
# (ksweep-measured)=
# ### Fig. 6, measured on the published features
#
# The sweep is drawn at the top of the page; its numbers, per variant:

# %% tags=["remove-input"]
if ablation_rows:
    display(
        sweep.assign(
            k=sweep.k.astype(int),
            contrast=sweep["k-point contrast"].map({True: "with", False: "without"}),
            measured=[
                f"{m:.3f} ± {s:.3f}" for m, s in zip(sweep["mean"], sweep["std"])
            ],
        )
        .set_index(["design", "k", "contrast"])[["measured"]]
        .rename_axis(["design", "k", "k-point contrast"])
        .sort_index()
        .pipe(one_header)
    )

# %% [markdown]
# ## This profile's own runs
#
# Each variant is trained on the features its configuration names (Table V's variants use
# other encoders) and then evaluated (`rasl.paper.runs.evaluate_variant`): on the
# benchmarks (`paper`) or on the labelled videos (`smoke`, mean AP over them).

# %% tags=["remove-input"]
labelled = read_labels(root)
chance = np.mean(
    [
        expected_random_ap(len(labels), int((labels > 0).sum()))
        for labels in (
            span_clips(decode.probe(x.video).duration_s, x.spans)[1] for x in labelled
        )
    ]
)
if smoke:
    display(
        Markdown(
            f"**What these numbers are.** Each model below, the full one included, is "
            f"pretrained for {steps} steps of {base.train.batch_size} clips on the "
            f"data root's {len(videos)} videos"
            + (" (**SYNTHETIC**)" if is_synthetic(root) else "")
            + f" and scored on its {len(labelled)} labelled video(s), where random "
            f"scores get **{chance:.3f}** AP on average. After {steps} steps a model "
            "is still close to its initialisation, which every variant draws from "
            "the same seed, so variants often score alike, well above or below "
            "chance, as that start and its orientation happen to fall on these few "
            "videos; the order between them means nothing. The tables show that "
            "every variant builds, trains, saves, reloads and scores, and say nothing "
            "about the ablations (the measured section above does)."
        )
    )


@functools.cache  # the full model appears in every table: pretrained and evaluated once
def evaluate(name):
    return evaluate_variant(base, name, root, artifacts, videos, runs=runs)


def table(names, paper_name, title):
    ours = pd.DataFrame(
        {VARIANTS[n].label.split(": ")[-1]: evaluate(n) for n in names}
    ).T
    paper = pd.DataFrame(published.load(paper_name)).set_index("method")
    display(
        Markdown(f"**{title} as printed in the paper**"),
        paper.rename(
            columns={"youtube_highlights": "YouTube Highlights", "tvsum": "TVSum"}
        ).pipe(one_header),
        Markdown(f"**Measured here ({profile} profile, {steps} steps)**"),
        ours.round(3).rename_axis("method").pipe(one_header),
    )
    return ours


# %% [markdown]
# ### Table III: the model's components

# %% tags=["hide-input"]
table3 = table([*TABLE3, "full"], "table3_ablation", "Table III")

# %% [markdown]
# ### Table IV: fusion instead of symmetric contrastive learning
#
# The self-attended FVS of both modalities are fused (summation, concatenation, the
# submodule MLP of MINI-Net, the low-rank fusion of Ye et al.) and reconstructed by one
# branch; these models need the audio at inference, ours does not.

# %% tags=["hide-input"]
table4 = table([*TABLE4, "full"], "table4_fusion", "Table IV")

# %% [markdown]
# (table5)=
# ### Table V: reconstruction targets
#
# Pixels (32 x 32 grey frames) or the visual encoder's features; mel-spectrograms or the
# audio encoder's features. These variants change the encoders, which run on the videos:
# on the benchmarks' published features they cannot run, so Table V is measured only by
# the `paper` profile, on the benchmark videos. A variant whose encoders equal the
# profile's own is the full model and is not trained twice (the smoke profile's audio
# target already is the mel-spectrogram: the paper's Mockingjay-style features need
# weights from a hub).

# %% tags=["hide-input"]
targets = {}  # (visual, audio) encoders -> the first variant that uses them
for name in ("full", "pixels_visual", "mel_audio", "pixels_mel"):
    f = variant_config(base, name, artifacts).features
    targets.setdefault((f.visual, f.audio), name)
table5 = pd.DataFrame(
    {f"{visual} + {audio}": evaluate(name) for (visual, audio), name in targets.items()}
).T
display(
    Markdown("**Table V as printed in the paper**"),
    pd.DataFrame(published.load("table5_targets"))
    .set_index(["visual_target", "audio_target"])
    .rename_axis(["visual target", "audio target"])
    .rename(columns={"youtube_highlights": "YouTube Highlights", "tvsum": "TVSum"})
    .pipe(one_header),
    Markdown(f"**Measured here ({profile} profile, {steps} steps)**"),
    table5.round(3).rename_axis("visual + audio encoders").pipe(one_header),
)

# %% [markdown]
# ### Fig. 6: k, with and without k-point contrastive learning
#
# Without k-point contrastive learning eta is the mean of the top-k activations.

# %% tags=["hide-input"]
sweep_here = pd.DataFrame(
    [
        {
            "k": k,
            "k-point contrast": contrast,
            **evaluate(sweep_variant(k, contrast, base.model.k)),
        }
        for k in k_values
        for contrast in (True, False)
    ]
)
metrics = [c for c in sweep_here.columns if c not in ("k", "k-point contrast")]
fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3), squeeze=False)
for ax, metric in zip(axes.flat, metrics):
    plots.k_sweep(sweep_here, y=metric, ax=ax)
fig.suptitle(
    f"Fig. 6 of the paper, {profile} profile, {steps} steps"
    + (", SYNTHETIC data" if is_synthetic(root) else "")
)
fig.tight_layout()
plt.show()
# the contrast as words before it joins the index, where k = 1 would equal True
sweep_here.round(3).assign(
    **{
        "k-point contrast": sweep_here["k-point contrast"].map(
            {True: "with", False: "without"}
        )
    }
).set_index(["k", "k-point contrast"]).pipe(one_header)

# %% [markdown]
# ## What we found

# %% tags=["remove-input"]
found = []
if ablation_rows:
    orderings = ledger.ordering_claim(
        ledger.estimates(ablation_rows),
        [(ledger.short_label(a), "full", a) for a in (*TABLE3, *TABLE4)],
    )
    found.append(
        "On the published features, the full model against each ablation of Tables "
        "III and IV (the claims ledger's rule: mean ± std intervals apart): "
        + "; ".join(f"{d} design, {j.why}" for d, j in orderings.items() if j)
        + "."
    )
ours_here = pd.concat([table3, table4, table5]).iloc[:, 0]
found.append(
    f"Here, every one of {evaluate.cache_info().currsize} variants was built, "
    "pretrained for "
    f"{steps} steps and scored"
    + (
        f" (AP {ours_here.min():.2f} to {ours_here.max():.2f}, chance "
        f"{chance:.2f}: too little training to rank them)."
        if smoke
        else "."
    )
)
display(Markdown(" ".join(found)))
