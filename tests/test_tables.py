"""The measured tables from the committed files alone: Tables I and II, the summary, and
the label-free baselines file they read."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from rasl.files import InputError, write_rows
from rasl.paper.benchmark import read_archive, read_results, write_archive
from rasl.paper.book import ROOT
from rasl.paper.tables import (
    BASELINE_COLUMNS,
    ablation_comparison,
    benchmark_table,
    example_curves,
    headline,
    one_header,
    read_baselines,
    with_spread,
    write_baselines,
)

COMMITTED = ROOT / "results" / "benchmarks"
TVSUM_TOPICS = ["VT", "VU", "GA", "MS", "PK", "PR", "FM", "BK", "BT", "DS", "Average"]


def _rows(benchmark, protocol, variant, values):
    """Result rows: {seed: {domain: score}}."""
    return [
        {
            "benchmark": benchmark,
            "protocol": protocol,
            "variant": variant,
            "seed": seed,
            "domain": domain,
            "score": score,
        }
        for seed, by_domain in values.items()
        for domain, score in by_domain.items()
    ]


@pytest.fixture
def baselines(tmp_path):
    """A baselines file of a few rows, written and read back as the committed one is."""
    rows = [
        ("tvsum", "videos", "VT", 5, None),
        ("tvsum", "videos", "Average", 50, None),
        ("tvsum", "random", "Average", 0.5, 0.02),
        ("tvsum", "norm (rgb)", "VT", 0.4, None),
        ("tvsum", "norm (rgb)", "Average", 0.55, None),
        ("youtube", "videos", "Average", 157, None),
        ("youtube", "random", "Average", 0.51, None),
        ("youtube", "norm (rgb)", "Average", 0.61, None),
    ]
    path = tmp_path / "baselines.csv"
    write_rows([dict(zip(BASELINE_COLUMNS, r)) for r in rows], path, BASELINE_COLUMNS)
    return read_baselines(path)


def test_read_baselines_types_its_columns(baselines, tmp_path):
    assert baselines[0] == {
        "benchmark": "tvsum",
        "method": "videos",
        "domain": "VT",
        "score": 5,
        "std": None,
    }
    assert isinstance(baselines[0]["score"], int) and baselines[2]["std"] == 0.02
    (tmp_path / "bad.csv").write_text(
        "benchmark,method,domain,score,std\nx,y,z,high,\n"
    )
    with pytest.raises(InputError, match="bad.csv: expected a CSV with columns"):
        read_baselines(tmp_path / "bad.csv")


def test_benchmark_table_puts_every_column_beside_the_measured_one(baselines):
    rows = _rows("tvsum", "per-video", "full", {"mean": {"VT": 0.3}})
    rows += _rows(
        "tvsum",
        "transfer",
        "full",
        {"mean": {"VT": 0.6, "Average": 0.6}, "std": {"VT": 0.01, "Average": 0.01}},
    )
    table = benchmark_table("tvsum", rows, baselines)
    assert list(table) == [
        "videos",
        "transfer",  # the protocols in PROTOCOLS' order, whatever the rows' order
        "transfer std",
        "per-video",
        "random",
        "random std",
        "norm (rgb)",
        "paper: Ours",
        "UMT (supervised)",
    ]
    assert list(table["transfer"]) == TVSUM_TOPICS
    assert (
        table["transfer"]["VT"] == 0.6
        and table["transfer"]["VU"] is None
        and table["transfer std"]["Average"] == 0.01
    )
    assert table["videos"] == {**dict.fromkeys(TVSUM_TOPICS), "VT": 5, "Average": 50}
    assert (table["random"]["Average"], table["random std"]["Average"]) == (0.5, 0.02)
    assert table["norm (rgb)"]["VT"] == 0.4 and table["norm (rgb)"]["VU"] is None
    assert table["paper: Ours"]["Average"] == 0.783
    assert table["UMT (supervised)"]["VT"] == pytest.approx(0.8754)


def test_with_spread_merges_each_std_column_into_its_mean():
    columns = {
        "videos": {"VT": 5, "Average": 50},
        "transfer": {"VT": 0.51234, "Average": None},
        "transfer std": {"VT": 0.0123, "Average": None},
        "norm (rgb)": {"VT": 0.4, "Average": 0.55},
    }
    assert with_spread(columns) == {
        "videos": {"VT": "5", "Average": "50"},
        "transfer": {"VT": "0.512 ±\u00a00.012", "Average": "–"},
        "norm (rgb)": {"VT": "0.400", "Average": "0.550"},
    }


def test_ablation_comparison_sets_each_design_beside_the_papers_row():
    cell = {"mean": {"Average": 0.6}, "std": {"Average": 0.01}}
    rows = _rows("youtube", "in-domain", "full", cell)
    rows += _rows("youtube", "in-domain", "no_sa", {"mean": {"Average": 0.5}})
    rows += _rows("youtube", "in-domain", "repaired_no_sa", cell)
    rows += _rows("tvsum", "in-domain", "repaired", cell)  # not the ablations' cells
    assert ablation_comparison(rows, ("full", "no_sa", "fusion_mlp")) == [
        {
            "method": "Ours",
            "paper": "0.651",
            "printed": "0.600 ± 0.010",
            "repaired": "–",
        },
        {
            "method": "w/o SA",
            "paper": "0.638",
            "printed": "0.500",
            "repaired": "0.600 ± 0.010",
        },
        {"method": "submodule MLP", "paper": "0.589", "printed": "–", "repaired": "–"},
    ]
    assert [list(r) for r in ablation_comparison(rows[:2], ("full",))] == [
        ["method", "paper", "printed"]  # a design without any committed cell: no column
    ]


def test_benchmark_table_shows_the_variants_it_is_given(baselines):
    rows = _rows("tvsum", "transfer", "full", {"mean": {"Average": 0.6}})
    rows += _rows("tvsum", "transfer", "other", {"mean": {"Average": 0.7}})
    assert benchmark_table("tvsum", rows, baselines)["transfer"]["Average"] == 0.6
    both = benchmark_table("tvsum", rows, baselines, ("other", "full"))
    measured = [name for name in both if name.startswith("transfer")]
    assert measured == ["transfer (other)", "transfer (printed)"]
    assert both["transfer (other)"]["Average"] == 0.7


def test_headline_holds_each_benchmarks_averages_and_the_seeds_behind_them(
    baselines,
):
    rows = _rows(
        "youtube",
        "transfer",
        "full",
        {s: {"Average": x} for s, x in (("0", 0.5), ("1", 0.7), ("mean", 0.6))},
    )
    rows += _rows("youtube", "transfer", "full", {"std": {"Average": 0.1}})
    table, points = headline(rows, baselines)
    youtube = {r["method"]: r for r in table if r["benchmark"] == "YouTube Highlights"}
    assert list(youtube) == [
        "paper",
        "transfer",
        "random",
        "norm (rgb)",
        "UMT (supervised)",
    ]
    assert (youtube["transfer"]["mAP"], youtube["transfer"]["std"]) == (0.6, 0.1)
    assert youtube["paper"]["mAP"] == 0.651 and youtube["paper"]["std"] is None
    assert youtube["random"]["videos"] == 157
    tvsum = {r["method"]: r for r in table if r["benchmark"] == "TVSum"}
    assert "transfer" not in tvsum
    assert tvsum["random"]["std"] is None  # a spread over seeds is the protocols' alone
    transfer = [p["score"] for p in points if p["method"] == "transfer"]
    assert transfer == [0.5, 0.7]  # the seeds, not their summary rows
    norm = [p["score"] for p in points if p["method"] == "norm (rgb)"]
    assert norm == [0.61, 0.55]  # one number per benchmark


def test_the_committed_files_make_the_summary_without_a_data_root():
    rows = read_results(sorted(COMMITTED.glob("*_full.csv")))
    table, _ = headline(rows, read_baselines(COMMITTED / "baselines.csv"))
    for benchmark, videos in (("YouTube Highlights", 157), ("TVSum", 50)):
        methods = {r["method"]: r for r in table if r["benchmark"] == benchmark}
        assert list(methods) == [
            "paper",
            "transfer",
            "in-domain",
            "per-video",
            "random",
            "norm (rgb)",
            "norm (flow)",
            "UMT (supervised)",
        ]
        assert all(r["videos"] == videos for r in methods.values())
        assert all(0.3 < r["mAP"] < 0.9 for r in methods.values())
        assert all(methods[p]["std"] >= 0 for p in ("transfer", "in-domain"))


def test_the_committed_baselines_are_what_the_command_makes(umt_root, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 28 YouTube videos without features
        csv_path, npz_path = write_baselines(umt_root, tmp_path)
    made, committed = (
        read_baselines(p) for p in (csv_path, COMMITTED / "baselines.csv")
    )
    assert [r["method"] for r in made] == [r["method"] for r in committed]
    for a, b in zip(made, committed):
        assert a == {**b, "score": pytest.approx(b["score"], rel=1e-9)}
    counts = {r["benchmark"]: r["score"] for r in made if r["method"] == "videos"}
    assert counts == {"youtube": 157, "tvsum": 50}  # the Average rows come last
    meta, curves = read_archive(npz_path)
    _, kept = read_archive(COMMITTED / "scores" / "baselines.npz")
    assert list(curves) == ["norm (rgb)"] and len(curves["norm (rgb)"]) == 207
    assert sorted(meta["videos"]) == sorted(curves["norm (rgb)"])
    assert {b for b, _ in meta["videos"].values()} == {"youtube", "tvsum"}
    for vid, x in curves["norm (rgb)"].items():
        np.testing.assert_allclose(kept["norm (rgb)"][vid], x, rtol=1e-6)


def test_example_curves_take_the_first_video_of_each_category(tmp_path):
    videos = {"b": ["youtube", "dog"], "a": ["youtube", "dog"], "c": ["tvsum", "VT"]}
    videos["z"] = ["youtube", "surfing"]
    norm = {f"norm (rgb)/{v}": np.full(3, ord(v), np.float32) for v in videos}
    write_archive(norm, tmp_path / "baselines.npz", {"videos": videos})
    assert {v: e["designs"] for v, e in example_curves(tmp_path).items()} == {
        "a": {},
        "z": {},
    }  # no model archive yet: the videos, no designs
    run = {f"{s}/{v}": np.arange(3, dtype=np.float32) + s for s in (0, 1) for v in "az"}
    write_archive(run, tmp_path / "youtube_transfer_full.npz", {})
    write_archive(run, tmp_path / "youtube_per-video_other.npz", {})
    examples = example_curves(tmp_path, variants=("full", "other", "absent"), seed=1)
    assert list(examples) == ["a", "z"] and examples["z"]["category"] == "surfing"
    designs = examples["a"]["designs"]
    assert {d: list(c) for d, c in designs.items()} == {
        "full": ["transfer", "norm (rgb)"],
        "other": ["per-video", "norm (rgb)"],
    }
    np.testing.assert_array_equal(designs["full"]["transfer"], [1, 2, 3])
    np.testing.assert_array_equal(designs["other"]["norm (rgb)"], [ord("a")] * 3)
    assert example_curves(tmp_path / "absent") == {}


@pytest.mark.parametrize("index", [["method"], ["table", "method"]])
def test_one_header_draws_one_header_row(index):
    frame = pd.DataFrame(
        {"table": ["III", "IV"], "method": ["a", "b"], "mAP": [0.5, 0.6]}
    )
    table = frame.set_index(index)[["mAP"]]

    def header(frame):
        return frame.to_html().split("</thead>")[0]

    assert header(table).count("<tr") == 2  # pandas draws a row of index names
    shown = header(one_header(table))
    assert shown.count("<tr") == 1
    assert all(f"<th>{name}</th>" in shown for name in [*index, "mAP"])
    assert one_header(table)["mAP"].tolist() == [0.5, 0.6]
