"""The reproduction's commands, added to ``rasl``'s command line by an entry point.

``rasl benchmark``, ``rasl evaluate``, ``rasl efficiency`` and ``rasl book`` live here, in
the style of :mod:`rasl.cli` (one function per subcommand, the work in the library);
``pyproject.toml`` registers :func:`add_commands` in the entry-point group
``rasl.commands``, which :func:`rasl.cli.build_parser` loads.
"""

from __future__ import annotations

import json
import sys

from rasl.files import InputError


def _efficiency(sub) -> None:
    p = sub.add_parser(
        "efficiency", help="parameters and FLOPs of the paper configuration (Table VI)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--design",
        default="printed",
        choices=("printed", "repaired"),
        help="the model's design counted (default: printed, the paper's)",
    )

    def run(a) -> int:
        from rasl.paper.efficiency import count_paper_configuration, format_report

        report = count_paper_configuration(a.design)
        print(json.dumps(report) if a.json else format_report(report))
        return 0

    p.set_defaults(run=run)


def _evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="benchmark mAP from saved score curves (Table I / II layout)"
    )
    p.add_argument("--benchmark", required=True, choices=["youtube", "tvsum"])
    p.add_argument(
        "--data",
        help="data root holding tvsum/ and youtube_highlights/ (default: RASL_DATA)",
    )
    p.add_argument(
        "--scores",
        required=True,
        help="folder of <video_id>.csv score curves (time_s,score), or of "
        "rasl benchmark's per-row scores (row,score; scored against umt/ labels), or "
        "an archive of a rasl benchmark run (.npz, results/benchmarks/scores): every "
        "seed, as rows of its results.csv",
    )
    p.add_argument(
        "--out",
        help="write the table to OUT.csv and OUT.md (an archive's rows: to OUT, .csv "
        "or .json; default: print Markdown, an archive's rows as CSV)",
    )
    p.add_argument(
        "--videos",
        help="benchmark video folder: frame rates for videos youtube_anno.json lacks",
    )
    p.add_argument(
        "--protocol",
        default="umt",
        choices=["umt", "sklearn", "standard"],
        help="AP variant: umt (default, both); sklearn (YouTube); standard (TVSum AP@5)",
    )
    p.add_argument(
        "--labels",
        default="per_annotator",
        choices=["per_annotator", "consensus"],
        help="TVSum positives: each annotator's (default) or the annotators' mean",
    )

    def run(a) -> int:
        from rasl.config import default_data_root
        from rasl.evaluate import evaluate_folder, is_row_folder
        from rasl.paper.tables import to_markdown, write_result

        if a.protocol not in (
            "umt",
            {"youtube": "sklearn", "tvsum": "standard"}[a.benchmark],
        ):
            raise InputError(
                "--protocol", f"{a.protocol} is not a {a.benchmark} protocol"
            )
        data = a.data or default_data_root()
        if data is None:
            raise InputError("--data", "no data root given and RASL_DATA is not set")
        if a.scores.endswith(".npz"):  # a packed rasl benchmark run: its result rows
            from rasl.files import format_rows
            from rasl.paper.benchmark import (
                RESULT_COLUMNS,
                evaluate_archive,
                write_results,
            )

            rows = evaluate_archive(data, a.scores, a.benchmark)
            if a.out:
                print(write_results(rows, a.out))
            else:
                print(format_rows(rows, "csv", RESULT_COLUMNS), end="")
            return 0
        # rasl benchmark's scores: one per feature row of umt/
        if is_row_folder(a.scores):
            from rasl.paper.benchmark import evaluate_row_folder

            result = evaluate_row_folder(data, a.benchmark, a.scores)
        else:
            result = evaluate_folder(
                a.benchmark, data, a.scores, a.videos, a.protocol, a.labels
            )
        if not a.out:
            print(to_markdown(result), end="")  # lists the videos not scored
            return 0
        for path in write_result(result, a.out):
            print(path)
        for vid, why in sorted(result.unscored.items()):
            print(f"rasl: not scored: {vid}: {why}", file=sys.stderr)
        return 0

    p.set_defaults(run=run)


