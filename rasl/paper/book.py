"""``rasl book``: execute every notebook of the book with papermill, then build it offline.

The checkout holds the book's sources: ``_config.yml``, ``_toc.yml``, prose pages under
``book/`` and the notebooks (the chapters under ``notebooks/`` and the introduction,
``book/intro.py``) as jupytext percent ``.py`` files (their only committed form). A build
never writes into them. Everything it makes lives under ``OUT/_build/`` (``OUT`` is
``jupyter-book``'s ``--path-output``), which is deleted first so every build starts clean:

- ``source/``: a staged copy of the book in which each notebook listed in ``_toc.yml`` is
  the ``.ipynb`` that papermill executed, with ``profile``, ``data_root`` and ``artifacts``
  injected after its ``parameters`` cell (the copies nbval checks). The injected paths are
  relative to the notebook's folder, so no page names a folder of the build machine:
  ``data`` is a link to the data root beside ``source/``. ``_config.yml``'s copyright is
  the build's year;
- ``artifacts/``: what notebooks hand to later ones (features, checkpoints, score
  curves), passed to every notebook as its ``artifacts`` parameter;
- ``kernel/``: a kernelspec that runs this very interpreter, so notebooks see this
  environment whatever kernels the user has installed; its kernels record the data files
  they open (``reads/``), for the Reproducibility page (:mod:`rasl.paper.provenance`), which the
  build writes over the checkout's placeholder ``book/reproducibility.md``;
- ``html/``: the site, built by ``jupyter-book build -W --keep-going`` from ``source/``
  with execution off. Any notebook error or any Sphinx warning fails the build.

While it runs it prints, on stderr, each notebook, each code cell as it starts (with the
heading it is under) and the steps that long cells report (:func:`report`), each with the
seconds elapsed. The kernels are :class:`rasl.paper.kernels.BookKernelManager`'s, which
print nothing of their own unless something is wrong.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rasl.files import InputError, atomic_path
from rasl.paper import provenance
from rasl.paper.demo import data_root_or_demo, is_synthetic

ROOT = Path(__file__).resolve().parents[2]  # the checkout that holds the book's sources
KERNEL = "rasl-book"
STAGED = (
    "_config.yml",
    "_toc.yml",
    "book",
)  # copied as they are; notebooks are executed


PROGRESS = "RASL_BOOK_PROGRESS"  # the file a notebook's kernel reports its steps to
HEARTBEAT_S = 30.0  # a cell still running says so this often


class BuildError(Exception):
    """A notebook failed or ``jupyter-book build`` reported an error or a warning."""


def _log(message: str) -> None:
    print(f"[rasl book] {message}", file=sys.stderr, flush=True)


def report(message: str) -> None:
    """Show ``message``, a step of a long cell, on the terminal of the ``rasl book`` that
    executes this notebook; outside a build it does nothing. It never enters the
    notebook's outputs."""
    path = os.environ.get(PROGRESS)
    if path:
        with open(path, "a") as f:
            f.write(message + "\n")


class _Progress:
    """While a notebook executes: each code cell as it starts (its number and the heading it
    is under), the steps its kernel reports (:func:`report`) and, in a cell running longer
    than :data:`HEARTBEAT_S`, a line that says so, each with the time since the notebook
    started."""

    def __init__(self, name: str):
        self.name, self.t0 = name, time.perf_counter()
        self.current, self.since = "", self.t0
        self.done = threading.Event()

    def say(self, message: str) -> None:
        _log(f"{self.name}: {message} ({time.perf_counter() - self.t0:.0f} s)")

    def cell_started(self, nb, index: int) -> None:
        """Cell ``index`` of ``nb`` (the notebook as papermill runs it) starts."""
        if nb.cells[index].cell_type != "code":
            return
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        heading = next(
            (
                lines[-1].lstrip("# ")
                for c in reversed(nb.cells[:index])
                if c.cell_type == "markdown"
                and (lines := [x for x in c.source.splitlines() if x.startswith("#")])
            ),
            "",
        )
        self.since = time.perf_counter()
        self.current = f"cell {code.index(index) + 1}/{len(code)}"
        self.say(f"{self.current}, {heading}" if heading else self.current)

    def _print_steps(self, f) -> None:
        for line in f.read().splitlines():
            self.say(f"  {line}")

    def _watch(self, steps: str) -> None:
        with open(steps) as f:
            while not self.done.wait(1.0):
                self._print_steps(f)
                if time.perf_counter() - self.since >= HEARTBEAT_S:
                    self.since = time.perf_counter()
                    self.say(f"still in {self.current}")
            self._print_steps(f)

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        before = os.environ.get(PROGRESS)
        with tempfile.NamedTemporaryFile("r", suffix=".steps") as steps:
            os.environ[PROGRESS] = steps.name
            watcher = threading.Thread(
                target=self._watch, args=(steps.name,), daemon=True
            )
            watcher.start()
            try:
                yield
            finally:
                self.done.set()
                watcher.join()
                if before is None:
                    del os.environ[PROGRESS]
                else:
                    os.environ[PROGRESS] = before


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The jupytext ``.py`` notebooks listed in ``root/_toc.yml``, in reading order."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    toc = root / "_toc.yml"
    if not toc.is_file():
        raise InputError(
            toc,
            "no table of contents: the book's sources are in a checkout of the repository",
        )
    return [
        root / f"{doc}.py"
        for doc in parse_toc_yaml(toc).keys()
        if (root / f"{doc}.py").is_file()
    ]


