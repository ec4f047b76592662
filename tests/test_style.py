"""One formatter and one line length (88, pyproject.toml) for the package, the notebooks,
the tests and the scripts: ruff's formatter and linter, as CI runs them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which(
    "ruff"
)


@pytest.mark.skipif(
    RUFF is None, reason="ruff is not installed: pip install -e '.[test]'"
)
@pytest.mark.parametrize("command", [["format", "--check"], ["check"]])
def test_the_sources_are_formatted_and_lint_free(command):
    out = subprocess.run(
        [RUFF, *command, "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
