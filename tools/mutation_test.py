"""Mutation testing of rasl's core with mutmut: which small edits to the code no test notices.

Slow (every mutant reruns the tests that cover it), so not part of the test suite or CI.
Install the tool once (the ``mutation`` extra) and run from the repository root::

    .venv/bin/pip install -e '.[mutation]'      # or: .venv/bin/pip install mutmut
    .venv/bin/python tools/mutation_test.py                         # the six core modules
    .venv/bin/python tools/mutation_test.py rasl/metrics.py rasl/clips.py --jobs 1

Each module is mutated against its own test files (``TESTS`` below; ``--tests`` overrides
them for every module given). The run happens in a copy of ``rasl/``, ``tests/`` and
``pyproject.toml`` under ``--workdir`` (default: a temporary folder, removed unless
``--keep``), so the working tree is never touched. The report gives, per module, the
mutants killed, survived and not covered by its tests ("no tests"), the mutation score
killed / (killed + survived + no tests), then the diff of every survivor and uncovered
mutant (``mutmut show``): each is to be killed by a test or judged equivalent. Mutants
that time out or crash the test run count as killed. On one 2-core machine metrics.py and
clips.py take about a minute each with ``--jobs 1``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = {
    "rasl/losses.py": [
        "tests/test_losses.py",
        "tests/test_model.py",
        "tests/test_fidelity.py",
    ],
    "rasl/model.py": ["tests/test_model.py", "tests/test_fidelity.py"],
    "rasl/metrics.py": ["tests/test_metrics.py"],
    "rasl/clips.py": ["tests/test_clips.py", "tests/test_inference.py"],
    "rasl/inference.py": [
        "tests/test_inference.py",
        "tests/test_train.py",
        "tests/test_fidelity.py",
    ],
    "rasl/highlights.py": ["tests/test_highlights.py"],
}
KILLED = {
    "killed",
    "timeout",
    "segfault",
    "suspicious",
}  # anything but a clean pass of the tests


def mutmut(workdir: Path, *args: str) -> str:
    exe = Path(sys.executable).with_name("mutmut")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [str(exe), *args], cwd=workdir, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(
            f"mutmut {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def run_module(module: str, tests: list[str], workdir: Path, jobs: int) -> dict:
    """Mutate one module in a fresh copy, run its tests against every mutant; the outcome."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    for name in ("rasl", "tests"):
        shutil.copytree(
            ROOT / name, workdir / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", workdir / "pyproject.toml")
    (workdir / "setup.cfg").write_text(
        "[mutmut]\nsource_paths = rasl\nonly_mutate = %s\nalso_copy =\n    tests\n    pyproject.toml\n"
        "pytest_add_cli_args_test_selection =\n%s\npytest_add_cli_args =\n    -p\n    no:cacheprovider\n"
        % (module, "".join(f"    {t}\n" for t in tests))
    )
    mutmut(workdir, "run", "--max-children", str(jobs))
    listed = mutmut(workdir, "results", "--all", "true")
    status = {}
    for line in listed.splitlines():
        name, _, state = line.strip().rpartition(": ")
        if name:
            status[name] = state
    survivors = [n for n, s in status.items() if s in ("survived", "no tests")]
    killed = sum(s in KILLED for s in status.values())
    return {
        "module": module,
        "tests": tests,
        "killed": killed,
        "survived": sum(status[n] == "survived" for n in survivors),
        "no_tests": sum(status[n] == "no tests" for n in survivors),
        "other": {
            n: s for n, s in status.items() if s not in KILLED and n not in survivors
        },
        "score": killed / max(killed + len(survivors), 1),
        "survivors": {n: mutmut(workdir, "show", n) for n in survivors},
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "modules",
        nargs="*",
        default=list(TESTS),
        help="modules to mutate (default: the six core ones)",
    )
    p.add_argument(
        "--tests",
        nargs="+",
        help="test files to run (default: each module's own, see TESTS)",
    )
    p.add_argument("--jobs", type=int, default=1, help="mutants tested at once")
    p.add_argument(
        "--workdir",
        type=Path,
        help="where the copies go, one subfolder per module, replaced "
        "and kept (default: a temporary folder, removed at the end)",
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary folder (mutmut browse works there)",
    )
    p.add_argument(
        "--json", type=Path, help="also write the outcome as JSON to this file"
    )
    a = p.parse_args()
    base = a.workdir or Path(tempfile.mkdtemp(prefix="rasl-mutmut-"))
    outcomes = []
    try:
        for module in a.modules:
            tests = a.tests or TESTS[module]
            out = run_module(module, tests, base / Path(module).stem, a.jobs)
            outcomes.append(out)
            print(
                f"{module}: {out['killed']} killed, {out['survived']} survived, {out['no_tests']} no tests, "
                f"score {out['score']:.3f}"
                f"  (tests: {' '.join(tests)})"
                + (f"; not run: {out['other']}" if out["other"] else "")
            )
            for name, diff in out["survivors"].items():
                print(diff)
    finally:
        if a.workdir is None and not a.keep:
            shutil.rmtree(base, ignore_errors=True)
    if a.json:
        a.json.write_text(json.dumps(outcomes, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
