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
# highlight length, the way a user of the method would cut a video.
#
# The checkpoints come from the earlier chapters (`runs/full` from pretraining,
# `runs/visual_only` and `runs/audio_only` from the ablations); a model whose checkpoint
# is missing is left out with a note.

# %% tags=["parameters"]
profile = "smoke"  # "smoke" or "paper"
data_root = None  # None: RASL_DATA, ../shared/data, or the generated synthetic demo set
artifacts = "artifacts"  # folder shared by the book's notebooks (checkpoints, feature cache)

# %%
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from rasl import decode
from rasl.baselines import expected_random_ap
from rasl.config import STEP_S
from rasl.config import profile as run_profile
from rasl.demo import data_root_or_demo, is_synthetic
from rasl.encoders import create_encoder
from rasl.experiments import checkpoint, labelled_ap, read_labels, root_features, span_clips
from rasl.highlights import select_segments
from rasl.inference import score_curve
from rasl.train import load_model

root = data_root_or_demo(data_root)
cfg = run_profile(profile)
synthetic = is_synthetic(root)
labelled_as = "generated highlight spans" if synthetic else "human highlight spans"
features = root_features(root, cfg, cache_dir=Path(artifacts) / "features")
spans = {x.video.name: x.spans for x in read_labels(root)}
videos = list(spans)
if profile == "smoke":  # also two unlabelled videos: the longest with a sound track and the longest without
    others = sorted((n for n in features if n not in spans), key=lambda n: -features[n].duration_s)
    videos += [n for n in (next((n for n in others if features[n].audio is not None), None),
                           next((n for n in others if features[n].audio is None), None)) if n]
display(Markdown(
    "**SYNTHETIC demo data**: generated clips whose highlights are a bright moving ball and a loud burst; "
    "nothing here says anything about real videos." if synthetic else
    f"Real videos of the data root: {', '.join(f'`{v}`' for v in videos)}. Only "
    f"{', '.join(f'`{v}`' for v in spans) or 'none'} carries human highlight labels (`videos/labels.csv`); "
    "the others are shown unlabelled. These are short public clips, not the paper's surfing and "
    "YouTube Highlights examples."
))

# %% [markdown]
# ## The three models
#
# Each checkpoint is scored as in inference (Section III-F): cut into 30-s clips, scored
# by the RASL module of the branch the model was pretrained with, min-max normalised over
# the video. The model pretrained without vision scores from the sound track, so it
# cannot score a video without one; ours and the one pretrained without sound need
# frames only.

# %%
MODELS = {  # checkpoint name -> (label, colour)
    "full": ("ours (vision + sound pretraining)", "tab:blue"),
    "visual_only": ("pretrained without audio", "tab:green"),
    "audio_only": ("pretrained without vision", "tab:orange"),
}
models = {}
for name in MODELS:
    ckpt = checkpoint(artifacts, name)
    if not ckpt.is_file():
        print(f"{name}: no checkpoint at runs/{name}/last.pt (its chapter has not run): left out")
        continue
    model, trained = load_model(ckpt, device=cfg.train.device)
    if (trained.features.visual, trained.features.audio) != (cfg.features.visual, cfg.features.audio):
        print(f"{name}: trained on {trained.features.visual}/{trained.features.audio} features, "
              f"this profile extracts {cfg.features.visual}/{cfg.features.audio}: left out")
        continue
    models[name] = model
    print(f"{name}: {MODELS[name][0]}, scores with its {model.cfg.inference_modality} branch")
if not models:
    raise FileNotFoundError("no checkpoint under artifacts/runs: run the pretraining chapter first")
main = next(iter(models))  # the model whose curve the explorer cuts: ours when it is there

curves = {}
for video in videos:
    curves[video] = {}
    for name, model in models.items():
        if model.cfg.inference_modality == "audio" and features[video].audio is None:
            print(f"{video}: no sound track, so no curve from the model {MODELS[name][0]}")
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

# %%
N_FRAMES, THUMB = 6, 96
mel_encoder = create_encoder("mel")
thumbs, mels, infos = {}, {}, {}
for video in videos:
    path = root / "videos" / video
    infos[video] = info = decode.probe(path)
    thumbs[video] = list(decode.frames(path, size=THUMB, info=info))  # one (96, 96, 3) frame per step
    if info.has_audio:
        mels[video] = np.concatenate([mel_encoder(chunk) for chunk in decode.audio(path, info)])  # (F, 64)


def show_frame(ax, video, step, title):
    info = infos[video]
    ax.imshow(thumbs[video][step], extent=(0, info.width, info.height, 0))
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def shade_spans(ax, video):
    for start, end in spans.get(video, []):
        ax.axvspan(start, end, color="tab:red", alpha=0.15, lw=0)


def fig7(video):
    info, curve = infos[video], curves[video]
    steps = ((np.arange(N_FRAMES) + 0.5) * info.steps / N_FRAMES).astype(int)
    fig = plt.figure(figsize=(10, 5))
    grid = fig.add_gridspec(3, N_FRAMES, height_ratios=(0.9, 1, 1.5))
    for i, step in enumerate(steps):
        score = f", s = {curve[main][step]:.2f}" if main in curve else ""
        show_frame(fig.add_subplot(grid[0, i]), video, step, f"t = {step * STEP_S:.1f} s{score}")
    ax_mel = fig.add_subplot(grid[1, :])
    if video in mels:
        ax_mel.imshow(mels[video].T, origin="lower", aspect="auto", cmap="magma", extent=(0, info.duration_s, 0, 64))
        ax_mel.set_ylabel("mel band")
    else:
        ax_mel.text(0.5, 0.5, "no sound track", ha="center", va="center", transform=ax_mel.transAxes)
        ax_mel.set_yticks([])
    ax = fig.add_subplot(grid[2, :], sharex=ax_mel)
    shade_spans(ax, video)
    for name, scores in curve.items():
        label, colour = MODELS[name]
        ax.plot(np.arange(len(scores)) * STEP_S, scores, color=colour, label=label)
    ax.plot(steps * STEP_S, np.full(len(steps), -0.06), "k^", ms=5, label="frames above")
    ax.set_xlim(0, info.duration_s)
    ax.set_ylim(-0.12, 1.05)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("highlight score")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=4, fontsize=8)
    labelled = f"shaded: {labelled_as}" if video in spans else "no labelled highlights"
    fig.suptitle(f"{video}{' (SYNTHETIC)' if synthetic else ''}: {labelled}", fontsize=10)
    fig.subplots_adjust(top=0.88, hspace=0.3, bottom=0.18)
    return fig


