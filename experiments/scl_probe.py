"""Can Eq. (9) be learned on the benchmark features, by the model and by a plain linear map?

Trains L_s alone (centred unless ``--uncentred``, identical steps no negatives) on YouTube
Highlights train-split clips (15 rows each, batch 8, RMSprop 1e-3 as in the paper) through
pairs of encoders:

* ``model``: each modality's self-attention and conv encoder of ``rasl.model`` (r of Eq. 3);
* ``sa``: the self-attention alone (rho_bar of Eq. 2, before the encoder);
* ``conv``: the conv encoder alone (r of Eq. 3 without self-attention);
* ``head``: r of the model's branches through one linear map per modality (4096 -> 128);
* ``linear``: one linear map per modality (1024 -> 128) on the raw rows;
* ``repaired``: each modality's self-attention and the repaired design's per-step encoder
  (r of Eq. 3 in ``ModelConfig(design="repaired")``);
* ``repaired_step``: the repaired design's per-step encoder alone.

and prints L_s (mean over the last 50 steps) against log N for each seed. If the linear
map learns the audio-visual pairing and the model's branches do not, the features carry
the pairing and the architecture is what keeps L_s at log N.

    python experiments/scl_probe.py --steps 400 --seeds 0 1 2
    python experiments/scl_probe.py --kinds repaired repaired_step linear [--uncentred]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rasl.clips import clip_set
from rasl.config import ModelConfig, default_data_root
from rasl.data import load_feature_benchmark
from rasl.losses import identical_steps, symmetric_contrastive_loss
from rasl.model import RASLModel
from rasl.paper.benchmark import video_features
from rasl.runtime import configure_cpu
from rasl.train import seed_everything

KINDS = ["model", "sa", "conv", "head", "linear", "repaired", "repaired_step"]


def encoders(kind: str) -> tuple[nn.Module, dict]:
    """The trainable parameters and, per modality, a function rows (B, N, D) -> (B, N, Dr)."""
    if kind == "linear":
        maps = nn.ModuleDict({m: nn.Linear(1024, 128) for m in ("visual", "audio")})
        return maps, {m: maps[m] for m in ("visual", "audio")}
    design = "repaired" if kind.startswith("repaired") else "printed"
    model = RASLModel(
        ModelConfig(
            clip_steps=15,
            k=1,
            design=design,
            self_attention=kind not in ("conv", "repaired_step"),
        )
    )
    if kind == "sa":  # rho_bar of Eq. (2), before the conv encoder
        return model, {
            m: (lambda x, m=m: model.attended(m, {m: x})) for m in ("visual", "audio")
        }
    r = {
        m: (
            lambda x, m=m: (
                model.branches[m].encode(model.attended(m, {m: x})).flatten(2)
            )
        )
        for m in ("visual", "audio")
    }
    # r of Eq. (3) through one linear map per modality, as CLIP embeds
    if kind == "head":
        width = model.cfg.channels[-1] * model.branches["visual"].length
        heads = nn.ModuleDict({m: nn.Linear(width, 128) for m in ("visual", "audio")})
        return nn.ModuleList([model, heads]), {
            m: (lambda x, m=m: heads[m](r[m](x))) for m in ("visual", "audio")
        }
    return model, r


# the features' scaling, fitted on every clip of the corpus: none; divided by the root mean
# square; standardised per dimension
SCALINGS = {
    "none": lambda x: x,
    "rms": lambda x: x / x.pow(2).mean().sqrt().clamp_min(1e-6),
    "zscore": lambda x: (
        (x - x.flatten(0, 1).mean(0)) / x.flatten(0, 1).std(0).clamp_min(1e-3)
    ),
}


def mean_step_cosine(x: torch.Tensor) -> float:
    """Mean cosine similarity of two different steps of a clip: x (B, N, ...)."""
    x = F.normalize(x.flatten(2), dim=-1)
    n = x.shape[1]
    return float(((x @ x.transpose(1, 2)).sum((1, 2)) - n).mean() / (n * n - n))


def run(kind: str, clips, seed: int, steps: int, centre: bool) -> float:
    gen = seed_everything(seed)
    module, encode = encoders(kind)
    log_temperature = nn.Parameter(torch.tensor(3.1))
    opt = torch.optim.RMSprop([*module.parameters(), log_temperature], lr=1e-3)
    losses = []
    for _ in range(steps):
        fvs = clips.batch(torch.randint(len(clips), (8,), generator=gen))
        loss = symmetric_contrastive_loss(
            encode["audio"](fvs["audio"]),
            encode["visual"](fvs["visual"]),
            log_temperature,
            centre=centre,
            same=identical_steps(fvs),
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return float(np.mean(losses[-50:]))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument(
        "--kinds",
        nargs="+",
        default=["model", "sa", "conv", "head", "linear"],
        choices=KINDS,
    )
    p.add_argument(
        "--uncentred",
        action="store_true",
        help="L_s as the model computes it, without subtracting each clip's mean r",
    )
    p.add_argument(
        "--input-scaling",
        default="none",
        choices=list(SCALINGS),
        help="scale the features first, as the retired input_scaling switch of the "
        "fidelity study did (implementation notes)",
    )
    p.add_argument("--data", default=default_data_root())
    a = p.parse_args(argv)
    configure_cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        videos = [
            v
            for v in load_feature_benchmark(a.data, "youtube").videos
            if v.split == "train"
        ]
    clips = clip_set(
        {v.video_id: video_features(v) for v in videos}, ("visual", "audio"), 15
    )
    torch.manual_seed(0)
    fresh = {
        d: RASLModel(ModelConfig(clip_steps=15, k=1, design=d))
        for d in ("printed", "repaired")
    }
    clips = dataclasses.replace(
        clips, fvs={m: SCALINGS[a.input_scaling](x) for m, x in clips.fvs.items()}
    )
    with torch.no_grad():
        for m, x in clips.fvs.items():
            r = {
                d: model.branches[m].encode(model.attended(m, {m: x[:64]}))
                for d, model in fresh.items()
            }
            print(
                f"{m} ({a.input_scaling}): mean |x| {x.abs().mean():.3f}, mean spread of a dimension within a "
                f"clip {x.std(1).mean():.3f}; mean cosine of two steps of a clip: input "
                f"{mean_step_cosine(x[:64]):.3f}, r at initialisation "
                + ", ".join(f"{mean_step_cosine(v):.4f} ({d})" for d, v in r.items())
            )
    print(
        f"log N = log 15 = {math.log(15):.3f}; L_s "
        f"({'uncentred' if a.uncentred else 'centred'}) over the last 50 of {a.steps} "
        "steps:"
    )
    for kind in a.kinds:
        values = [run(kind, clips, seed, a.steps, not a.uncentred) for seed in a.seeds]
        print(
            f"{kind:7s} {np.mean(values):.3f} +- {np.std(values, ddof=1):.3f}  (seeds {a.seeds}: "
            + ", ".join(f"{v:.3f}" for v in values)
            + ")",
            flush=True,
        )


if __name__ == "__main__":
    main()
