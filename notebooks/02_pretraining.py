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
# # Pretraining (Algorithm 1)
#
# The model learns without labels: each modality's feature sequence is reconstructed
# through the autoencoder and its RASL module (L_e, Eq. 5), the top activations are pushed
# up by k-point contrastive learning (L_r, Eq. 8), half of the feature vectors are masked
# and reconstructed (L_au, Eq. 10), and the audio and visual representations of the same
# time step are paired by symmetric contrastive learning (L_s, Eq. 9). Algorithm 1 sums
# them (Eq. 11) and updates everything with RMSprop at learning rate 1e-3.
#
# This notebook runs `rasl.train.pretrain` on the data root's videos and plots every loss
# term (the figure below). The checkpoint it writes (`artifacts/runs/full/last.pt`) is
# the model the later chapters score with. At the end, the committed fidelity study shows
# what the k-point loss sees when eta is taken as printed or from standardised
# activations.
#
# ```{glue:figure} losses
# :name: fig-losses
#
# Every loss term of Eq. (11) during this build's pretraining, one panel per term, log
# scale (the paper shows no such curves).
# ```

# %% tags=["parameters", "remove-input"]
# "smoke": CPU, minutes; "paper": GPU, ActivityNet under the data root
profile = "smoke"
data_root = None  # None: RASL_DATA, ../shared/data, or the generated synthetic demo set
artifacts = "artifacts"  # folder shared by the book's notebooks
# steps of the two live runs that draw printed vs standardised eta on the benchmarks'
# features; None: 200 with the paper profile, none with smoke (the committed study's
# table is shown either way)
diagnostic_steps = None

# %% tags=["remove-input"]
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from rasl.clips import dataset_from_videos
from rasl.config import profile as run_profile
from rasl.data import load_feature_benchmark
from rasl.paper import plots
from rasl.paper.analysis import read_study, summarise_study
from rasl.paper.benchmark import TIMELINES, benchmark_config, pretrain_model
from rasl.paper.book import ROOT, report, run_settings
from rasl.paper.demo import data_root_or_demo, is_synthetic
from rasl.paper.runs import pretrain_variant, pretraining_videos, variant_config
from rasl.paper.tables import one_header
from rasl.runtime import configure_cpu
from rasl.train import read_loss_log

configure_cpu()  # before torch starts its CPU threads: 1.8x faster training steps
# the clip dataset warns when it leaves silent videos out of audio pretraining;
# the table below lists them
warnings.filterwarnings("ignore", message=".*no audio track and are left out")

root = data_root_or_demo(data_root)
cfg = variant_config(run_profile(profile), "full", artifacts)
videos = pretraining_videos(root, cfg)
display(
    run_settings(
        profile=profile,
        data_root=data_root,
        artifacts=artifacts,
        diagnostic_steps=diagnostic_steps,
    )
)
display(
    Markdown(
        f"Profile **{profile}**: {len(videos)} videos, {cfg.train.steps} steps of "
        f"{cfg.train.batch_size} clips, visual encoder `{cfg.features.visual}`, audio "
        f"encoder `{cfg.features.audio}`, d = {cfg.model.dim}."
        + (" **SYNTHETIC demo data.**" if is_synthetic(root) else "")
        + (
            f" The smoke profile's {cfg.train.steps} steps check that every loss "
            "term is computed and trains; they are far too few for the curves to "
            "settle, and the numbers are not comparable to the paper's."
            if profile == "smoke"
            else ""
        )
    )
)

# %% [markdown]
# ## Feature sequences and clips
#
# Frames every 0.2 s go through the visual encoder, the audio is pooled onto the same
# timeline and interpolated to the visual length (Section III-F), and each video is cut
# into 30-s clips of 150 steps (short videos are repeated to fill one). Videos without a
# sound track cannot feed the audio branch and are left out of pretraining. The features
# are cached, one file per video, and the clips are cut from those files as training asks
# for them (`rasl.clips.dataset_from_videos`), so no video's features are held in memory
# here: the table reads the files' headers.

# %% tags=["hide-input"]
cache = Path(artifacts) / "features"
data = dataset_from_videos(
    [str(v) for v in videos],
    cfg,
    cache,
    progress=False,
    workers=cfg.train.num_workers,
)
pd.DataFrame(
    {
        "video": [v.name for v in videos],  # data.steps holds their files in this order
        "steps of 0.2 s": [fvs["visual"] for fvs in data.steps.values()],
        "sound track": [
            "yes" if "audio" in fvs else "no" for fvs in data.steps.values()
        ],
        "30-s clips": list(data.clips_per_file().values()),
    }
).set_index("video").pipe(one_header)

# %% [markdown]
# ## Training
#
# One call runs Algorithm 1 (`rasl.train.pretrain`; a checkpoint already trained with this
# exact configuration is reused); it logs every term of every step to `losses.jsonl` and
# writes checkpoints (config, weights, optimiser and RNG state) that resume exactly.

# %%
last = pretrain_variant(run_profile(profile), "full", data, artifacts)
log = pd.DataFrame(read_loss_log(Path(cfg.out_dir) / "losses.jsonl")).set_index("step")
terms = [c for c in log.columns if c.startswith("L_")]
log[terms].round(4).tail()

# %% [markdown]
# ## Loss curves, one panel per term
#
# RMSprop's first updates are large (its running average of squared gradients starts at
# zero), so the first steps can spike before the terms settle.

# %% tags=["hide-input"]
title = f"Pretraining losses ({profile} profile" + (
    ", SYNTHETIC data)" if is_synthetic(root) else ")"
)
plots.glue_figure("losses", plots.loss_curves(log, terms, title))

