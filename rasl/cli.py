"""The ``rasl`` command line: parses arguments and hands them to the library.

Every subcommand is ``rasl <name> ...``; the work lives in the stage modules. Errors in
the input print one line ``rasl: error: <file>: <problem>`` and exit with status 1;
warnings print one line ``rasl: warning: <message>``. The reproduction's commands
(``benchmark``, ``book``, ``efficiency``, ``evaluate``) come from the entry points of group
``rasl.commands`` (:mod:`rasl.paper.cli`), so that this package never imports the
reproduction. A subcommand that runs torch sets ``computes=True`` in its defaults.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from importlib.metadata import entry_points

from rasl.files import InputError


def _add_features(sub) -> None:
    p = sub.add_parser(
        "features",
        help="extract and cache the visual and audio FVS of videos (under torchrun: "
        "shared out over its processes)",
    )
    p.add_argument("inputs", nargs="+", metavar="VIDEO_OR_DIR")
    p.add_argument("--out", required=True, help="cache folder")
    p.add_argument(
        "--profile",
        default="smoke",
        choices=["smoke", "paper"],
        help="the encoders and precision to start from, so that rasl pretrain --profile P --cache OUT "
        "finds these features (default: smoke)",
    )
    p.add_argument("--visual", help="visual encoder name (default: the profile's)")
    p.add_argument("--audio", help="audio encoder name (default: the profile's)")
    p.add_argument("--weights", help="local weights file for the visual encoder")
    p.add_argument(
        "--audio-weights", help="local weights file (state dict) for the audio encoder"
    )
    p.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        help="visual encoder under bfloat16 autocast (default: the profile's)",
    )
    p.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    p.add_argument(
        "--batch-size",
        type=int,
        help="frames per encoder call (default: the profile's)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes that decode videos for the encoders, per process; 0 decodes in this process, in "
        "a thread beside the encoders (default: on CUDA min(4, CPU cores), where the GPU outruns one "
        "decoder; 0 on CPU, where the encoders already use the cores)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(a) -> int:
        import dataclasses
        import os

        import torch

        from rasl.config import profile
        from rasl.features import extract_many
        from rasl.runtime import distributed

        if a.workers is not None and a.workers < 0:
            p.error("--workers must be 0 or more")
        given = {
            "visual": a.visual,
            "audio": a.audio,
            "weights": a.weights,
            "audio_weights": a.audio_weights,
            "bf16": a.bf16,
            "batch_size": a.batch_size,
        }
        cfg = dataclasses.replace(
            profile(a.profile).features,
            device=a.device or ("cuda" if torch.cuda.is_available() else "cpu"),
            **{k: v for k, v in given.items() if v is not None},
        )
        # under torchrun: each process takes its share of the videos
        rank, world = distributed(cfg.device)
        workers = (
            a.workers
            if a.workers is not None
            else (
                min(4, len(os.sched_getaffinity(0)))
                if torch.device(cfg.device).type == "cuda"
                else 0
            )
        )
        failures = extract_many(
            a.inputs, cfg, a.out, progress=not a.quiet, workers=workers
        )
        for path, problem in failures if rank == 0 else []:
            print(f"rasl: failed: {path}: {problem}", file=sys.stderr)
        # torchrun stops every process once one exits with an error: not before the list is out
        if world > 1:
            torch.distributed.barrier()
        return 1 if failures else 0

    p.set_defaults(run=run, computes=True)


def _add_pretrain(sub) -> None:
    p = sub.add_parser(
        "pretrain",
        help="pretrain the model (Algorithm 1) on a folder of videos or cached FVS "
        "(under torchrun: on every process it starts)",
    )
    p.add_argument("inputs", nargs="+", metavar="VIDEO_OR_DIR")
    p.add_argument("--profile", default="smoke", help="smoke or paper")
    p.add_argument("--steps", type=int, help="override the profile's number of steps")
    p.add_argument(
        "--checkpoint-every",
        type=int,
        metavar="N",
        help="checkpoint every N steps (default: the profile's)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        metavar="B",
        help="clips per step over all processes; under torchrun each takes B / WORLD_SIZE (default: the profile's)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="DataLoader worker processes per process, which read the "
        "clips, and decode the videos not in the cache yet (default: the profile's)",
    )
    p.add_argument(
        "--weights",
        help="local weights file for the visual encoder (as given to rasl features)",
    )
    p.add_argument(
        "--audio-weights", help="local weights file (state dict) for the audio encoder"
    )
    p.add_argument(
        "--out",
        default="artifacts/pretrain",
        help="folder for checkpoints and the loss log",
    )
    p.add_argument("--resume", help="checkpoint to continue from")
    p.add_argument("--cache", help="feature cache folder (default: OUT/features)")
    p.add_argument("--device", help="cpu or cuda (default: the profile's)")
    p.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        help="train under bfloat16 autocast: faster on a CPU with AVX512-BF16 or AMX, but not the same "
        "model (see the implementation notes' Precision); default: the profile's, float32",
    )
    p.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        help="torch.compile the objective: the same losses after a compilation; slower than "
        "eager on CPU, meant for long GPU runs (default: the profile's, off)",
    )
    _add_design(p, "the profile's (printed)", "as the book's chapters run it")
    p.add_argument("--quiet", action="store_true")

    def run(a) -> int:
        from rasl.clips import dataset_from_videos
        from rasl.config import profile
        from rasl.runtime import distributed
        from rasl.train import pretrain

        cfg = profile(a.profile)
        given = {
            "steps": a.steps,
            "checkpoint_every": a.checkpoint_every,
            "batch_size": a.batch_size,
            "num_workers": a.workers,
            "compile": a.compile,
        }
        cfg = cfg.replace(train={k: v for k, v in given.items() if v is not None})
        weights = {"weights": a.weights, "audio_weights": a.audio_weights}
        cfg = cfg.replace(features={k: v for k, v in weights.items() if v is not None})
        if a.device:
            cfg = cfg.replace(train={"device": a.device}, features={"device": a.device})
        if a.bf16 is not None:
            cfg = cfg.replace(train={"bf16": a.bf16})
        if a.design:
            cfg = cfg.replace(model={"design": a.design})
        cfg = cfg.replace(out_dir=a.out)
        # under torchrun: join the group before extraction is shared out
        rank, _ = distributed(cfg.train.device)
        # the videos not cached yet are decoded in as many worker processes as the clips are read with
        data = dataset_from_videos(
            a.inputs,
            cfg,
            cache_dir=a.cache or f"{a.out}/features",
            progress=not a.quiet,
            workers=cfg.train.num_workers,
        )
        ckpt = pretrain(cfg, data, resume=a.resume, progress=not a.quiet)
        if rank == 0:
            print(ckpt)
        return 0

    p.set_defaults(run=run, computes=True)


def _scorable(video: str) -> None:
    """Raise InputError unless ``video`` is a readable video at least one 0.2-s step long."""
    from rasl.config import STEP_S
    from rasl.decode import probe

    info = probe(video)
    if info.duration_s < STEP_S:
        raise InputError(
            video,
            f"lasts {info.duration_s:.2f} s, shorter than one {STEP_S}-s step: nothing to score",
        )


def _add_design(p, default: str, why: str) -> None:
    from rasl.config import DESIGNS

    p.add_argument(
        "--design",
        choices=DESIGNS,
        help=f"the model's design: printed (Section III as printed) or repaired (see the "
        f"implementation notes); default: {default}, {why}",
    )


def _add_scoring(p) -> None:
    """The arguments ``score`` and ``highlights`` share: which model, how long to adapt, progress."""
    from rasl.inference import DEFAULT_DESIGN

    p.add_argument(
        "--checkpoint",
        help="pretrained model (default: adapt the model to the video itself)",
    )
    _add_design(
        p,
        DEFAULT_DESIGN,
        "the paper's unless the YouTube Highlights train split separates the other "
        "(a checkpoint has its own)",
    )
    p.add_argument(
        "--adapt-steps",
        type=int,
        metavar="N",
        help="steps of self-adaptation without a checkpoint",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _score(a):
    """The score curve of ``a.video`` as the shared scoring arguments ask."""
    from rasl.inference import score_video

    return score_video(
        a.video,
        checkpoint=a.checkpoint,
        adapt_steps=a.adapt_steps,
        progress=not a.quiet,
        design=a.design,
    )


def _add_score(sub) -> None:
    p = sub.add_parser(
        "score", help="the highlight score curve of a video, one row per 0.2-s step"
    )
    p.add_argument("video")
    p.add_argument(
        "--out",
        help="write the curve to FILE.csv or FILE.json (default: CSV on stdout)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the curve as JSON on stdout"
    )
    _add_scoring(p)

    def run(a) -> int:
        import contextlib

        from rasl.files import atomic_path, format_rows, table_format
        from rasl.highlights import CURVE_COLUMNS, curve_rows

        # what can fail does so before the minutes of scoring: the video, the output's name
        # and its folder (the output is reserved up front and renamed into place at the end)
        _scorable(a.video)
        fmt = table_format(a.out) if a.out else None
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(atomic_path(a.out)) if a.out else None
            curve = _score(a)
            rows = curve_rows(curve.times_s, curve.scores)
            if out:
                out.write_text(format_rows(rows, fmt, CURVE_COLUMNS))
        if a.json or not a.out:
            sys.stdout.write(
                format_rows(rows, "json" if a.json else "csv", CURVE_COLUMNS)
            )
        return 0

    p.set_defaults(run=run, computes=True)


def _add_highlights(sub) -> None:
    from rasl.highlights import MIN_SEGMENT_S

    p = sub.add_parser(
        "highlights",
        help="pick the highlight segments of a video and cut them into a reel",
    )
    p.add_argument("video")
    pick = p.add_mutually_exclusive_group(required=True)
    pick.add_argument(
        "--total",
        type=float,
        metavar="SECONDS",
        help="a budget: keep as many of the best steps as fit in at most this many seconds of "
        "segments (never over; under by less than the next step would add)",
    )
    pick.add_argument(
        "--threshold",
        type=float,
        metavar="T",
        help="keep every step scoring at least T (in [0, 1])",
    )
    p.add_argument(
        "--min-segment",
        type=float,
        default=MIN_SEGMENT_S,
        metavar="S",
        help="drop segments shorter than S s",
    )
    p.add_argument(
        "--segments", metavar="FILE", help="write the segments to FILE.csv or FILE.json"
    )
    p.add_argument(
        "--reel", metavar="OUT.mp4", help="render the segments, in order, into this MP4"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object with the segments on stdout",
    )
    _add_scoring(p)

    def run(a) -> int:
        import contextlib

        from rasl.files import atomic_path, format_rows, table_format
        from rasl.highlights import SEGMENT_COLUMNS, segment_rows, select_segments
        from rasl.reel import render_reel

        if a.total is not None and a.total <= 0:
            p.error("--total must be positive")
        # what can fail does so before the minutes of scoring: the video, the output's name
        # and its folder (the output is reserved up front and renamed into place at the end)
        _scorable(a.video)
        fmt = table_format(a.segments) if a.segments else None
        with contextlib.ExitStack() as stack:
            seg_out = (
                stack.enter_context(atomic_path(a.segments)) if a.segments else None
            )
            reel_out = stack.enter_context(atomic_path(a.reel)) if a.reel else None
            curve = _score(a)
            segments = select_segments(
                curve.times_s,
                curve.scores,
                threshold=a.threshold,
                total_s=a.total,
                min_segment_s=a.min_segment,
                duration_s=curve.meta.get("duration_s"),
            )
            if reel_out and not segments:
                raise InputError(
                    a.video,
                    "no segment selected, so no reel (lower --threshold or --min-segment)",
                )
            if reel_out:
                render_reel(a.video, segments, reel_out, progress=not a.quiet)
            rows = segment_rows(segments)
            if seg_out:
                seg_out.write_text(format_rows(rows, fmt, SEGMENT_COLUMNS))
        if a.json:
            total = round(sum(s.length_s for s in segments), 6)
            print(
                json.dumps(
                    {
                        "video": a.video,
                        "total_s": total,
                        "segments": rows,
                        "reel": a.reel,
                    }
                )
            )
        elif not a.segments:
            sys.stdout.write(format_rows(rows, "csv", SEGMENT_COLUMNS))
        return 0

    p.set_defaults(run=run, computes=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rasl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_features, _add_pretrain, _add_score, _add_highlights):
        add(sub)
    # the reproduction's commands (rasl.paper.cli)
    for plugin in entry_points(group=PLUGINS):
        plugin.load()(sub)
    return parser


PLUGINS = "rasl.commands"  # entry points: functions that add subcommands to the parser's subparsers


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.formatwarning = lambda message, *_: f"rasl: warning: {message}\n"
    if getattr(args, "computes", False):  # the commands that run torch
        from rasl.runtime import configure_cpu

        configure_cpu()
    try:
        return args.run(args)
    except InputError as e:
        print(f"rasl: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
