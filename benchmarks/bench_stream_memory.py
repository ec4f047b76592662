"""Peak memory of pretraining against the size of the corpus: streamed clips vs in memory.

Writes two synthetic corpora of feature files (random features in the feature cache's
layout, no videos), the second ``--scale`` times as many videos as the first, then
pretrains a few steps on each in a child process and prints the child's peak resident
set size (``resource.getrusage(...).ru_maxrss``). ``streamed`` is ``rasl pretrain``'s path
(:class:`rasl.clips.ClipDataset`); ``in memory`` loads every video's features and cuts
them with ``clip_set`` first, as pretraining did before.

    .venv/bin/python benchmarks/bench_stream_memory.py [--videos 20] [--scale 10] [--work DIR]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rasl.config import ModelConfig, RunConfig, TrainConfig
from rasl.features import Features, write_cache

# the paper's model at half its feature length: 150-step clips, k = 10
MODEL = ModelConfig(dim=512)


def write_corpus(folder: Path, videos: int, steps: int, dim: int) -> list[Path]:
    """``videos`` feature files of ``steps`` x ``dim`` random float32 per modality."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(videos):
        v = rng.standard_normal((steps, dim), np.float32)
        paths.append(folder / f"video_{i:05d}.npz")
        write_cache(
            paths[-1],
            Features(v, rng.standard_normal((steps, dim), np.float32), steps * 0.2, {}),
        )
    return paths


def child(folder: str, mode: str, steps: int, workers: int, out: str) -> None:
    """Pretrain ``steps`` steps on the corpus in ``folder``; print this process's peak RSS in MiB."""
    from rasl.clips import ClipDataset, clip_set
    from rasl.train import pretrain

    files = sorted(Path(folder).glob("*.npz"))
    cfg = RunConfig(
        name="bench",
        model=MODEL,
        out_dir=out,
        train=TrainConfig(
            steps=steps, batch_size=8, checkpoint_every=steps, num_workers=workers
        ),
    )
    if mode == "streamed":
        data = ClipDataset(files, MODEL.modalities, MODEL.clip_steps)
    else:
        feats = {}
        for p in files:
            with np.load(p) as z:
                feats[p.name] = Features(z["visual"], z["audio"], 0.0, {})
        data = clip_set(feats, MODEL.modalities, MODEL.clip_steps)
    # the data indexed (or loaded), before training
    ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pretrain(cfg, data, progress=False)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{len(data)} {ready / 1024:.0f} {own / 1024:.0f} {workers_rss / 1024:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--videos", type=int, default=20, help="videos in the small corpus"
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=10,
        help="the large corpus has this many times more",
    )
    parser.add_argument(
        "--video-steps",
        type=int,
        default=900,
        help="0.2-s steps per video (900: 3 min)",
    )
    parser.add_argument(
        "--steps", type=int, default=3, help="pretraining steps per run"
    )
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers")
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["streamed", "in-memory"],
        choices=["streamed", "in-memory"],
    )
    parser.add_argument(
        "--work",
        help="folder for the corpora (default: a temporary one, removed after)",
    )
    parser.add_argument(
        "--child",
        nargs=4,
        metavar=("FOLDER", "MODE", "STEPS", "WORKERS"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--out", help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.child:
        folder, mode, steps, workers = a.child
        return child(folder, mode, int(steps), int(workers), a.out)
    with tempfile.TemporaryDirectory(dir=a.work) as work:
        corpora = {}
        for name, n in (("small", a.videos), ("large", a.videos * a.scale)):
            folder = Path(work) / name
            folder.mkdir()
            write_corpus(folder, n, a.video_steps, MODEL.dim)
            size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
            corpora[name] = (folder, n, size)
        print(
            "| path | corpus | videos | clips | features on disk (MiB) | peak RSS before training (MiB) "
            "| peak RSS (MiB) | workers' peak RSS (MiB) | s |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for mode in a.modes:
            for name, (folder, n, size) in corpora.items():
                start = time.perf_counter()
                cmd = [
                    sys.executable,
                    __file__,
                    "--child",
                    str(folder),
                    mode,
                    str(a.steps),
                    str(a.workers),
                    "--out",
                    str(Path(work) / "run"),
                ]
                clips, ready, rss, workers_rss = subprocess.run(
                    cmd, capture_output=True, text=True, check=True
                ).stdout.split()
                print(
                    f"| {mode} | {name} | {n} | {clips} | {size:.0f} | {ready} | {rss} "
                    f"| {workers_rss if a.workers else '-'} | {time.perf_counter() - start:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
