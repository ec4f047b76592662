"""Self-adaptation (``rasl score`` without a checkpoint) against a pretrained checkpoint.

Scores the labelled videos of a data root (``videos/labels.csv``; in the shared data, the
human trailer edit of Big Buck Bunny's opening) in three ways and prints the AP of each on
2-s clips, beside random scores:

* a model pretrained on all the data root's videos (``--pretrain-steps`` steps);
* the model adapted to each video itself for each of ``--adapt-steps``;
* untrained (0 steps of adaptation), to show what training adds.

    python experiments/compare_adaptation.py [--data ROOT] [--pretrain-steps 60] [--adapt-steps 10 30]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from rasl.clips import clip_set
from rasl.config import default_data_root, smoke
from rasl.inference import adapted_config, score_curve
from rasl.paper.runs import labelled_ap, read_labels, root_features
from rasl.runtime import configure_cpu
from rasl.train import adapt, load_model, pretrain


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=default_data_root())
    ap.add_argument("--pretrain-steps", type=int, default=60)
    ap.add_argument("--adapt-steps", type=int, nargs="+", default=[0, 10, 30])
    ap.add_argument("--seeds", type=int, default=3, help="seeds per adaptation setting")
    a = ap.parse_args(argv)
    configure_cpu()  # as the CLI does
    work = Path(tempfile.mkdtemp(prefix="rasl-compare-"))
    cfg = smoke().replace(
        out_dir=str(work / "pretrain"), train={"steps": a.pretrain_steps}
    )
    features = root_features(a.data, cfg, work / "features")
    labelled = read_labels(a.data)
    pretrained, _ = load_model(
        pretrain(
            cfg,
            clip_set(features, cfg.model.modalities, cfg.model.clip_steps),
            progress=False,
        )
    )
    rng = np.random.default_rng(0)
    for item in labelled:
        f = features[item.video.name]
        chance = np.mean(
            [
                labelled_ap(rng.random(len(f.visual)), f.duration_s, item.spans)
                for _ in range(200)
            ]
        )
        print(f"{item.video.name}: random scores AP {chance:.3f}")
        ours = labelled_ap(score_curve(pretrained, f), f.duration_s, item.spans)
        print(
            f"  pretrained on {len(features)} videos, {a.pretrain_steps} steps: AP {ours:.3f}"
        )
        for steps in a.adapt_steps:
            aps = []
            for seed in range(a.seeds):
                acfg = adapted_config(f, cfg.replace(train={"seed": seed}))
                model = adapt(
                    acfg,
                    clip_set(
                        {item.video.name: f},
                        acfg.model.modalities,
                        acfg.model.clip_steps,
                    ),
                    steps,
                )
                aps.append(labelled_ap(score_curve(model, f), f.duration_s, item.spans))
            print(
                f"  adapted to the video, {steps:>3} steps: AP {np.mean(aps):.3f} +- {np.std(aps):.3f} ({a.seeds} seeds)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
