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
# # Qualitative results: score curves, frames and sound (Fig. 7 and Fig. 8)
#
# This page shows what the paper shows in **Fig. 7**: sampled frames, the mel-spectrogram
# of the sound track and the highlight score curves of three models, namely ours
# (pretrained on vision and sound), the same network pretrained without the audio
# modality, and the same network pretrained without the visual modality. As in **Fig. 8**,
# each frame carries the score $s_t$ that our model gives it. The labelled highlight spans are
# shaded. At the end, an explorer turns a curve into highlight segments for a target
# highlight length, the way a user of the method would cut a video, and a second one shows
# the committed score curves of real YouTube Highlights videos from the benchmark runs.
#
# The figure below is the first video's; the others follow, with how well each curve
# matches the labelled spans, and the explorers.
#
# ```{glue:figure} fig7-first
# :name: fig-fig7
#
# **Fig. 7 and 8 of the paper, on the first labelled video**: frames titled with our
# model's score, the log-mel spectrogram of the sound, and the score curves of the three
# models with the labelled highlight spans shaded red.
# ```
#
# The checkpoints come from the earlier chapters (ours from pretraining, the two others
# from the ablations); a model whose checkpoint is missing is left out with a note.

# %% tags=["parameters", "remove-input"]
profile = "smoke"  # "smoke" or "paper"
data_root = None  # None: RASL_DATA, ../shared/data, or the generated synthetic demo set
# folder shared by the book's notebooks (checkpoints, feature cache)
artifacts = "artifacts"
# committed benchmark results; None: results/benchmarks in the checkout
results_dir = None
designs = ["full", "repaired"]  # full-model variants whose benchmark curves are shown

# %% tags=["remove-input"]
import warnings
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from rasl import decode
from rasl.config import STEP_S
from rasl.config import profile as run_profile
from rasl.data import load_feature_benchmark
from rasl.encoders import create_encoder
from rasl.highlights import select_segments
from rasl.inference import score_curve
from rasl.paper import plots
from rasl.paper.baselines import expected_random_ap
from rasl.paper.book import ROOT, run_settings
from rasl.paper.demo import data_root_or_demo, is_synthetic
from rasl.paper.runs import (
    find_checkpoint,
    labelled_ap,
    load_checkpoints,
    read_labels,
    root_features,
    span_clips,
)
from rasl.paper.tables import DESIGN_OF, example_curves, one_header
from rasl.train import load_config

root = data_root_or_demo(data_root)
cfg = run_profile(profile)
display(run_settings(profile=profile, data_root=data_root, artifacts=artifacts))
synthetic = is_synthetic(root)
labelled_as = "generated highlight spans" if synthetic else "human highlight spans"
features = root_features(root, cfg, cache_dir=Path(artifacts) / "features")
spans = {x.video.name: x.spans for x in read_labels(root)}
videos = list(spans)
if profile == "smoke":  # also two unlabelled videos: the longest with and without sound
    others = sorted(
        (n for n in features if n not in spans), key=lambda n: -features[n].duration_s
    )
    videos += [
        n
        for n in (
            next((n for n in others if features[n].audio is not None), None),
            next((n for n in others if features[n].audio is None), None),
        )
        if n
    ]
display(
    Markdown(
        "**SYNTHETIC demo data**: generated clips whose highlights are a bright "
        "moving ball and a loud burst; nothing here says anything about real videos."
        if synthetic
        else f"Real videos of the data root: {', '.join(f'`{v}`' for v in videos)}. "
        f"Only {', '.join(f'`{v}`' for v in spans) or 'none'} carries human highlight "
        "labels (`videos/labels.csv`); the others are shown unlabelled. These are "
        "short public clips, not the paper's surfing and YouTube Highlights examples."
    )
)