for video in videos:
    fig7(video)
    plt.show()

# %% [markdown]
# ## How well the curves match the labelled spans
#
# For the labelled videos: the average precision of each curve against the labelled spans on
# 2-s clips (`rasl.experiments.labelled_ap`, YouTube Highlights' protocol), beside the
# mean AP of a random ranking of the same clips (`rasl.baselines.expected_random_ap`).

# %%
rows = []
for video in spans:
    duration = features[video].duration_s
    _, clip_labels = span_clips(duration, spans[video])
    row = {"video": video, "chance": expected_random_ap(len(clip_labels), int((clip_labels > 0).sum()))}
    row.update({MODELS[name][0]: labelled_ap(curve, duration, spans[video]) for name, curve in curves[video].items()})
    rows.append(row)
ap = pd.DataFrame(rows).set_index("video")
ap.round(3)

# %% [markdown]
# ## Explorer: from a curve to highlight segments
#
# Choose a video and a target highlight length (a share of the video's duration). The
# segments that `rasl.highlights.select_segments` cuts from our model's curve for that
# length are shaded in green (highest-scoring steps first, neighbours closer than 1 s
# merged, pieces shorter than 1 s dropped), with the frame in the middle of each segment
# below. All settings were computed when the book was built: the controls work in the
# static page without a running kernel (they are linked to the panels in the browser).

# %%
SHARES = (0.1, 0.2, 0.3, 0.4, 0.5)  # target highlight length, share of the video's duration
MAX_THUMBS = 6


def panel(video, share):
    info, scores = infos[video], curves[video][main]
    times = np.arange(len(scores)) * STEP_S
    segments = select_segments(times, scores, total_s=share * info.duration_s, duration_s=info.duration_s)
    fig = plt.figure(figsize=(10, 3.4))
    grid = fig.add_gridspec(2, MAX_THUMBS, height_ratios=(1.3, 1))
    ax = fig.add_subplot(grid[0, :])
    for seg in segments:
        ax.axvspan(seg.start_s, seg.end_s, color="tab:green", alpha=0.3, lw=0)
    for start, end in spans.get(video, []):
        ax.plot([start, end], [1.08, 1.08], color="tab:red", lw=4, solid_capstyle="butt")
    ax.plot(times, scores, color=MODELS[main][1])
    ax.set_xlim(0, info.duration_s)
    ax.set_ylim(0, 1.15)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("score")
    total = sum(seg.length_s for seg in segments)
    human = f"; red bars: {labelled_as}" if video in spans else ""
    ax.set_title(f"{video}: target {share:.0%} of {info.duration_s:.1f} s -> {len(segments)} segment(s), "
                 f"{total:.1f} s (green){human}", fontsize=9)
    for i, seg in enumerate(segments[:MAX_THUMBS]):
        step = min(int((seg.start_s + seg.end_s) / 2 / STEP_S), info.steps - 1)
        show_frame(fig.add_subplot(grid[1, i]), video, step, f"{seg.start_s:.1f}-{seg.end_s:.1f} s")
    fig.subplots_adjust(hspace=0.6)
    out = widgets.Output()
    out.append_display_data(fig)
    plt.close(fig)
    return out


explorable = [v for v in videos if main in curves[v]]
choice = widgets.Dropdown(options=explorable, description="video")
length = widgets.SelectionSlider(options=[f"{s:.0%}" for s in SHARES], value=f"{SHARES[1]:.0%}",
                                 description="highlights")
per_video = []
for video in explorable:
    stack = widgets.Stack([panel(video, share) for share in SHARES], selected_index=length.index)
    widgets.jslink((length, "index"), (stack, "selected_index"))
    per_video.append(stack)
panels = widgets.Stack(per_video, selected_index=0)
widgets.jslink((choice, "index"), (panels, "selected_index"))
widgets.VBox([widgets.HBox([choice, length]), panels])

# %% [markdown]
# ## What we found

# %%
models_named = ", ".join(MODELS[name][0] for name in models)
best = ap.drop(columns="chance").idxmax(axis=1)
lines = [
    f"`{video}`: " + ", ".join(f"{label} {value:.2f}" for label, value in row.items() if label != "chance")
    + f" (chance {row['chance']:.2f}; best: {best[video]})"
    for video, row in ap.iterrows()
]
display(Markdown(
    f"In this notebook we have scored {len(videos)} video(s) with {len(models)} model(s) ({models_named}) "
    f"and shown their curves beside the frames and the sound. Average precision against the {labelled_as}: "
    + ("; ".join(lines) or "no labelled video") + ". "
    + ("These are synthetic clips, so this checks the pipeline, not the method. " if synthetic else
       f"The {profile} profile's models are small and briefly trained: with one labelled video these numbers "
       "illustrate the pipeline and are not comparable to the paper's. " if profile == "smoke" else "")
    + "The explorer shows the segments our model would cut for each target length."
))