def execute_notebook(src: Path, dest: Path, parameters: dict) -> None:
    """Convert ``src`` (jupytext percent) and execute it with papermill into ``dest`` (.ipynb).

    The kernel's working folder is ``dest``'s folder, as it is when nbval re-executes the
    copy. Progress goes to stderr (:class:`_Progress`). Raises :class:`BuildError` naming
    ``src``, the failing cell and its error; no ``dest`` is left behind then.
    """
    import jupytext
    import papermill

    from rasl.paper.kernels import ENGINE

    nb = jupytext.read(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    progress = _Progress(src.stem)
    try:
        with progress.running():
            nb = papermill.execute_notebook(
                nb,
                None,
                parameters=parameters,
                engine_name=ENGINE,
                kernel_name=KERNEL,
                language="python",
                cwd=str(dest.parent),
                progress_bar=False,
                on_cell=progress.cell_started,
            )
    except papermill.PapermillExecutionError as e:
        raise BuildError(
            f"{src}: cell {e.exec_count} failed: {e.ename}: {e.evalue}"
        ) from None
    nb.metadata.papermill.input_path = (
        src.name
    )  # papermill stored the whole input notebook here
    nb.metadata.papermill.output_path = dest.name
    for (
        cell
    ) in nb.cells:  # the run settings are shown by the notebook itself, paths relative
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.metadata.tags.append("remove-input")
    with atomic_path(dest) as tmp:
        jupytext.write(nb, tmp, fmt="ipynb")


@contextlib.contextmanager
def this_python_as_kernel(folder: Path) -> Iterator[None]:
    """Install the kernelspec ``KERNEL`` (this interpreter) under ``folder`` and expose it
    through ``JUPYTER_PATH``, which Jupyter searches before the user's own kernels."""
    from ipykernel.kernelspec import install

    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(folder / "share" / "jupyter"), before])
    )
    try:
        spec = Path(
            install(
                kernel_name=KERNEL,
                display_name="Python (rasl book)",
                prefix=str(folder),
            )
        )
        kernel = json.loads((spec / "kernel.json").read_text())
        kernel["argv"].append(
            "--IPKernelApp.exec_lines=import rasl.paper.provenance as _p; _p.record_reads()"
        )
        (spec / "kernel.json").write_text(json.dumps(kernel, indent=1))
        yield
    finally:
        if before is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = before


def run_jupyter_book(source: Path, out: Path) -> None:
    """``jupyter-book build SOURCE --path-output OUT -W --keep-going``; BuildError if it fails."""
    exe = Path(sysconfig.get_path("scripts")) / "jupyter-book"
    if not exe.is_file():
        raise BuildError(
            f"{exe}: not found; install the book's dependencies (jupyter-book 1.x)"
        )
    cmd = [
        str(exe),
        "build",
        str(source),
        "--path-output",
        str(out),
        "-W",
        "--keep-going",
        "--quiet",  # Sphinx's progress; its warnings and errors are still printed
    ]
    if subprocess.run(cmd, stdout=sys.stderr).returncode:
        raise BuildError("jupyter-book build failed: see its warnings and errors above")


