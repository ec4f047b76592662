"""The book: built once per session by ``rasl book``, then checked by nbval, for offline
links, and in a real browser. Also: a failing notebook and a Sphinx warning fail the build.

Marked ``book`` (deselect with ``-m "not book"``). The browser checks need Debian's
``chromium`` (``apt-get install -y chromium``) and skip without ``/usr/bin/chromium``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import matplotlib.pyplot as plt
import pytest
from bs4 import BeautifulSoup

from rasl.cli import main
from rasl.files import list_videos
from rasl.paper import book as rasl_book
from rasl.paper import provenance
from rasl.paper.benchmark import read_results
from rasl.paper.demo import data_root_or_demo

pytestmark = pytest.mark.book

REPO = rasl_book.ROOT
SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
CHROMIUM = Path("/usr/bin/chromium")
# elements whose URL attribute the browser fetches on its own
FETCHING = {
    "script": "src",
    "img": "src",
    "link": "href",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
    "track": "src",
    "input": "src",
}
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
CSS_EXTERNAL = re.compile(
    r"url\(\s*['\"]?(https?:)?//|@import\s+['\"](https?:)?//", re.I
)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
# characters of a code line that the page column shows without scrolling
CODE_WIDTH = 88


def css_fetches(css: str) -> list[str]:
    """The external URLs a style sheet loads (comments ignored)."""
    return [m.group(0) for m in CSS_EXTERNAL.finditer(CSS_COMMENT.sub("", css))]


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """The shared real data, else the demo set generated into a temporary folder."""
    return data_root_or_demo(cache_dir=tmp_path_factory.mktemp("demo"))


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Standard error into ``path``: ``sys.stderr`` (which pytest's capture replaces) and
    file descriptor 2, which the kernels the build starts inherit."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "w") as f:
        os.dup2(f.fileno(), 2)
        try:
            with contextlib.redirect_stderr(f):
                yield
        finally:
            f.flush()
            os.dup2(saved, 2)
            os.close(saved)


@pytest.fixture(scope="session")
def built(tmp_path_factory, data_root) -> Path:
    """``rasl book`` (smoke) into a fresh folder; returns its ``_build``; what it printed
    on stderr is kept in ``_build/../build.log`` (and echoed)."""
    out = tmp_path_factory.mktemp("book")
    with _stderr_to(out / "build.log"):
        status = main(["book", "--out", str(out), "--data-root", str(data_root)])
    print((out / "build.log").read_text())
    assert status == 0
    return out / "_build"


def _code_cells(nb_path: Path) -> list[dict]:
    return [
        c for c in json.loads(nb_path.read_text())["cells"] if c["cell_type"] == "code"
    ]


def external_fetches(html: str) -> list[str]:
    """Every URL outside the book that the page would make the browser fetch."""
    soup = BeautifulSoup(html, "html.parser")
    found = [
        f"<{t.name} {attr}={t[attr]}>"
        for t in soup.find_all(FETCHING)
        if EXTERNAL.match(t.get(attr := FETCHING[t.name], ""))
    ]
    found += [
        f"srcset {t['srcset']}"
        for t in soup.find_all(srcset=True)
        if "//" in t["srcset"]
    ]
    found += [
        f"style: {url}"
        for style in soup.find_all("style")
        for url in css_fetches(style.get_text())
    ]
    return found


def test_external_fetches_finds_what_a_browser_would_load():
    page = (
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//fonts.example/c.css">'
        '<img src="_static/a.png"><a href="https://example.org">a link is not fetched</a>'
        '<style>@import "https://fonts.example/f.css"; /* url(https://in.a/comment) */</style>'
    )
    assert external_fetches(page) == [
        "<script src=https://cdn.example/x.js>",
        "<link href=//fonts.example/c.css>",
        'style: @import "https://',
    ]


def test_every_toc_page_is_built_from_its_executed_notebook(built, data_root):
    notebooks = rasl_book.toc_notebooks()
    assert (
        REPO / "notebooks" / "00_data.py" in notebooks
        and REPO / "book" / "intro.py" in notebooks
    )
    assert (built / "data").resolve() == data_root.resolve()
    for src in notebooks:
        rel = src.relative_to(REPO)
        executed = built / "source" / rel.with_suffix(".ipynb")
        cells = _code_cells(executed)
        injected = next(
            c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])
        )
        assert 'profile = "smoke"' in "".join(injected["source"])
        # relative to the notebook's folder, through the build's link to the data root
        assert 'data_root = "../../data"' in "".join(injected["source"])
        assert "remove-input" in injected["metadata"]["tags"]
        assert not [
            o for c in cells for o in c["outputs"] if o["output_type"] == "error"
        ]
        assert (built / "html" / rel.with_suffix(".html")).is_file()
    assert (built / "html" / "book" / "implementation-notes.html").is_file()
    assert (built / "html" / "book" / "reproducibility.html").is_file()
    assert not list((built / "source").rglob("*.py")), (
        "the staged book holds executed notebooks only"
    )


def test_widget_page_carries_its_figure_scripts_and_widget_state(built):
    soup = BeautifulSoup(
        (built / "html" / "notebooks" / "00_data.html").read_text(), "html.parser"
    )
    scripts = [s["src"].split("?")[0] for s in soup.find_all("script", src=True)]
    assert (
        "../_static/require.js" in scripts
        and "../_static/widgets/embed-amd.js" in scripts
    )
    assert any(img["src"].startswith("../_images/") for img in soup.find_all("img"))
    state = json.loads(
        soup.find("script", type="application/vnd.jupyter.widget-state+json").string
    )
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


def _leaks(text: str, forbidden: list[str]) -> list[str]:
    return [f for f in forbidden if f in text]


def test_leak_check_finds_local_paths():
    forbidden = ["/home/someone/rasl", "/tmp/"]
    assert _leaks('<p>data_root = "/home/someone/rasl/data"</p>', forbidden) == [
        "/home/someone/rasl"
    ]
    assert _leaks("<pre>../../data</pre>", forbidden) == []


def test_no_page_names_a_folder_of_the_build_machine(built, data_root):
    """No built file a reader gets (pages, their sources, search index) holds the build
    folder, the checkout, the data root, the home folder or the temporary folder."""
    forbidden = sorted(
        {
            str(built.parent.resolve()),
            str(REPO),
            str(data_root.resolve()),
            str(Path.home()),
            os.path.join(tempfile.gettempdir(), ""),
        }
        - {"/"}
    )
    files = [
        p
        for p in (built / "html").rglob("*")
        if p.suffix in (".html", ".ipynb", ".md", ".txt", ".js")
        and "_static" not in p.parts
    ]
    assert len(files) > 10
    for path in files:
        assert _leaks(path.read_text(errors="replace"), forbidden) == [], path


def test_the_build_reports_progress_and_no_kernel_noise(built):
    log = (built.parent / "build.log").read_text()
    for src in rasl_book.toc_notebooks():
        assert re.search(rf"\] {src.stem}: cell 1/\d+, .* \(\d+ s\)", log), src.stem
    # the ablations chapter reports each variant it trains, with the time so far
    assert re.search(r"04_ablations:   Table IV: summation: \d+ pretraining", log)
    assert "without encryption" not in log and "KeyboardInterrupt" not in log


def test_no_figure_or_table_carries_a_number_of_the_book(built):
    """The paper's numbers are the only ones: Sphinx numbers none of the book's own."""
    for page in (built / "html").rglob("*.html"):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        assert not soup.select(".caption-number"), page.name
    captions = [
        c.get_text(" ", strip=True)
        for page in (built / "html" / "notebooks").glob("0[1345]_*.html")
        for c in BeautifulSoup(page.read_text(), "html.parser").select("figcaption")
    ]
    for number in ("Fig. 1", "Table I ", "Table II ", "Tables III and IV", "Fig. 6"):
        assert any(number in c for c in captions), number
    assert any("Table VI" in c for c in captions)


def test_the_ledger_has_a_row_per_claim_linked_to_its_section(built):
    intro = built / "html" / "book" / "intro.html"
    soup = BeautifulSoup(intro.read_text(), "html.parser")
    table = next(
        t for t in soup.select("table") if "verdict" in t.find("tr").get_text()
    )
    rows = table.select("tbody tr")
    assert len(rows) == 9
    for row in rows:
        verdict = row.select("td")[3].get_text(" ", strip=True)
        assert re.match(r"(not )?reproduced|not testable here", verdict), verdict
        (link,) = row.select("td")[4].select("a")
        target, _, anchor = link["href"].partition("#")
        page = intro.parent / target
        assert BeautifulSoup(page.read_text(), "html.parser").find(id=anchor), link


def test_the_copyright_is_the_build_year(built):
    footer = BeautifulSoup(
        (built / "html" / "book" / "intro.html").read_text(), "html.parser"
    ).select_one(".footer-item .copyright, p.copyright")
    assert footer is not None and time.strftime("%Y") in footer.get_text()


def test_the_intro_summary_table_holds_the_committed_measurements(built):
    soup = BeautifulSoup(
        (built / "html" / "book" / "intro.html").read_text(), "html.parser"
    )
    table = soup.find(id="tbl-summary")
    assert table is not None and table.find("table") is not None, (
        "the summary table is missing"
    )
    cells = [td.get_text(" ", strip=True) for td in table.find_all("td")]
    rows = read_results(sorted((REPO / "results" / "benchmarks").glob("*_full.csv")))
    means = {
        (r["benchmark"], r["protocol"]): r["score"]
        for r in rows
        if r["seed"] == "mean" and r["domain"] == "Average"
    }
    assert len(means) == 6
    for (benchmark, protocol), mean in means.items():
        std = next(
            r["score"]
            for r in rows
            if r["seed"] == "std"
            and r["domain"] == "Average"
            and (r["benchmark"], r["protocol"]) == (benchmark, protocol)
        )
        assert f"{mean:.3f} ± {std:.3f}" in cells, (benchmark, protocol)
    assert "0.651" in cells and "0.783" in cells  # the paper's, beside them
    assert soup.find(id="fig-summary").find("img") is not None


def test_hidden_inputs_have_their_toggle_and_removed_ones_are_gone(built):
    for src in rasl_book.toc_notebooks():
        rel = src.relative_to(REPO)
        cells = _code_cells(built / "source" / rel.with_suffix(".ipynb"))
        hidden = sum("hide-input" in c["metadata"].get("tags", []) for c in cells)
        soup = BeautifulSoup(
            (built / "html" / rel.with_suffix(".html")).read_text(), "html.parser"
        )
        toggles = soup.select("details.above-input")
        assert hidden and len(toggles) == hidden, rel
        assert all("Show code cell source" in t.summary.get_text() for t in toggles), (
            rel
        )
        code = " ".join(d.get_text() for d in soup.select("div.cell_input"))
        removed = [c for c in cells if "remove-input" in c["metadata"].get("tags", [])]
        # the parameters and the injected parameters at least
        assert len(removed) >= 2, rel
        for cell in removed:
            # its longest line: a short one ("display(") can occur in any visible cell
            line = max("".join(cell["source"]).splitlines(), key=len).strip()
            assert line not in code, (rel, cell["source"])


def test_no_notebook_has_an_empty_code_cell():
    """An empty cell renders as an open input that prints nothing (jupytext makes one
    of a second blank line before the first cell marker)."""
    for src in rasl_book.toc_notebooks():
        cells = jupytext.read(src).cells
        empty = [
            i
            for i, c in enumerate(cells)
            if c.cell_type == "code" and not c.source.strip()
        ]
        assert empty == [], (src.name, empty)


def test_notebook_code_fits_the_page_column():
    for src in [*rasl_book.toc_notebooks()]:
        for cell in jupytext.read(src).cells:
            if cell.cell_type == "code":
                wide = [
                    line for line in cell.source.splitlines() if len(line) > CODE_WIDTH
                ]
                assert not wide, (src.name, wide)


def test_progress_names_each_code_cell_and_the_steps_its_kernel_reports(capsys):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(
        cells=[
            new_markdown_cell("# Title"),
            new_code_cell("a = 1"),
            new_markdown_cell("(label)=\n## Part two\n\nText."),
            new_code_cell("b = 2"),
        ]
    )
    progress = rasl_book._Progress("ch")
    with progress.running():
        for i in range(len(nb.cells)):
            progress.cell_started(nb, i)
        rasl_book.report("variant x: 2 steps")  # what a kernel's cell does
    assert os.environ.get(rasl_book.PROGRESS) is None
    rasl_book.report("outside a build: nothing")
    lines = re.findall(r"\[rasl book\] (.*) \(\d+ s\)", capsys.readouterr().err)
    assert lines == [
        "ch: cell 1/2, Title",
        "ch: cell 2/2, Part two",
        "ch:   variant x: 2 steps",
    ]


def test_copyright_and_run_settings_by_hand(tmp_path, monkeypatch):
    config = tmp_path / "_config.yml"
    config.write_text('title: x\ncopyright: "2001"  # old\nauthor: y\n')
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14
    rasl_book.stamp_copyright(config)
    assert config.read_text() == 'title: x\ncopyright: "2023"\nauthor: y\n'
    line = rasl_book.run_settings(
        profile="smoke", data_root="/home/someone/shared/data", artifacts="../../a"
    ).data
    assert (
        line
        == "<small>Run settings: profile `smoke`, data_root `data`, artifacts `a`</small>"
    )


def test_the_reproducibility_page_lists_what_each_chapter_read(built, data_root):
    soup = BeautifulSoup(
        (built / "html" / "book" / "reproducibility.html").read_text(), "html.parser"
    )
    text = soup.get_text(" ")
    labels = data_root / "videos" / "labels.csv"
    assert "videos/labels.csv" in text and provenance.sha256(labels) in text
    assert re.search(r"[0-9a-f]{40}", text), "no commit"
    for src in rasl_book.toc_notebooks():
        assert str(src.relative_to(REPO)) in text
    commands = " ".join(pre.get_text() for pre in soup.find_all("pre"))
    assert "papermill" in commands and "rasl book --profile smoke" in commands


def test_nbval_reproduces_the_executed_notebooks(built):
    """Re-execute every executed notebook and compare its text outputs with the stored ones.

    No cell is tagged ``nbval-ignore-output``: the widget cell's view (random model ids) is
    skipped by nbval itself and its text form is deterministic; timings, progress bars,
    addresses and temporary paths are replaced by ``nbval_sanitize.cfg``.
    """
    notebooks = sorted((built / "source").rglob("*.ipynb"))
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        str(SANITIZE),
        "-q",
        *map(str, notebooks),
    ]
    run = subprocess.run(cmd, cwd=built, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-5000:]
    cells = sum(len(_code_cells(nb)) for nb in notebooks)
    assert re.search(rf"\b{cells} passed\b", run.stdout), run.stdout[-2000:]


def _dom(page: Path, tmp_path: Path, window: str = "1280,900") -> BeautifulSoup:
    """The page's DOM after headless Chromium laid it out in a ``window`` (``W,H``) window
    and ran its scripts (10 s of virtual time)."""
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={window}",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    return BeautifulSoup(run.stdout, "html.parser")


@pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="needs Debian's chromium: apt-get install -y chromium",
)
def test_browser_draws_the_figure_and_the_widgets(built, data_root, tmp_path):
    dom = _dom(built / "html" / "notebooks" / "00_data.html", tmp_path)
    videos = [p.name for p in list_videos(data_root / "videos")]
    dropdown = dom.select_one(".widget-dropdown select")
    assert dropdown is not None, "the widget manager did not render the controls"
    assert [o.get_text() for o in dropdown.find_all("option")] == videos
    panels = [
        img for out in dom.select(".widget-output") for img in out.find_all("img")
    ]
    assert panels and all(
        img["src"].startswith("data:image/png;base64,") and len(img["src"]) > 5000
        for img in panels
    )
    figures = [img for img in dom.select("figure img") if "/_images/" in img["src"]]
    assert figures, "the static figure is missing"
    assert external_fetches(str(dom)) == []


# Where the page's first heading and first visible code (a cell's source, or a code block
# outside an output) are, once laid out.
FIRST_SCREEN = """
  const top = e => e.getBoundingClientRect().top + window.scrollY;
  const h = [...document.querySelectorAll("main h1")].find(e => e.offsetParent !== null);
  const code = [...document.querySelectorAll("div.cell_input, div.highlight")]
    .filter(e => e.offsetParent !== null && !e.closest(".cell_output, details:not([open])"));
  return {heading: h ? h.textContent.trim() : null, headingTop: h ? top(h) : null,
    codeTop: code.length ? Math.min(...code.map(top)) : null};"""
# Every visible table wider than the article's column (by its first header or cell), and
# every figure drawn at less than WIDTH_KEPT of its own width (its text shrinks with it).
WIDTH_KEPT = 0.8
FITS = f"""
  const column = document.querySelector("article.bd-article").getBoundingClientRect();
  const visible = e => e.offsetParent !== null && !e.closest("details:not([open])");
  const wide = [...document.querySelectorAll("article.bd-article table")].filter(visible)
    .filter(t => t.getBoundingClientRect().right > column.right + 1
      || t.scrollWidth > t.clientWidth + 1)
    .map(t => t.querySelector("th, td").textContent.trim().slice(0, 40)
      + ": " + Math.round(t.getBoundingClientRect().width) + " px");
  const shrunk = [...document.querySelectorAll("article.bd-article img")].filter(visible)
    .filter(i => i.naturalWidth > 300 && i.width < {WIDTH_KEPT} * i.naturalWidth)
    .map(i => i.src.split("/").pop().slice(0, 12) + ": " + i.width + " of "
      + i.naturalWidth + " px");
  return {{column: column.width, wide: wide, shrunk: shrunk}};"""


def _laid_out(page: Path, script: str, tmp_path: Path, window: str) -> dict:
    """Run ``script`` (a function body returning a JSON-able value) on ``page`` laid out
    in headless Chromium in a ``window`` (``W,H``) window, 300 ms after it loaded."""
    probe = page.with_name(f"_probe_{page.name}")
    hook = (
        '<script>window.addEventListener("load", () => setTimeout(() => {'
        f"document.body.dataset.probe = JSON.stringify((() => {{{script}}})());"
        "}, 300));</script>"
    )
    probe.write_text(page.read_text().replace("</body>", hook + "</body>"))
    try:
        body = _dom(probe, tmp_path, window).body
    finally:
        probe.unlink()
    assert body is not None and body.get("data-probe"), page.name
    return json.loads(body["data-probe"])


def _pages(built: Path) -> list[Path]:
    """Every page of the book, in reading order."""
    return [
        built / "html" / src.relative_to(REPO).with_suffix(".html")
        for src in rasl_book.toc_notebooks()
    ] + [
        built / "html" / "book" / f"{name}.html"
        for name in ("implementation-notes", "reproducibility")
    ]


@pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="needs Debian's chromium: apt-get install -y chromium",
)
def test_browser_first_screen_of_each_chapter_is_a_heading_and_no_code(built, tmp_path):
    for page in _pages(built)[:-2]:
        screen = _laid_out(page, FIRST_SCREEN, tmp_path, "1280,900")
        assert screen["heading"] and screen["headingTop"] < 300, (page.name, screen)
        assert screen["codeTop"] is None or screen["codeTop"] > 900, (page.name, screen)


@pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="needs Debian's chromium: apt-get install -y chromium",
)
def test_browser_every_table_and_figure_fits_the_column_at_1400_px(built, tmp_path):
    for page in _pages(built):
        laid = _laid_out(page, FITS, tmp_path, "1400,2000")
        assert laid["column"] > 600, (page.name, laid)
        assert laid["wide"] == [] and laid["shrunk"] == [], (page.name, laid)


@pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="needs Debian's chromium: apt-get install -y chromium",
)
def test_the_width_probe_finds_a_wide_table_and_a_shrunk_figure(tmp_path):
    cells = "".join(f"<td>{'wide' * 20}{i}</td>" for i in range(12))
    png = tmp_path / "f.png"
    fig = plt.figure(figsize=(12, 2), dpi=100)
    fig.savefig(png)
    plt.close(fig)
    page = tmp_path / "p.html"
    page.write_text(
        '<html><body><main><article class="bd-article" style="width:700px">'
        f"<table><tr><td>a</td>{cells}</tr></table>"
        f'<table><tr><td>fits</td></tr></table><img src="{png.name}" width="700">'
        "</article></main></body></html>"
    )
    laid = _laid_out(page, FITS, tmp_path, "1400,2000")
    assert [w.split(":")[0] for w in laid["wide"]] == ["a"]
    assert laid["shrunk"] == ["f.png: 700 of 1200 px"]


@pytest.mark.skipif(
    not CHROMIUM.is_file(),
    reason="needs Debian's chromium: apt-get install -y chromium",
)
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
    monkeypatch.setattr(
        rasl_book, "ROOT", _tiny_book(tmp_path / "src", "# Intro\n", nb)
    )
    assert (
        main(["book", "--out", str(tmp_path / "out"), "--data-root", str(data_root)])
        == 1
    )
    err = capsys.readouterr().err
    assert re.search(
        r"rasl: book failed: .*notebooks/bad\.py: cell \d+ failed: ValueError: boom",
        err,
    )
    assert not (
        tmp_path / "out" / "_build" / "source" / "notebooks" / "bad.ipynb"
    ).exists()
    assert not (tmp_path / "out" / "_build" / "html").exists()


def test_a_sphinx_warning_fails_the_build(tmp_path, data_root, capfd):
    root = _tiny_book(tmp_path / "src", "# Intro\n\nSee {ref}`no-such-label`.\n")
    with pytest.raises(rasl_book.BuildError, match="jupyter-book build failed"):
        rasl_book.build_book(out=tmp_path / "out", data_root=str(data_root), root=root)
    assert "no-such-label" in capfd.readouterr().err
