"""The book: built once per session by ``rasl book``, then checked by nbval, for offline
links, and in a real browser. Also: a failing notebook and a Sphinx warning fail the build.

Marked ``book`` (deselect with ``-m "not book"``). The browser checks need Debian's
``chromium`` (``apt-get install -y chromium``) and skip without ``/usr/bin/chromium``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from rasl import book as rasl_book
from rasl.cli import main
from rasl.data import list_videos
from rasl.demo import data_root_or_demo

pytestmark = pytest.mark.book

REPO = rasl_book.ROOT
SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
CHROMIUM = Path("/usr/bin/chromium")
# elements whose URL attribute the browser fetches on its own
FETCHING = {"script": "src", "img": "src", "link": "href", "iframe": "src", "source": "src", "video": "src",
            "audio": "src", "embed": "src", "object": "data", "track": "src", "input": "src"}
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
CSS_EXTERNAL = re.compile(r"url\(\s*['\"]?(https?:)?//|@import\s+['\"](https?:)?//", re.I)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def css_fetches(css: str) -> list[str]:
    """The external URLs a style sheet loads (comments ignored)."""
    return [m.group(0) for m in CSS_EXTERNAL.finditer(CSS_COMMENT.sub("", css))]


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """The shared real data, else the demo set generated into a temporary folder."""
    return data_root_or_demo(cache_dir=tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def built(tmp_path_factory, data_root) -> Path:
    """``rasl book`` (smoke) into a fresh folder; returns its ``_build``."""
    out = tmp_path_factory.mktemp("book")
    assert main(["book", "--out", str(out), "--data-root", str(data_root)]) == 0
    return out / "_build"


def _code_cells(nb_path: Path) -> list[dict]:
    return [c for c in json.loads(nb_path.read_text())["cells"] if c["cell_type"] == "code"]


def external_fetches(html: str) -> list[str]:
    """Every URL outside the book that the page would make the browser fetch."""
    soup = BeautifulSoup(html, "html.parser")
    found = [f"<{t.name} {attr}={t[attr]}>" for t in soup.find_all(FETCHING) if EXTERNAL.match(t.get(attr := FETCHING[t.name], ""))]
    found += [f"srcset {t['srcset']}" for t in soup.find_all(srcset=True) if "//" in t["srcset"]]
    found += [f"style: {url}" for style in soup.find_all("style") for url in css_fetches(style.get_text())]
    return found


def test_external_fetches_finds_what_a_browser_would_load():
    page = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/c.css">'
            '<img src="_static/a.png"><a href="https://example.org">a link is not fetched</a>'
            '<style>@import "https://fonts.example/f.css"; /* url(https://in.a/comment) */</style>')
    assert external_fetches(page) == [
        "<script src=https://cdn.example/x.js>", "<link href=//fonts.example/c.css>",
        'style: @import "https://',
    ]


def test_every_toc_page_is_built_from_its_executed_notebook(built, data_root):
    notebooks = rasl_book.toc_notebooks()
    assert REPO / "notebooks" / "00_data.py" in notebooks
    for src in notebooks:
        rel = src.relative_to(REPO)
        executed = built / "source" / rel.with_suffix(".ipynb")
        cells = _code_cells(executed)
        injected = next(c for c in cells if "injected-parameters" in c["metadata"].get("tags", []))
        assert 'profile = "smoke"' in "".join(injected["source"])
        assert f'data_root = "{data_root.resolve()}"' in "".join(injected["source"])
        assert not [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
        assert (built / "html" / rel.with_suffix(".html")).is_file()
    assert (built / "html" / "book" / "intro.html").is_file()
    assert (built / "html" / "book" / "implementation-notes.html").is_file()
    assert not list((built / "source").rglob("*.py")), "the staged book holds executed notebooks only"


def test_widget_page_carries_its_figure_scripts_and_widget_state(built):
    soup = BeautifulSoup((built / "html" / "notebooks" / "00_data.html").read_text(), "html.parser")
    scripts = [s["src"].split("?")[0] for s in soup.find_all("script", src=True)]
    assert "../_static/require.js" in scripts and "../_static/widgets/embed-amd.js" in scripts
    assert any(img["src"].startswith("../_images/") for img in soup.find_all("img"))
    state = json.loads(soup.find("script", type="application/vnd.jupyter.widget-state+json").string)
    models = [m["model_name"] for m in state["state"].values()]
    assert {"DropdownModel", "StackModel", "OutputModel"} <= set(models)
    assert (built / "html" / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()


def test_no_page_fetches_anything_from_outside_the_book(built):
    pages = list((built / "html").rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        assert external_fetches(page.read_text()) == [], page
    for css in (built / "html" / "_static").rglob("*.css"):
        assert css_fetches(css.read_text(errors="replace")) == [], css


def test_nbval_reproduces_the_executed_notebooks(built):
    """Re-execute every executed notebook and compare its text outputs with the stored ones.

    No cell is tagged ``nbval-ignore-output``: the widget cell's view (random model ids) is
    skipped by nbval itself and its text form is deterministic; timings, progress bars,
    addresses and temporary paths are replaced by ``nbval_sanitize.cfg``.
    """
    notebooks = sorted((built / "source").rglob("*.ipynb"))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
           "--nbval-sanitize-with", str(SANITIZE), "-q", *map(str, notebooks)]
    run = subprocess.run(cmd, cwd=built, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-5000:]
    cells = sum(len(_code_cells(nb)) for nb in notebooks)
    assert re.search(rf"\b{cells} passed\b", run.stdout), run.stdout[-2000:]


def _dom(page: Path, tmp_path: Path) -> BeautifulSoup:
    """The page's DOM after headless Chromium ran its scripts (10 s of virtual time)."""
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           "--virtual-time-budget=10000", "--dump-dom", page.as_uri()]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    return BeautifulSoup(run.stdout, "html.parser")


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian's chromium: apt-get install -y chromium")
def test_browser_draws_the_figure_and_the_widgets(built, data_root, tmp_path):
    dom = _dom(built / "html" / "notebooks" / "00_data.html", tmp_path)
    videos = [p.name for p in list_videos(data_root / "videos")]
    dropdown = dom.select_one(".widget-dropdown select")
    assert dropdown is not None, "the widget manager did not render the controls"
    assert [o.get_text() for o in dropdown.find_all("option")] == videos
    panels = [img for out in dom.select(".widget-output") for img in out.find_all("img")]
    assert panels and all(img["src"].startswith("data:image/png;base64,") and len(img["src"]) > 5000 for img in panels)
    figures = [img for img in dom.select(".cell_output img") if "/_images/" in img["src"]]
    assert figures, "the static figure is missing"
    assert external_fetches(str(dom)) == []


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian's chromium: apt-get install -y chromium")
def test_browser_typesets_the_mathematics_offline(built, tmp_path):
    dom = _dom(built / "html" / "book" / "implementation-notes.html", tmp_path)
    assert len(dom.select("mjx-container")) > 10
    assert not dom.select("mjx-merror")


