#!/usr/bin/env bash
# Create .venv and install rasl with everything the book and the tests need.
# Versions are pinned in pyproject.toml (torch 2.9.1 + torchaudio 2.9.1: the pairing that works here).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# setuptools tells every editable install that a folder named like the package could shadow
# it: an information-only notice, filtered here by its text so real warnings still show
PYTHONWARNINGS="ignore:Editable installation:UserWarning" .venv/bin/python -m pip install -q -e ".[book,test]"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
echo "rasl installed in .venv"