# %% [markdown]
# ## The three models
#
# Each checkpoint is scored as in inference (Section III-F): cut into 30-s clips, scored
# by the RASL module of the branch the model was pretrained with, min-max normalised over
# the video. The model pretrained without vision scores from the sound track, so it
# cannot score a video without one; ours and the one pretrained without sound need
# frames only.

# %%
MODELS = {  # checkpoint name -> label (its colour in rasl.paper.plots.PALETTE)
    "full": "ours",
    "visual_only": "pretrained without audio",
    "audio_only": "pretrained without vision",
}
checkpoints = {name: find_checkpoint(artifacts, name) for name in MODELS}
models, left_out = load_checkpoints(checkpoints, cfg)
for line in left_out:
    print(line)
trained = {name: load_config(checkpoints[name]).train.steps for name in models}
for name, model in models.items():
    print(
        f"{MODELS[name]}: scores with its {model.cfg.inference_modality} branch, "
        f"pretrained for {trained[name]} steps"
    )
if not models:
    raise FileNotFoundError(
        "no checkpoint under artifacts/runs: run the pretraining chapter first"
    )
main = next(
    iter(models)
)  # the model whose curve the explorer cuts: ours when it is there

curves = {}
for video in videos:
    curves[video] = {}
    for name, model in models.items():
        if model.cfg.inference_modality == "audio" and features[video].audio is None:
            print(f"{video}: no sound track, so no curve from the model {MODELS[name]}")
            continue
        curves[video][name] = score_curve(model, features[video])

# %% [markdown]
# ## Frames, sound and scores (Fig. 7)
#
# Six frames at evenly spaced times (decoded with `rasl.decode.frames`, the frame of each
# 0.2-s step), each titled with our model's score $s_t$ at that step; the log-mel
# spectrogram of the sound track (`rasl.encoders.LogMel`: 64 mel bands, 10-ms hop, the
# smoke profile's audio features before they are pooled onto the steps); the score curves
# with the labelled highlight spans shaded in red (for the demo set: where the generator
# drew a highlight).

# %% tags=["hide-input"]
N_FRAMES, THUMB = 6, 96
mel_encoder = create_encoder("mel")
thumbs, mels, infos = {}, {}, {}
for video in videos:
    path = root / "videos" / video
    infos[video] = info = decode.probe(path)
    thumbs[video] = list(
        decode.frames(path, size=THUMB, info=info)
    )  # (96, 96, 3) per step
    if info.has_audio:  # (F, 64) log-mel frames
        mels[video] = np.concatenate(
            [mel_encoder(chunk) for chunk in decode.audio(path, info)]
        )


def fig7(video):
    info, curve = infos[video], curves[video]
    steps = ((np.arange(N_FRAMES) + 0.5) * info.steps / N_FRAMES).astype(int)
    frames = [
        (
            thumbs[video][step],
            f"t = {step * STEP_S:.1f} s"
            + (f"\ns = {curve[main][step]:.2f}" if main in curve else ""),
        )
        for step in steps
    ]
    labelled = f"shaded: {labelled_as}" if video in spans else "no labelled highlights"
    return plots.score_panel(
        frames,
        (info.width, info.height),
        info.duration_s,
        {MODELS[name]: scores for name, scores in curve.items()},
        spans=spans.get(video, []),
        mel=mels.get(video),
        marks_s=steps * STEP_S,
        title=f"{video}{' (SYNTHETIC)' if synthetic else ''}: {labelled}",
    )


plots.glue_figure("fig7-first", fig7(videos[0]))
for video in videos[1:]:
    fig7(video)
    plt.show()

# %% [markdown]
# ## How well the curves match the labelled spans
#
# For the labelled videos: the average precision of each curve against the labelled spans on
# 2-s clips (`rasl.paper.runs.labelled_ap`, YouTube Highlights' protocol), beside the
# mean AP of a random ranking of the same clips (`rasl.paper.baselines.expected_random_ap`).