def run_settings(**values):
    """The small "run settings" line a chapter shows in place of its parameters cell, as an
    IPython Markdown object to ``display``: each value as given, except that a path outside
    the checkout (absolute, or relative and starting with ``..``, as ``rasl book`` passes
    them) is shown by its last part: a page names no folder of the machine that built it."""
    from IPython.display import (
        Markdown,  # the book's kernels have IPython; rasl's commands need it not
    )

    def shown(value):
        outside = isinstance(value, str) and (
            Path(value).is_absolute() or value.startswith("..")
        )
        return Path(value).name if outside else value

    return Markdown(
        "<small>Run settings: "
        + ", ".join(f"{k} `{shown(v)}`" for k, v in values.items())
        + "</small>"
    )


def stamp_copyright(config: Path, year: str | None = None) -> None:
    """Set ``copyright`` in a staged ``_config.yml`` to ``year`` (default: the build's year,
    from ``SOURCE_DATE_EPOCH`` when set, as reproducible builds do)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    year = year or time.strftime(
        "%Y", time.gmtime(int(epoch)) if epoch else time.gmtime()
    )
    text, n = re.subn(
        r"^copyright:.*$", f'copyright: "{year}"', config.read_text(), flags=re.M
    )
    config.write_text(text if n else f'{text}copyright: "{year}"\n')


def build_book(
    profile: str = "smoke",
    out: str | os.PathLike = ".",
    data_root: str | None = None,
    root: Path | None = None,
) -> Path:
    """Execute the book's notebooks for ``profile`` and build the HTML; return its index.html.

    ``data_root``: as :func:`rasl.paper.demo.data_root_or_demo` (None: ``RASL_DATA``,
    ``../shared/data`` or the generated synthetic demo set). ``root``: the book's sources
    (default :data:`ROOT`). Prints each step and the total time on stderr.
    """
    t0 = time.perf_counter()
    root = root or ROOT
    notebooks = toc_notebooks(root)
    build = Path(out).resolve() / "_build"
    if root.resolve().is_relative_to(build):
        raise InputError(build, "the build folder would contain the book's sources")
    data = data_root_or_demo(data_root).resolve()
    shutil.rmtree(build, ignore_errors=True)
    _log(f"data: {data}" + (" (SYNTHETIC demo set)" if is_synthetic(data) else ""))
    source = build / "source"
    source.mkdir(parents=True)
    for (
        name
    ) in STAGED:  # notebooks among the pages (book/*.py) are staged executed, below
        if (root / name).is_dir():
            shutil.copytree(
                root / name, source / name, ignore=shutil.ignore_patterns("*.py")
            )
        else:
            shutil.copy2(root / name, source / name)
    stamp_copyright(source / "_config.yml")
    (build / "data").symlink_to(data, target_is_directory=True)
    # Build Matplotlib's font cache here: a notebook that built it would keep the notice in its
    # outputs, and nbval's rerun, which does not print it, would then fail.
    import matplotlib.font_manager  # noqa: F401

    chapters = []
    os.environ[provenance.DATA] = os.pathsep.join([str(build / "data"), str(data)])
    (build / "reads").mkdir()
    try:
        with this_python_as_kernel(build / "kernel"):
            for i, src in enumerate(notebooks, 1):
                t = time.perf_counter()
                rel = src.relative_to(root)
                _log(f"notebook {i}/{len(notebooks)}: {rel}")
                reads = build / "reads" / f"{rel.stem}.txt"
                reads.touch()
                os.environ[provenance.READS] = str(reads)
                dest = source / rel.with_suffix(".ipynb")
                params = {
                    "profile": profile,
                    "data_root": os.path.relpath(build / "data", dest.parent),
                    "artifacts": os.path.relpath(build / "artifacts", dest.parent),
                }
                execute_notebook(src, dest, params)
                seconds = time.perf_counter() - t
                chapters.append(
                    provenance.Chapter(
                        str(rel), seconds, reads.read_text().splitlines()
                    )
                )
                _log(
                    f"executed {rel} ({profile}) in {seconds:.1f} s, "
                    f"{time.perf_counter() - t0:.0f} s since the start"
                )
    finally:
        for name in (provenance.READS, provenance.DATA):
            os.environ.pop(name, None)
    (source / "book" / "reproducibility.md").write_text(
        provenance.page(
            chapters,
            data,
            is_synthetic(data),
            profile,
            provenance.git_commit(root),
            root,
        )
    )
    t = time.perf_counter()
    run_jupyter_book(source, build.parent)
    _log(f"jupyter-book build in {time.perf_counter() - t:.1f} s")
    _log(f"total {time.perf_counter() - t0:.1f} s")
    return build / "html" / "index.html"
