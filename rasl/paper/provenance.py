"""What a book build ran on: the book's Reproducibility page, written by ``rasl book``.

Each notebook's kernel records the data files it opens (:func:`record_reads`, a Python
audit hook started by the book's kernelspec); :func:`page` turns those records, the
chapters' wall times, the package versions, the commit and the hardware into Markdown.
Paths are shown relative to the data root: the page names no folder of the build machine.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

READS = "RASL_BOOK_READS"  # the file a kernel appends the data files it opened to
DATA = "RASL_BOOK_DATA"  # the data root's paths (os.pathsep-separated: the link and its target)
PACKAGES = (
    "rasl",
    "torch",
    "numpy",
    "pandas",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "av",
    "timm",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "papermill",
    "jupytext",
    "ipykernel",
)


def record_reads() -> None:
    """In a kernel started with ``$RASL_BOOK_READS`` set: append each file under the data
    root that the kernel opens (``open`` audit events, and ``rasl.read`` for files read by
    C libraries) to that file, once, relative to the data root."""
    out, roots = os.environ.get(READS), os.environ.get(DATA, "")
    if not out or not roots:
        return
    prefixes = [os.path.join(r, "") for r in roots.split(os.pathsep)]
    seen: set[str] = set()

    def hook(event: str, args: tuple) -> None:
        if event not in ("open", "rasl.read") or not isinstance(
            args[0], (str, os.PathLike)
        ):
            return
        if event == "open" and args[1] is not None and set(str(args[1])) & set("wax+"):
            return  # written, not read
        path = os.path.abspath(args[0])
        prefix = next((p for p in prefixes if path.startswith(p)), None)
        if prefix is None or path in seen:
            return
        seen.add(path)
        with open(out, "a") as f:  # mode "a": this open is not recorded
            f.write(os.path.relpath(path, prefix) + "\n")

    sys.addaudithook(hook)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Chapter:
    name: str  # the source file, relative to the checkout
    seconds: float
    reads: list[str] = field(
        default_factory=list
    )  # files under the data root, relative


def git_commit(root: Path) -> str:
    """``HEAD``'s hash, ``-dirty`` when tracked files differ from it; ``unknown`` outside git."""

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True
        )

    head = git("rev-parse", "HEAD")
    if head.returncode:
        return "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def hardware() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    import torch

    gpu = (
        ", ".join(
            torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())
        )
        or "none"
    )
    return {
        "CPU": f"{cpu}, {os.cpu_count()} logical cores",
        "GPU": gpu,
        "system": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
    }


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(
        lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    )


def page(
    chapters: list[Chapter], data: Path, synthetic: bool, profile: str, commit: str
) -> str:
    """The Reproducibility page (MyST Markdown) of a build of ``chapters`` on ``data``."""
    files = sorted({f for c in chapters for f in c.reads})
    hashes = {f: sha256(data / f) for f in files}
    read_by = {f: [c.name for c in chapters if f in c.reads] for f in files}
    example = next(
        (c.name for c in chapters if c.name.startswith("notebooks/")),
        "notebooks/00_data.py",
    )
    stem = Path(example).stem
    built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    about = [
        ["commit", f"`{commit}`"],
        ["built", built],
        ["profile", f"`{profile}`"],
        [
            "data root",
            "the synthetic demo set (`rasl.paper.demo`)"
            if synthetic
            else "real data (the data root's `SOURCES.md` names every source)",
        ],
        *([k, v] for k, v in hardware().items()),
    ]
    chapter_rows = [[f"`{c.name}`", f"{c.seconds:.1f}", len(c.reads)] for c in chapters]
    file_rows = [
        [
            f"`{f}`",
            f"{(data / f).stat().st_size:,}",
            f"`{hashes[f]}`",
            ", ".join(Path(n).stem for n in read_by[f]),
        ]
        for f in files
    ]
    return (
        "\n\n".join(
            [
                "# Reproducibility",
                "Written by `rasl book` when it built this copy of the book: nothing on this page was "
                "typed by hand.",
                "## This build",
                _table(["", ""], about),
                "## Rerunning",
                "The whole book (every chapter executed, then the HTML built), from a checkout with "
                "`bash setup.sh` done:",
                f"```bash\n.venv/bin/rasl book --profile {profile}    # --data-root DIR: another data root\n```",
                "One chapter alone, through its notebook form (`jupytext.toml` pairs each "
                "`notebooks/*.py` with an `.ipynb`); chapters after the pretraining chapter read the "
                "checkpoints it writes into `artifacts`:",
                f"```bash\ncd notebooks\n../.venv/bin/jupytext --to ipynb {stem}.py\n"
                f"../.venv/bin/papermill {stem}.ipynb {stem}.out.ipynb -p profile {profile} "
                f"-p artifacts ../_build/artifacts\n```",
                "## Chapters",
                _table(["chapter", "wall time (s)", "data files read"], chapter_rows),
                "## Data files read",
                "SHA-256 of every file under the data root that a chapter's kernel opened (paths "
                "relative to the data root).",
                ":::{dropdown} "
                + f"{len(files)} files\n"
                + (
                    _table(["file", "bytes", "SHA-256", "read by"], file_rows)
                    if files
                    else "none"
                )
                + "\n:::",
                "## Packages",
                _table(
                    ["package", "version"],
                    [[f"`{k}`", v] for k, v in versions().items()],
                ),
            ]
        )
        + "\n"
    )
