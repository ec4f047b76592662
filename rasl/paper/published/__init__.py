"""The paper's Tables I-VI as data (arXiv 2403.09401 v3), one CSV per table.

Each file starts with a ``#`` line citing its source. ``load(name)`` returns the rows as
dicts, numbers as floats and empty cells (the paper's "-") as None, so that
``pandas.DataFrame(load("table1_youtube"))`` is the table.
"""

from __future__ import annotations

import csv
from importlib.resources import files

TABLES = (
    "table1_youtube",
    "table2_tvsum",
    "table3_ablation",
    "table4_fusion",
    "table5_targets",
    "table6_efficiency",
    "methods",
    "umt_supervised",
)


def _value(text: str):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def citation(name: str) -> str:
    """The table's ``#`` header line, without the ``#``."""
    return _text(name).splitlines()[0].lstrip("# ")


def _text(name: str) -> str:
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose one of {TABLES}")
    return files(__package__).joinpath(f"{name}.csv").read_text()


def load(name: str) -> list[dict]:
    """The rows of one table, e.g. ``load("table2_tvsum")[0]["Ours"] == 0.897``."""
    lines = [line for line in _text(name).splitlines() if not line.startswith("#")]
    return [{k: _value(v) for k, v in row.items()} for row in csv.DictReader(lines)]