def _tiny_book(root: Path, page: str, notebook: str | None = None) -> Path:
    """A book with the real configuration and vendored scripts, one page and maybe one notebook."""
    (root / "book").mkdir(parents=True)
    shutil.copy(REPO / "_config.yml", root)
    (root / "book" / "_vendor").symlink_to(REPO / "book" / "_vendor")
    (root / "book" / "intro.md").write_text(page)
    toc = "format: jb-book\nroot: book/intro\n"
    if notebook:
        (root / "notebooks").mkdir()
        (root / "notebooks" / "bad.py").write_text(notebook)
        toc += "chapters:\n  - file: notebooks/bad\n"
    (root / "_toc.yml").write_text(toc)
    return root


def test_a_failing_notebook_fails_the_command(tmp_path, data_root, monkeypatch, capsys):
    nb = '# %% tags=["parameters"]\nprofile = "smoke"\ndata_root = None\n\n# %%\nraise ValueError("boom")\n'
    monkeypatch.setattr(rasl_book, "ROOT", _tiny_book(tmp_path / "src", "# Intro\n", nb))
    assert main(["book", "--out", str(tmp_path / "out"), "--data-root", str(data_root)]) == 1
    err = capsys.readouterr().err
    assert re.search(r"rasl: book failed: .*notebooks/bad\.py: cell \d+ failed: ValueError: boom", err)
    assert not (tmp_path / "out" / "_build" / "source" / "notebooks" / "bad.ipynb").exists()
    assert not (tmp_path / "out" / "_build" / "html").exists()


def test_a_sphinx_warning_fails_the_build(tmp_path, data_root, capfd):
    root = _tiny_book(tmp_path / "src", "# Intro\n\nSee {ref}`no-such-label`.\n")
    with pytest.raises(rasl_book.BuildError, match="jupyter-book build failed"):
        rasl_book.build_book(out=tmp_path / "out", data_root=str(data_root), root=root)
    assert "no-such-label" in capfd.readouterr().err