# %% tags=["hide-input"]
rows = []
for video in spans:
    duration = features[video].duration_s
    _, clip_labels = span_clips(duration, spans[video])
    chance = expected_random_ap(len(clip_labels), int((clip_labels > 0).sum()))
    row = {"video": video, "chance": chance}
    row.update(
        {
            MODELS[name]: labelled_ap(curve, duration, spans[video])
            for name, curve in curves[video].items()
        }
    )
    rows.append(row)
ap = pd.DataFrame(rows).set_index("video")
# a curve below random scores on its video points the wrong way: said, not hidden
inverted = [
    f"{model} on {video}"
    for video, row in ap.iterrows()
    for model, value in row.items()
    if model in MODELS.values() and value < row["chance"]
]
if profile == "smoke":
    display(
        Markdown(
            "The smoke profile's models are pretrained for "
            + ", ".join(f"{trained[n]} steps ({MODELS[n]})" for n in models)
            + " on a few short videos: far too little training for a measurement. "
            "Each score's direction is set by the orientation rule, which is "
            'unreliable on so little video (implementation notes, "Two designs")'
            + (
                "; below random, so pointing the wrong way: " + ", ".join(inverted)
                if inverted
                else ""
            )
            + ". They show the pipeline and the figures, not how the three models "
            "compare."
        )
    )
one_header(ap.round(3))

# %% [markdown]
# ## Explorer: from a curve to highlight segments
#
# Choose a video and a target highlight length (a share of the video's duration). The
# segments that `rasl.highlights.select_segments` cuts from our model's curve for that
# length are shaded in green (highest-scoring steps first, neighbours closer than 1 s
# merged, pieces shorter than 1 s dropped), with the frame in the middle of each segment
# below. All settings were computed when the book was built: the controls work in the
# static page without a running kernel (they are linked to the panels in the browser).

# %% tags=["hide-input"]
SHARES = (
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
)  # target highlight length, share of the video's duration
MAX_THUMBS = 6


def panel(video, share):
    info, scores = infos[video], curves[video][main]
    times = np.arange(len(scores)) * STEP_S
    segments = select_segments(
        times, scores, total_s=share * info.duration_s, duration_s=info.duration_s
    )
    frames = [
        (
            thumbs[video][
                min(int((seg.start_s + seg.end_s) / 2 / STEP_S), info.steps - 1)
            ],
            f"{seg.start_s:.1f}-{seg.end_s:.1f} s",
        )
        for seg in segments
    ]
    total = sum(seg.length_s for seg in segments)
    human = f"; red bars: {labelled_as}" if video in spans else ""
    title = (
        f"{video}: target {share:.0%} of {info.duration_s:.1f} s -> {len(segments)} "
        f"segment(s), {total:.1f} s (green){human}"
    )
    fig = plots.segments_panel(
        scores,
        info.duration_s,
        segments,
        frames,
        (info.width, info.height),
        spans.get(video, []),
        title,
        MAX_THUMBS,
    )
    out = widgets.Output()
    out.append_display_data(fig)
    plt.close(fig)
    return out


explorable = [v for v in videos if main in curves[v]]
choice = widgets.Dropdown(options=explorable, description="video")
length = widgets.SelectionSlider(
    options=[f"{s:.0%}" for s in SHARES],
    value=f"{SHARES[1]:.0%}",
    description="highlights",
)
per_video = []
for video in explorable:
    stack = widgets.Stack(
        [panel(video, share) for share in SHARES], selected_index=length.index
    )
    widgets.jslink((length, "index"), (stack, "selected_index"))
    per_video.append(stack)
panels = widgets.Stack(per_video, selected_index=0)
widgets.jslink((choice, "index"), (panels, "selected_index"))
widgets.VBox([widgets.HBox([choice, length]), panels])