def _benchmark(sub) -> None:
    from rasl.config import DESIGNS
    from rasl.data import VISUAL_STREAMS
    from rasl.paper.benchmark import PROTOCOLS, TIMELINES

    p = sub.add_parser(
        "benchmark",
        help="pretrain and score on the benchmarks' published features (umt/)",
    )
    p.add_argument(
        "--data", help="data root holding umt/ (default: RASL_DATA or ../shared/data)"
    )
    p.add_argument(
        "--benchmark",
        required=True,
        choices=["youtube", "tvsum"],
        help="the benchmark scored",
    )
    p.add_argument(
        "--protocol",
        required=True,
        choices=PROTOCOLS,
        help="transfer: pretrain on the other benchmark; in-domain: on this one's unlabelled train "
        "videos (TVSum: 5 folds); per-video: adapt on the scored video alone",
    )
    p.add_argument(
        "--variant",
        default="full",
        help="a Table III / IV / Fig. 6 variant of rasl.paper.variants (default: full)",
    )
    p.add_argument(
        "--design",
        default="printed",
        choices=DESIGNS,
        help="the model's design the variant is of: printed (Section III as printed) or "
        "repaired (implementation notes); --variant no_sa --design repaired runs the "
        "variant repaired_no_sa (default: printed)",
    )
    p.add_argument(
        "--seeds", type=int, default=3, metavar="N", help="seeds 0..N-1 (default: 3)"
    )
    p.add_argument(
        "--steps",
        type=int,
        default=500,
        help="pretraining steps per run (default: 500)",
    )
    p.add_argument(
        "--timeline",
        default="native15",
        choices=list(TIMELINES),
        help="rows per clip and repeats",
    )
    p.add_argument(
        "--visual",
        default="rgb",
        choices=list(VISUAL_STREAMS),
        help="visual stream (default: rgb)",
    )
    p.add_argument(
        "--videos",
        type=int,
        metavar="N",
        help="score only the first N videos per domain",
    )
    p.add_argument(
        "--out",
        required=True,
        help="folder for scores/<seed>/<video_id>.csv and results.csv",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    def run(a) -> int:
        from rasl.config import default_data_root
        from rasl.paper.benchmark import BenchmarkRun, run_benchmark, write_results
        from rasl.paper.variants import variant_name

        data = a.data or default_data_root()
        if data is None:
            raise InputError("--data", "no data root given and RASL_DATA is not set")
        try:
            spec = BenchmarkRun(
                a.benchmark,
                a.protocol,
                variant_name(a.variant, a.design),
                tuple(range(a.seeds)),
                a.steps,
                TIMELINES[a.timeline],
                a.visual,
                a.videos,
            )
        # an unknown --variant (the other choices are argparse's)
        except ValueError as e:
            raise InputError("--variant", str(e)) from None
        rows = run_benchmark(data, spec, a.out, progress=not a.quiet)
        print(write_results(rows, f"{a.out}/results.csv"))
        return 0

    p.set_defaults(run=run, computes=True)


def _book(sub) -> None:
    p = sub.add_parser(
        "book",
        help="execute every notebook with papermill and build the offline HTML book",
    )
    p.add_argument("--profile", default="smoke", choices=["smoke", "paper"])
    p.add_argument(
        "--out",
        default=".",
        help="folder that receives _build/ (HTML in _build/html); default: here",
    )
    p.add_argument(
        "--data-root",
        help="default: RASL_DATA, ../shared/data, else the generated synthetic demo set",
    )

    def run(a) -> int:
        from rasl.paper.book import BuildError, build_book

        try:
            print(build_book(a.profile, a.out, a.data_root))
        except BuildError as e:
            print(f"rasl: book failed: {e}", file=sys.stderr)
            return 1
        return 0

    p.set_defaults(run=run)


def add_commands(sub) -> None:
    """Add the reproduction's subcommands to ``rasl``'s subparsers."""
    from rasl.paper.fetch import add_parser as _data

    for add in (_efficiency, _evaluate, _benchmark, _book, _data):
        add(sub)