# %% [markdown]
# The temperature Gamma of Eq. (9) is learned too (a log-scale, initialised to 3.1):

# %% tags=["hide-input"]
if "Gamma" in log:
    print(
        f"Gamma: {log['Gamma'].iloc[0]:.4f} at step 1 -> {log['Gamma'].iloc[-1]:.4f} "
        f"at step {log.index[-1]}"
    )

# %% [markdown]
# ## What the k-point loss sees: printed eta against standardised eta
#
# Eq. (8) as printed can be satisfied without ranking anything: an offset of the
# activations raises eta, and the two free projections can push the top/bottom cosine to
# -1 for every pair. Pretraining logs, per step and branch, eta, the mean and the
# within-clip spread of s and the mean top/bottom similarity. The committed fidelity
# study (`results/fidelity/study_*.csv`, `experiments/fidelity_study.py`) pretrained both
# readings on the YouTube Highlights train split (published I3D/PANN features, 15-row
# clips, k = 1, 500 steps, seeds 0-2); its end state, the mean over the last 50 steps
# (visual branch):

# %% tags=["remove-input"]
fidelity = ROOT / "results" / "fidelity"
READINGS = {"printed": "printed eta", "standardise_eta": "standardised eta"}
COLUMNS = {  # logged value -> (heading, format)
    "eta/visual": ("eta", ".2f"),
    "L_r/visual": ("L_r", ".2g"),
    "s_mean/visual": ("mean of s", ".2f"),
    "s_std/visual": ("spread of s in a clip", ".3f"),
    "sim/visual": ("top/bottom similarity", ".3f"),
}
study = [
    r
    for path in sorted(fidelity.glob("study_*.csv"))
    for r in read_study(path)
    if r["variant"] in READINGS
]
end = {r["variant"]: r for r in summarise_study(study, ("variant",), list(COLUMNS))}
display(
    pd.DataFrame(
        {
            f"{READINGS[v]} ({r['seeds']} seeds)": {
                heading: f"{r[c]:{fmt}} ±\u00a0{r[f'{c} std']:{fmt}}"
                for c, (heading, fmt) in COLUMNS.items()
            }
            for v, r in end.items()
        }
    ).T.rename_axis("eta of Eq. (8)")
)
printed, standardised = end["printed"], end["standardise_eta"]
display(
    Markdown(
        f"As printed, s drifts to an offset of {printed['s_mean/visual']:.1f} with a "
        f"spread of {printed['s_std/visual']:.3f} within a clip, the top/bottom "
        f"similarity goes to {printed['sim/visual']:.2f}, eta reaches "
        f"{printed['eta/visual']:.1f} and L_r {printed['L_r/visual']:.1g}: it gives no "
        "gradient any more. Taken from the clip's standardised activations (our "
        "default, chosen on the train split, see the implementation notes), eta stays "
        f"at {standardised['eta/visual']:.1f} and L_r at "
        f"{standardised['L_r/visual']:.3f}, which still trains s."
    )
)

# %% [markdown]
# Two live runs draw the same comparison step by step (curves smoothed over 10 steps)
# when `diagnostic_steps` is set (the `paper` profile's default: 200 steps each, seed 0).

# %% tags=["hide-input"]
steps = diagnostic_steps if diagnostic_steps is not None else 200 * (profile == "paper")
if not steps:
    print(
        f"not drawn: the {profile} profile does not run them (diagnostic_steps "
        "200 does, in a few minutes on 2 cores); the table above is the committed "
        "study's"
    )
elif not (root / "umt").is_dir():
    print(
        "not drawn: the live runs need the benchmarks' features, umt/ in the data "
        "root (rasl data fetch umt --root DATA_ROOT)"
    )
else:
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # the 28 listed YouTube Highlights videos without a feature file
        train = [
            v
            for v in load_feature_benchmark(root, "youtube").videos
            if v.split == "train"
        ]
    timeline = TIMELINES["native15"]
    runs = {}
    for label, standardise in (("printed eta", False), ("standardised eta", True)):
        report(f"live run, {label}: {steps} steps")
        records = []
        bench_cfg = benchmark_config(timeline, steps=steps, standardise_eta=standardise)
        pretrain_model(
            bench_cfg,
            train,
            timeline,
            on_step=lambda step, rec, model: records.append(rec),
        )
        runs[label] = pd.DataFrame(records, index=range(1, len(records) + 1))
    shown = [
        "L_r/visual",
        "eta/visual",
        "s_mean/visual",
        "s_std/visual",
        "sim/visual",
        "L_s",
    ]
    title = (
        "YouTube Highlights train split, published features: "
        "what L_r sees (visual branch)"
    )
    fig = plots.run_comparison(runs, shown, title=title)
    display(fig)
    plt.close(fig)
    last = {label: run.tail(10).mean() for label, run in runs.items()}
    display(
        Markdown(
            f"The two live runs of {steps} steps: the logged loss, eta, the mean and "
            "within-clip spread of the activations s, top/bottom similarity and L_s. "
            "Over their last 10 steps eta is "
            + " and ".join(
                f"{x['eta/visual']:.1f} with L_r {x['L_r/visual']:.4f} ({label})"
                for label, x in last.items()
            )
            + "."
        )
    )

# %% [markdown]
# In this notebook we have pretrained the full model with every loss term of Eq. (11):

# %% tags=["hide-input"]
first, final = log.iloc[0], log.iloc[-1]
pd.DataFrame({"step 1": first[terms], f"step {log.index[-1]}": final[terms]}).round(4)