# %% [markdown]
# ## Explorer: real benchmark videos
#
# The benchmark runs of the Tables I and II chapter keep every video's scores
# (`results/benchmarks/scores/`, one archive per run). Here, for the first YouTube
# Highlights val video (by id) of each domain: the curve of seed 0 under each protocol,
# for each model design committed, beside the rgb feature norm, one score per label clip
# (100 frames, one every 50 frames). Curves are min-max scaled over the video; the clips
# labelled as highlights are shaded where the data root holds the labels (`umt/`). All
# of it is read from committed files: nothing is computed here.

# %% tags=["hide-input"]
results_dir = Path(results_dir) if results_dir else ROOT / "results" / "benchmarks"
examples = example_curves(results_dir / "scores", "youtube", tuple(designs))
shown = [d for d in designs if any(d in e["designs"] for e in examples.values())]
labels = {}
if (root / "umt").is_dir():
    with warnings.catch_warnings():  # the 28 YouTube videos without features
        warnings.simplefilter("ignore")
        youtube = load_feature_benchmark(root, "youtube").videos
    labels = {v.video_id: v.labels > 0 for v in youtube if v.video_id in examples}


def benchmark_panel(video, design):
    example = examples[video]
    labelled = "shaded: labelled highlights" if video in labels else "no labels"
    fig = plots.row_curves(
        example["designs"][design],
        labels.get(video),
        f"{video} ({example['category']}), {DESIGN_OF[design]} design, seed 0; "
        f"{labelled}",
    )
    out = widgets.Output()
    out.append_display_data(fig)
    plt.close(fig)
    return out


benchmark_explorer = None
if not shown:
    print(
        f"no score archive of {' or '.join(designs)} in results/benchmarks/scores: "
        "experiments/run_benchmarks.py --set main writes them"
    )
else:
    if not labels:
        print(
            "no labels drawn: they are in umt/ of the data root "
            "(rasl data fetch umt --root DATA_ROOT)"
        )
    video_choice = widgets.Dropdown(
        options=[(f"{v} ({e['category']})", v) for v, e in examples.items()],
        description="video",
    )
    design_choice = widgets.Dropdown(
        options=[DESIGN_OF[d] for d in shown], description="design"
    )
    stacks = []
    for video in examples:
        stack = widgets.Stack(
            [benchmark_panel(video, d) for d in shown], selected_index=0
        )
        widgets.jslink((design_choice, "index"), (stack, "selected_index"))
        stacks.append(stack)
    benchmark_panels = widgets.Stack(stacks, selected_index=0)
    widgets.jslink((video_choice, "index"), (benchmark_panels, "selected_index"))
    benchmark_explorer = widgets.VBox(
        [widgets.HBox([video_choice, design_choice]), benchmark_panels]
    )
benchmark_explorer

# %% [markdown]
# ## What we found

# %% tags=["hide-input"]
models_named = ", ".join(MODELS[name] for name in models)
scored = ap.drop(columns="chance")
# every model at the video's highest AP: a tie names them all
best = {
    video: " and ".join(m for m, v in row.items() if v == row.max())
    for video, row in scored.iterrows()
}
lines = [
    f"`{video}`: "
    + ", ".join(
        f"{label} {value:.2f}" for label, value in row.items() if label != "chance"
    )
    + f" (chance {row['chance']:.2f}; best: {best[video]})"
    for video, row in ap.iterrows()
]
display(
    Markdown(
        f"In this notebook we have scored {len(videos)} video(s) with {len(models)} "
        f"model(s) ({models_named}) and shown their curves beside the frames and the "
        f"sound. Average precision against the {labelled_as}: "
        + ("; ".join(lines) or "no labelled video")
        + ". "
        + (
            "These are synthetic clips, so this checks the pipeline, not the method. "
            if synthetic
            else (
                f"The {profile} profile's models are small and briefly trained: with "
                "one labelled video these numbers illustrate the pipeline and are not "
                "comparable to the paper's. "
                if profile == "smoke"
                else ""
            )
        )
        + "The explorer shows the segments our model would cut for each target length."
    )
)
