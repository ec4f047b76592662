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
# # Efficiency: parameters and FLOPs (Table VI)
#
# This page reproduces **Table VI** of the paper: the size and the cost of the network,
# feature extractors excluded (the paper compares methods on precomputed video features).
# We count the parameters of our implementation and its floating-point operations with
# `torch.utils.flop_counter`, and put them beside the paper's numbers for its model and
# the three methods it compares with (those rows are the paper's, not measured here).
# The table below is the result; the bars further down draw it.
#
# ```{glue:figure} efficiency
# :name: tbl-efficiency
#
# **Table VI of the paper, with ours**: the paper's rows and ours, counted here (FLOPs as
# multiply-adds, the paper's convention; torch's convention counts 2 FLOPs per
# multiply-add; scoring: the cost of scoring one clip). Empty cells: the paper gives no
# such number.
# ```

# %% tags=["parameters", "remove-input"]
profile = "smoke"  # "smoke" or "paper"
data_root = None  # unused here: nothing on this page depends on the videos
artifacts = "artifacts"  # unused here: nothing is read from earlier chapters

# %% tags=["remove-input"]
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from rasl.config import profile as run_profile
from rasl.paper import plots, published
from rasl.paper.book import run_settings
from rasl.paper.efficiency import count, count_paper_configuration
from rasl.paper.tables import one_header

display(run_settings(profile=profile))

# %% [markdown]
# ## What is counted
#
# `rasl.paper.efficiency` counts one network built exactly as in the paper's configuration:
# visual and audio FVS of 150 steps (one 30-s clip at 5 frames per second) and
# $d_v = d_a = 1024$ (Swin-B features).
#
# - **Parameters**: the whole pretraining network, i.e. the self-attention, the
#   autoencoder and the RASL module of *both* branches, plus the temperature $\Gamma$.
# - **FLOPs**: the paper does not say what it counts. Its 0.82 G matches the
#   **multiply-adds (MACs)** of *one* branch's forward pass (self-attention, encoder,
#   RASL module and decoder) on one clip, so that is our `FLOPs` column. torch's
#   `FlopCounterMode` counts 2 FLOPs per multiply-add: that convention is shown too.
# - **Inference**: what scoring a clip costs, the visual branch without the decoder.
#
# The smoke profile's model differs only in its input width: EfficientNet-Lite0 pools to
# 1280-d vectors instead of Swin-B's 1024, so its network is wider. It is counted for
# reference; it is not the paper's configuration.

# %% tags=["hide-input"]
ours = count_paper_configuration()
ours_repaired = count_paper_configuration("repaired")
smoke_model = run_profile("smoke").model
ours_smoke = count(smoke_model)
paper = pd.DataFrame(published.load("table6_efficiency"))
display(Markdown(published.citation("table6_efficiency")))


def measured_row(name: str, report: dict) -> dict:
    return {
        "method": name,
        "training": "Unsupervised",
        "parameters_M": round(report["params"] / 1e6, 2),
        "flops_G": round(report["flops"] / 1e9, 2),
        "torch_flops_G": round(report["flops_torch"] / 1e9, 2),
        "inference_macs_G": round(report["flops_inference_macs"] / 1e9, 2),
        "input": report["input"],
        "source": "counted here",
    }


table = pd.concat(
    [
        paper.assign(source="paper, Table VI"),
        pd.DataFrame(
            [
                measured_row("Ours, reproduced (paper configuration)", ours),
                measured_row(
                    "Ours, repaired design (paper configuration)", ours_repaired
                ),
                measured_row(
                    f"Ours, smoke profile (d = {smoke_model.dim})", ours_smoke
                ),
            ]
        ),
    ],
    ignore_index=True,
)
columns = [
    "method",
    "training",
    "parameters_M",
    "flops_G",
    "torch_flops_G",
    "inference_macs_G",
    "input",
    "source",
]
HEADINGS = {
    "training": "training",
    "parameters_M": "parameters (M)",
    "flops_G": "FLOPs (G multiply-adds)",
    "torch_flops_G": "FLOPs, torch's count (G)",
    "inference_macs_G": "scoring a clip (G multiply-adds)",
    "input": "input",
    "source": "source",
}
glue(
    "efficiency",
    table[columns]
    .set_index("method")
    .astype(object)
    .fillna("")
    .rename(columns=HEADINGS)
    .pipe(one_header),
    display=False,
)

# %% tags=["hide-input"]
shown = table[table.method != f"Ours, smoke profile (d = {smoke_model.dim})"]
shown = shown.replace({"method": {"Ours": "Ours (paper)"}})
axes = {
    "parameters_M": "parameters (millions)",
    "flops_G": "FLOPs (G multiply-adds)",
}
plots.glue_figure("efficiency-bars", plots.efficiency_bars(shown, axes))

# %% [markdown]
# ```{glue:figure} efficiency-bars
# :name: fig-efficiency
#
# **Table VI of the paper, as bars**: black, the paper's numbers; orange, counted here.
# ```

# %% [markdown]
# (efficiency-found)=
# ## What we found

# %% tags=["hide-input"]
paper_ours = paper[paper.method == "Ours"].iloc[0]
params_m, flops_g = ours["params"] / 1e6, ours["flops"] / 1e9
display(
    Markdown(
        f"In this notebook we have counted the paper configuration at **{params_m:.2f} "
        f"M parameters** (paper: {paper_ours.parameters_M:.2f} M, a difference of "
        f"{100 * (params_m / paper_ours.parameters_M - 1):+.1f} %) and **{flops_g:.2f} "
        "G multiply-adds** for one branch's forward pass on a 30-s clip (paper: "
        f"{paper_ours.flops_G:.2f} G FLOPs, "
        f"{100 * (flops_g / paper_ours.flops_G - 1):+.1f} %; "
        f"{ours['flops_torch'] / 1e9:.2f} G in torch's 2-FLOPs-per-multiply-add "
        f"convention). Scoring a clip costs {ours['flops_inference_macs'] / 1e9:.2f} G "
        "multiply-adds. The repaired design (per-step maps across the feature vector "
        "in place of the convolutions along it; implementation notes) has "
        f"{ours_repaired['params'] / 1e6:.2f} M parameters and "
        f"{ours_repaired['flops'] / 1e9:.2f} G multiply-adds, "
        f"{ours_repaired['flops_inference_macs'] / 1e9:.2f} G to score a clip. "
        f"The smoke profile's {smoke_model.dim}-d model has "
        f"{ours_smoke['params'] / 1e6:.2f} M parameters and "
        f"{ours_smoke['flops'] / 1e9:.2f} G multiply-adds."
    )
)
