"""The Reproducibility page's record of what made each committed result file."""

from __future__ import annotations

import json

from rasl.paper import provenance

README = """# Measured results

| path | made by | what |
|---|---|---|
| `fidelity/study_*.csv` | `python experiments/fidelity_study.py --out ... --seeds 0 1 2` | rows |
| `fidelity/probe.txt` | `python experiments/probe.py --steps 4` | a probe |
| `fidelity/probe_z.txt` | the same with `--zscore` | the same, standardised |
"""


def _checkout(root):
    """A checkout with one benchmark cell, one study file, two probes and a script."""
    bench = root / "results" / "benchmarks"
    (bench / "scores").mkdir(parents=True)
    (bench / "youtube_transfer_full.csv").write_text("benchmark\n")
    (bench / "scores" / "youtube_transfer_full.npz").write_bytes(b"")
    manifest = {
        "youtube_transfer_full": {
            "command": "rasl benchmark --benchmark youtube --seeds 5",
            "commit": "abc1234-dirty",
            "seeds": [0, 1, 2, 3, 4],
            "steps": 500,
            "wall_s": 1234.5,
        }
    }
    (bench / "manifest.json").write_text(json.dumps(manifest))
    fidelity = root / "results" / "fidelity"
    fidelity.mkdir()
    (root / "results" / "README.md").write_text(README)
    (fidelity / "study_1.csv").write_text(
        "variant,seed,steps,train_s\nprinted,1,500,10.5\nprinted,2,500,20\n"
        "zscore,2,500,30\n"
    )
    (fidelity / "probe.txt").write_text("probe\n")
    (fidelity / "probe_z.txt").write_text("probe\n")
    (fidelity / "design.csv").write_text("design,seed,steps,wall_s\na,0,50,7\n")
    (root / "experiments").mkdir()
    (root / "experiments" / "design.py").write_text(
        '"""\n    python experiments/design.py --out results/fidelity/design.csv\n"""\n'
    )


def test_each_result_file_names_its_command_commit_seeds_steps_and_wall_time(
    tmp_path,
):
    _checkout(tmp_path)
    records = {r["file"][0]: r for r in provenance.result_records(tmp_path)}
    cell = records["benchmarks/youtube_transfer_full.csv"]
    assert cell == {
        "file": [
            "benchmarks/youtube_transfer_full.csv",
            "benchmarks/scores/youtube_transfer_full.npz",
        ],
        "command": "`rasl benchmark --benchmark youtube --seeds 5`",
        "commit": "`abc1234-dirty`",
        "seeds": "0-4",
        "steps": "500",
        "wall": "1,234 s",
    }
    study = records["fidelity/study_1.csv"]
    assert study["command"].startswith("`python experiments/fidelity_study.py")
    assert study["command"].endswith("(variants: printed, zscore)")
    assert (study["seeds"], study["steps"]) == ("1, 2", "500")
    assert study["wall"] == "60 s (pretraining only)"
    assert study["commit"] == "not committed"  # no git history here
    assert records["fidelity/probe_z.txt"]["command"] == (
        "`python experiments/probe.py --steps 4`, the same with `--zscore`"
    )
    assert records["fidelity/probe.txt"]["wall"] == "not recorded"
    design = records["fidelity/design.csv"]  # not in the README: the script's docstring
    assert design["command"] == (
        "`python experiments/design.py --out results/fidelity/design.csv`"
    )
    assert (design["seeds"], design["wall"]) == ("0", "7 s")


def test_the_section_is_a_table_of_every_file(tmp_path):
    _checkout(tmp_path)
    section = provenance.results_section(tmp_path)
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) == 5
    assert "`benchmarks/scores/youtube_transfer_full.npz`" in rows[0]


def test_commits_apart_names_the_cells_at_other_code(tmp_path):
    manifest = {
        "full": {"commit": "aaa1111"},
        "no_sa": {"commit": "bbb2222"},
        "no_rasl": {"commit": "bbb2222"},
        "k3": {"commit": "ccc3333"},
        "repaired": {"commit": "aaa1111"},
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    said = provenance.commits_apart(tmp_path, list(manifest), "full")
    assert said.startswith(
        "Not every cell here ran at the same code: `full` ran at `aaa1111`"
    )
    assert "of the other cells 2 at `bbb2222`, 1 at `ccc3333` (the" in said
    assert provenance.commits_apart(tmp_path, ["full", "repaired"], "full") == ""
    assert provenance.commits_apart(tmp_path, ["no_sa"], "absent") == ""
