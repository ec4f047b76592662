"""``rasl book``: execute every notebook of the book with papermill, then build it offline.

The checkout holds the book's sources: ``_config.yml``, ``_toc.yml``, prose pages under
``book/`` and the notebooks under ``notebooks/`` as jupytext percent ``.py`` files (their
only committed form). A build never writes into them. Everything it makes lives under
``OUT/_build/`` (``OUT`` is ``jupyter-book``'s ``--path-output``), which is deleted first so
every build starts clean:

- ``source/``: a staged copy of the book in which each notebook listed in ``_toc.yml`` is
  the ``.ipynb`` that papermill executed, with ``profile`` and ``data_root`` injected after
  its ``parameters`` cell (the copies nbval checks);
- ``artifacts/``: what notebooks hand to later ones (features, checkpoints, score
  curves), passed to every notebook as its ``artifacts`` parameter;
- ``kernel/``: a kernelspec that runs this very interpreter, so notebooks see this
  environment whatever kernels the user has installed;
- ``html/``: the site, built by ``jupyter-book build -W --keep-going`` from ``source/``
  with execution off. Any notebook error or any Sphinx warning fails the build.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

from rasl.demo import data_root_or_demo, is_synthetic
from rasl.files import InputError, atomic_path

ROOT = Path(__file__).resolve().parents[1]  # the checkout that holds the book's sources
KERNEL = "rasl-book"
STAGED = ("_config.yml", "_toc.yml", "book")  # copied as they are; notebooks are executed


class BuildError(Exception):
    """A notebook failed or ``jupyter-book build`` reported an error or a warning."""


def _log(message: str) -> None:
    print(f"[rasl book] {message}", file=sys.stderr, flush=True)


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The jupytext ``.py`` notebooks listed in ``root/_toc.yml``, in reading order."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    toc = root / "_toc.yml"
    if not toc.is_file():
        raise InputError(toc, "no table of contents: the book's sources are in a checkout of the repository")
    return [root / f"{doc}.py" for doc in parse_toc_yaml(toc).keys() if (root / f"{doc}.py").is_file()]


def execute_notebook(src: Path, dest: Path, parameters: dict) -> None:
    """Convert ``src`` (jupytext percent) and execute it with papermill into ``dest`` (.ipynb).

    The kernel's working folder is ``dest``'s folder, as it is when nbval re-executes the
    copy. Raises :class:`BuildError` naming ``src``, the failing cell and its error; no
    ``dest`` is left behind then.
    """
    import jupytext
    import papermill

    nb = jupytext.read(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        nb = papermill.execute_notebook(
            nb, None, parameters=parameters, kernel_name=KERNEL, language="python", cwd=str(dest.parent),
            progress_bar=False,
        )
    except papermill.PapermillExecutionError as e:
        raise BuildError(f"{src}: cell {e.exec_count} failed: {e.ename}: {e.evalue}") from None
    nb.metadata.papermill.input_path = str(src)  # papermill stored the whole input notebook here
    nb.metadata.papermill.output_path = str(dest)
    with atomic_path(dest) as tmp:
        jupytext.write(nb, tmp, fmt="ipynb")


@contextlib.contextmanager
def this_python_as_kernel(folder: Path) -> Iterator[None]:
    """Install the kernelspec ``KERNEL`` (this interpreter) under ``folder`` and expose it
    through ``JUPYTER_PATH``, which Jupyter searches before the user's own kernels."""
    from ipykernel.kernelspec import install

    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder / "share" / "jupyter"), before]))
    try:
        install(kernel_name=KERNEL, display_name="Python (rasl book)", prefix=str(folder))
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
        raise BuildError(f"{exe}: not found; install the book's dependencies (jupyter-book 1.x)")
    cmd = [str(exe), "build", str(source), "--path-output", str(out), "-W", "--keep-going"]
    if subprocess.run(cmd, stdout=sys.stderr).returncode:
        raise BuildError("jupyter-book build failed: see its warnings and errors above")


def build_book(
    profile: str = "smoke", out: str | os.PathLike = ".", data_root: str | None = None, root: Path | None = None
) -> Path:
    """Execute the book's notebooks for ``profile`` and build the HTML; return its index.html.

    ``data_root``: as :func:`rasl.demo.data_root_or_demo` (None: ``RASL_DATA``,
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
    for name in STAGED:
        (shutil.copytree if (root / name).is_dir() else shutil.copy2)(root / name, source / name)
    # Build Matplotlib's font cache here: a notebook that built it would keep the notice in its
    # outputs, and nbval's rerun, which does not print it, would then fail.
    import matplotlib.font_manager  # noqa: F401
    with this_python_as_kernel(build / "kernel"):
        for src in notebooks:
            t = time.perf_counter()
            rel = src.relative_to(root)
            params = {"profile": profile, "data_root": str(data), "artifacts": str(build / "artifacts")}
            execute_notebook(src, source / rel.with_suffix(".ipynb"), params)
            _log(f"executed {rel} ({profile}) in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    run_jupyter_book(source, build.parent)
    _log(f"jupyter-book build in {time.perf_counter() - t:.1f} s")
    _log(f"total {time.perf_counter() - t0:.1f} s")
    return build / "html" / "index.html"
