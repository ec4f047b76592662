"""The package's shape: a public API, and an import graph with no cycle and no arrow from
the method and tool (rasl/) into the reproduction (rasl/paper/)."""

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import rasl

PACKAGE = Path(rasl.__file__).parent


def imports() -> dict[str, set[str]]:
    """Module name -> the rasl modules it imports (at any depth in the file), read from source."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("rasl")
            ):
                found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("rasl")}
        graph[name] = found
    return {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}


def test_the_method_and_tool_never_import_the_reproduction():
    graph = imports()
    assert "rasl.paper.benchmark" in graph and "rasl.model" in graph
    arrows = [
        (m, d)
        for m, deps in graph.items()
        if not m.startswith("rasl.paper")
        for d in deps
        if d.startswith("rasl.paper")
    ]
    assert arrows == []


def test_the_import_graph_has_no_cycle():
    graph, done, path = imports(), set(), []

    def visit(m):
        assert m not in path, " -> ".join([*path[path.index(m) :], m])
        if m not in done:
            path.append(m)
            # a package's __init__ is not a cycle
            for d in graph[m] - {p for p in graph if m.startswith(p + ".")}:
                visit(d)
            path.pop()
            done.add(m)

    for m in graph:
        visit(m)


def test_the_public_api_resolves_and_import_rasl_stays_light():
    code = (
        "import sys, rasl; light = 'torch' not in sys.modules; "
        "names = [n for n in rasl.__all__ if n != '__version__']; "
        "print(light, all(getattr(rasl, n).__name__ == n for n in names))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True"]


@pytest.mark.parametrize(
    "script",
    sorted((Path(__file__).parents[1] / "benchmarks").glob("*.py"))
    + sorted((Path(__file__).parents[1] / "experiments").glob("*.py")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_script_imports(script, monkeypatch):
    """A script that no test runs still imports what exists: a name moved or renamed in
    the package breaks it here, not when someone reruns a study."""
    monkeypatch.syspath_prepend(str(script.parent))  # as ``python SCRIPT`` would
    spec = importlib.util.spec_from_file_location(f"_script_{script.stem}", script)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
