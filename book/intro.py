# RASL, reproduced

This book reproduces the paper *Unsupervised Modality-Transferable Video Highlight
Detection with Representation Activation Sequence Learning* (arXiv 2403.09401). Every
chapter after this one is a notebook that was executed when the book was built; its
figures and tables are what that run measured, on the data and with the settings it names.

## What the paper claims

Highlights, the moments of a video worth keeping, are *distinct*: a highlight's feature
vector has fewer similar vectors within a 30-s window than an ordinary moment's (Fig. 1).
The paper turns this into an unsupervised detector:

- **Pretraining without labels** (Algorithm 1). Each 30-s clip becomes two feature vector
  sequences (FVS) of 150 steps, one every 0.2 s: visual (Swin-B frame features) and audio
  (Mockingjay features in the paper; HuBERT is our stand-in, see the implementation notes). Each modality passes through self-attention, Eq. (1)-(2), and a
  convolutional autoencoder that reconstructs its FVS, Eq. (3)-(5).
- **RASL**, representation activation sequence learning. Between encoder and decoder a
  scalar activation $s_i$ per step weights the representation, Eq. (4)-(5). Distinct steps
  are harder to reconstruct, so they earn larger activations; *k-point contrastive
  learning* enlarges the top-$k$ activations while suppressing outliers, Eq. (6)-(8).
- **SCL**, symmetric contrastive learning, ties the visual and audio representations of the
  same step together, Eq. (9); an auxiliary task reconstructs a masked FVS, Eq. (10); the
  total loss sums all terms, Eq. (11).
- **Visual-only inference.** After pretraining on ActivityNet, the visual branch alone
  scores any video: the activation sequence $s$ *is* the highlight score curve. No audio,
  no labels and no training on the target benchmark are needed.
- **Results.** Without using either benchmark's data: mean average precision 0.651 on
  YouTube Highlights (Table I) and top-5 mAP 0.783 on TVSum (Table II), above every weakly
  supervised method the paper compares with, and close to (YouTube Highlights) or well
  above (TVSum) CHD, an unsupervised method trained on each benchmark. Ablations credit
  each component (Table III), SCL over four fusion schemes (Table IV), deep features over
  pixels and mel-spectrograms as reconstruction targets (Table V) and k-point contrastive
  learning over plain top-$k$ pooling (Fig. 6). The model has 8.53 M parameters and
  0.82 GFLOPs (Table VI).

## What this build measured

The benchmarks' videos are not on our machines, but the features that UMT (Liu et al.,
CVPR 2022) published for them are: I3D RGB and flow and PANN audio vectors, one per label
clip of about 2 s, for 420 YouTube Highlights and all 50 TVSum videos. On those we
pretrained the paper's model (visual branch on I3D RGB, audio branch on PANN resampled to
1024, 15 rows per clip, 500 steps, 3 seeds) without labels and scored from the visual
stream alone, under three protocols: *transfer* (pretrained on the other benchmark, the
paper's claim), *in-domain* (pretrained on the benchmark's own unlabelled train videos)
and *per-video* (adapted on the scored video alone, as `rasl score` does).

| mAP, mean ± std over 3 seeds | YouTube Highlights (157 val videos) | TVSum (50 videos, top-5) |
|---|---|---|
| paper, "Ours" (ActivityNet pretraining, Swin-B + Mockingjay) | 0.651 | 0.783 |
| ours, transfer | 0.547 ± 0.014 | 0.493 ± 0.021 |
| ours, in-domain | 0.579 ± 0.008 | 0.465 ± 0.017 |
| ours, per-video | 0.526 ± 0.026 | 0.466 ± 0.024 |
| random scores | 0.510 | 0.413 |
| I3D RGB feature norm (no learning) | 0.612 | 0.537 |
| I3D flow feature norm (no learning) | 0.645 | 0.485 |
| UMT, supervised, same features | 0.749 | 0.831 |

