"""What a book build ran on: the book's Reproducibility page, written by ``rasl book``.

Each notebook's kernel records the data files it opens (:func:`record_reads`, a Python
audit hook started by the book's kernelspec); :func:`page` turns those records, the
chapters' wall times, the package versions, the commit and the hardware into Markdown.
Paths are shown relative to the data root: the page names no folder of the build machine.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import os
import platform
import re
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


def _span(values) -> str:
    """Seeds as a page shows them: ``0-4`` for a run of consecutive ones, else a list."""
    seeds = sorted({int(float(v)) for v in values})
    if not seeds:
        return "–"
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _readme_commands(results: Path) -> list[tuple[str, str]]:
    """(path pattern relative to ``results``, command) of each row of the table in
    ``results/README.md``; "the same with ..." is resolved against the row above."""
    readme = results / "README.md"
    rows, previous = [], ""
    for line in readme.read_text().splitlines() if readme.is_file() else []:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        made_by = cells[1]
        command = (
            f"{previous}, {made_by}" if made_by.startswith("the same") else made_by
        )
        previous = command if not made_by.startswith("the same") else previous
        pattern = re.sub(r"<[^>]+>", "*", cells[0].strip("`"))
        rows.append((pattern, command))
    return rows


def _script_command(root: Path, rel: str) -> str | None:
    """The ``python experiments/...`` line of a script's docstring that names ``rel``."""
    for script in sorted((root / "experiments").glob("*.py")):
        for line in script.read_text().splitlines():
            line = line.strip()
            if line.startswith("python experiments/") and rel in line:
                return f"`{line}`"
    return None


def _committed_by(root: Path, path: Path) -> str:
    """The commit that last changed ``path``, or why there is none."""
    out = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%h", "--", str(path)],
        capture_output=True,
        text=True,
    )
    return (
        f"`{out.stdout.strip()}` (committed)" if out.stdout.strip() else "not committed"
    )


def result_records(root: Path) -> list[dict]:
    """What made each committed result file under ``root/results``: one record per file
    (a benchmark cell's CSV and its score archive share one), with ``file``, ``command``,
    ``commit``, ``seeds``, ``steps`` and ``wall`` (text as the page shows it).

    Benchmark cells read ``results/benchmarks/manifest.json`` (the runs record their
    command, the code's commit, seeds, steps and wall time); the other files read their own
    rows (``seed``, ``steps`` and ``wall_s`` or ``train_s`` columns), their command from
    ``results/README.md`` or the docstring of the script that writes them, and the commit
    that last changed them (their runs record none)."""
    results = root / "results"
    records = []
    manifest_path = results / "benchmarks" / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    for cell, entry in manifest.items():
        files = [
            f"benchmarks/{cell}.csv",
            *(
                [f"benchmarks/scores/{cell}.npz"]
                if (results / "benchmarks" / "scores" / f"{cell}.npz").is_file()
                else []
            ),
        ]
        records.append(
            {
                "file": files,
                "command": f"`{entry['command']}`",
                "commit": f"`{entry['commit']}`",
                "seeds": _span(entry["seeds"]) if "seeds" in entry else "–",
                "steps": str(entry.get("steps", "–")),
                "wall": f"{entry['wall_s']:,.0f} s" if "wall_s" in entry else "–",
            }
        )
    commands = _readme_commands(results)
    for path in sorted((results / "fidelity").glob("*")):
        rel = str(path.relative_to(results))
        command = next(
            (c for pattern, c in commands if fnmatch.fnmatch(rel, pattern)), None
        ) or _script_command(root, f"results/{rel}")
        rows = []
        if path.suffix == ".csv":
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
        variants = sorted({r["variant"] for r in rows if r.get("variant")})
        wall = next((c for c in ("wall_s", "train_s") if rows and c in rows[0]), None)
        records.append(
            {
                "file": [rel],
                "command": (command or "not recorded")
                + (f" (variants: {', '.join(variants)})" if variants else ""),
                "commit": _committed_by(root, path),
                "seeds": _span(r["seed"] for r in rows if r.get("seed")),
                "steps": ", ".join(sorted({r["steps"] for r in rows if r.get("steps")}))
                or "–",
                "wall": (
                    f"{sum(float(r[wall]) for r in rows):,.0f} s"
                    + (" (pretraining only)" if wall == "train_s" else "")
                    if wall
                    else "not recorded"
                ),
            }
        )
    return records


def commits_apart(results_dir: Path, cells: list[str], reference: str) -> str:
    """One sentence naming the commits that ``cells`` of ``results_dir/manifest.json`` ran
    at, where they differ from the ``reference`` cell's ("" when all agree): a table that
    compares cells run at different commits says so."""
    manifest_path = Path(results_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    if reference not in manifest:
        return ""
    at = manifest[reference]["commit"]
    apart: dict[str, list[str]] = {}
    for cell in cells:
        if cell in manifest and manifest[cell]["commit"] != at:
            apart.setdefault(manifest[cell]["commit"], []).append(cell)
    if not apart:
        return ""
    others = ", ".join(f"{len(v)} at `{k}`" for k, v in apart.items())
    return (
        f"Not every cell here ran at the same code: `{reference}` ran at `{at}`, and of "
        f"the other cells {others} (the Reproducibility page lists each cell's "
        "command and commit)."
    )


def results_section(root: Path) -> str:
    """The page's section on the committed results (:func:`result_records`)."""
    records = result_records(root)
    rows = [
        [
            "<br>".join(f"`{f}`" for f in r["file"]),
            r["command"],
            r["commit"],
            r["seeds"],
            r["steps"],
            r["wall"],
        ]
        for r in records
    ]
    return "\n\n".join(
        [
            "## Committed results",
            "What made each file under `results/` that the book reads or the notes "
            "cite: the command, the commit of the code it ran (benchmark cells: as the "
            "run recorded it, `-dirty` when only documentation differed; the other "
            "files record none, so the commit that last changed the file is given), "
            "the seeds, the pretraining steps and the wall time (the sum over the "
            "file's runs, one thread each on a shared 2-core machine). Benchmark cells "
            "come from `results/benchmarks/manifest.json`, the others from their own "
            "rows; `results/README.md` describes every file.",
            _table(["file", "command", "commit", "seeds", "steps", "wall time"], rows)
            if rows
            else "No committed results.",
        ]
    )


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(
        lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    )


def page(
    chapters: list[Chapter],
    data: Path,
    synthetic: bool,
    profile: str,
    commit: str,
    root: Path | None = None,
) -> str:
    """The Reproducibility page (MyST Markdown) of a build of ``chapters`` on ``data``;
    ``root``: the checkout whose committed results it lists (None: none)."""
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
                f"../.venv/bin/papermill {stem}.ipynb {stem}.out.ipynb \\\n"
                f"    -p profile {profile} -p artifacts ../_build/artifacts\n```",
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
                *([results_section(root)] if root else []),
                "## Packages",
                _table(
                    ["package", "version"],
                    [[f"`{k}`", v] for k, v in versions().items()],
                ),
            ]
        )
        + "\n"
    )