**Our reproduction falls well short of the paper and below the plain feature norm on
both benchmarks.** It beats random scores in every protocol, and on YouTube Highlights
in-domain it beats the rgb norm on one domain (parkour, 0.619 against 0.559) and ties on
surfing. On TVSum, pretraining on YouTube Highlights (transfer, 0.493) scores no worse
than pretraining on TVSum's own videos (in-domain, 0.465). Likely causes, in the order we
would check them: two of the four losses do not train as printed (the k-point loss
saturates through an offset of the activations, fixed here by standardising them within a
clip; the audio-visual contrastive loss stays at chance on these features in every variant
we tried, because the branch's convolutions along the feature vector lose the audio-visual
pairing that a plain linear map finds: see the [implementation notes](implementation-notes.md)); other features (I3D and PANN at ~2 s
per row instead of Swin-B and Mockingjay at 0.2 s); and no ActivityNet pretraining. A
longer schedule is not the cure: 2000 steps score lower on the train split than the 500
used here. Tables III and IV are measured
the same way in the ablations chapter (in-domain on YouTube Highlights): every ablation
and every fusion scheme scores below the full model, as in the paper, but by 0.02 to 0.07
with seed spreads of 0.01 to 0.06, and since the audio-visual loss stays at chance, SCL's
lead over the fusions cannot come from the pairing it is meant to learn. Fig. 6's k sweep
(k = 1, 3, 7 of 15 rows) does not reproduce the paper's gain from k-point contrast: with and
without it the means differ by less than the seed spreads, in both directions. Table V
needs the videos.

## How to read this book

Each chapter names the figure or table of the paper it reproduces, shows the paper's
numbers beside the ones this run measured, and ends with what matched and what did not.
The notebooks only call the `rasl` package and plot: the model, the losses, the features
and the metrics live in `rasl/`, where they are tested. The chapter
[Implementation notes](implementation-notes.md) maps every equation to the code that
implements it and records each choice made where the paper is silent.

## The two profiles

Every notebook has a `parameters` cell with a `profile`:

| profile | where | features | pretraining | data |
|---|---|---|---|---|
| `smoke` | CPU, minutes | EfficientNet-Lite0 frame features (1280-d) and log-mel audio features | 20 steps of 2 clips per model (a pipeline check) | the videos of the data root |
| `paper` | GPU | Swin-B (1024-d) as in the paper, and HuBERT as a stand-in for the paper's Mockingjay | the paper's schedule (RMSprop, learning rate 0.001, batch 8, $k = 10$) | ActivityNet, YouTube Highlights and TVSum under a data root |

```{important}
Numbers from the `smoke` profile are **not comparable** to the paper's. They come from
other feature extractors, a pretraining run thousands of times shorter, and a handful of
short videos rather than the benchmarks. They show that the pipeline runs end to end and
how it behaves; only the `paper` profile measures what the paper measured.
```

## The data

The book reads everything from one **data root**: the folder given to `rasl book
--data-root`, else the environment variable `RASL_DATA`, else `../shared/data` beside the
checkout. Its layout is the one the datasets are published in:

| path | what |
|---|---|
| `videos/` | any videos to run on, and `videos/labels.csv` (`video,start_s,end_s,source`: highlight spans marked by a person) |
| `tvsum/ydata-tvsum50.mat` | TVSum's annotations (20 annotators, per-frame importance 1-5) |
| `youtube_highlights/<domain>/...` | YouTube Highlights' labels per domain, with `youtube_anno.json` for the frame rates |
| `activitynet/` | `paper` profile: the pretraining videos (any folder tree of video files) |
| `tvsum/video/<video_id>.mp4` | `paper` profile: TVSum's 50 videos, as in the dataset's tarball |
| `youtube_highlights/videos/**/<youtube_id>.<ext>` | `paper` profile: the YouTube Highlights videos, found by id anywhere below |

The benchmark videos themselves are not distributed with their annotations; a user who
has them places them under the data root for the `paper` profile. A benchmark video that is
missing is reported and skipped; the tables say how many were scored.

**Without any data root** (a fresh clone), the `smoke` profile runs on a small
**synthetic** demo set that the project generates itself (`rasl.demo`): four short clips
with sound, in which each highlight is a bright moving ball with a loud sound burst. Every
page that shows results computed from it says so. Such results only show that the code
runs; they say nothing about real videos.

## Rerunning the book

From a checkout, with the package and the book's dependencies installed:

```bash
rasl book                      # smoke profile: executes every notebook, builds _build/html
rasl book --profile paper --data-root /path/to/data
```

`rasl book` converts each notebook from its text form (`notebooks/*.py`, jupytext percent
format) and executes it with papermill, then builds the HTML with Jupyter Book; an error
in any notebook, or any warning of the build, fails the command with a non-zero exit
status. It prints the time each step took. The executed notebooks are kept in
`_build/source/notebooks/` and checked by `pytest -m book` (nbval re-executes them and
compares their outputs), which also builds the book and opens it in a headless browser.
The HTML is self-contained: it can be read offline, widgets and mathematics included.
