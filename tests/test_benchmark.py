"""The benchmarks' published features: the layout reader, the protocols, the command, the baselines."""

from __future__ import annotations

import csv
import json
import shutil
import warnings

import numpy as np
import pytest
import torch

from rasl.cli import main
from rasl.clips import ClipDataset, clip_set
from rasl.config import ModelConfig
from rasl.data import FeatureVideo, load_feature_benchmark
from rasl.files import InputError
from rasl.inference import score_curve
from rasl.model import RASLModel
from rasl.paper.baselines import feature_norm, mean_distance, rank_correlation
from rasl.paper.benchmark import (
    TIMELINES,
    BenchmarkRun,
    Timeline,
    evaluate_archive,
    evaluate_row_folder,
    evaluate_rows,
    pack_scores,
    protocol_runs,
    read_archive,
    read_row_scores,
    row_scores,
    run_benchmark,
    scored_videos,
    summary_rows,
    tvsum_folds,
    video_features,
    write_archive,
    write_feature_files,
    write_results,
    write_row_scores,
    youtube_splits,
)
from rasl.paper.book import ROOT as REPO

pytestmark = pytest.mark.benchmark


def test_layout_reader_on_the_real_files(umt):
    yt, tv = umt["youtube"], umt["tvsum"]
    assert len(yt.videos) == 420 and len(tv.videos) == 50

    def splits(vs):
        return {s: sum(v.split == s for v in vs) for s in ("train", "val", "unlisted")}

    assert splits(yt.videos) == {"train": 234, "val": 157, "unlisted": 29}
    assert splits(tv.videos) == {"train": 40, "val": 10, "unlisted": 0}
    assert len(yt.missing) == 28 and "1OLM0_Jzt5M" in yt.missing and not tv.missing
    assert (
        sum(v.n_clips for v in yt.videos) == 23283
        and sum(v.n_clips for v in tv.videos) == 6266
    )
    v = tv.videos[0]
    f = v.features()
    assert (
        f["visual"].shape == f["audio"].shape == (v.n_clips, 1024)
        and f["visual"].dtype == np.float32
    )
    assert v.segment_scores.shape == (20, v.n_clips)
    raw = v.stream("audio")
    assert raw.shape == (v.n_clips, 2048)
    # end points kept (III-F)
    np.testing.assert_allclose(f["audio"][:, [0, -1]], raw[:, [0, -1]], rtol=1e-6)
    both = v.features("rgb+flow")["visual"]
    np.testing.assert_array_equal(
        both, np.concatenate([v.stream("rgb"), v.stream("flow")], axis=1)
    )
    assert set(np.unique(np.concatenate([v.labels for v in yt.videos]))) == {-1, 0, 1}


def test_a_listed_video_without_its_file_is_reported_and_skipped(umt_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(
        umt_root / "umt" / "tvsum",
        root / "umt" / "tvsum",
        ignore=shutil.ignore_patterns("*.npz"),
    )
    ids = sorted(json.loads((root / "umt" / "tvsum" / "tvsum_anno.json").read_text()))
    for vid in ids[1:]:
        (root / "umt" / "tvsum" / "features" / f"{vid}.npz").symlink_to(
            umt_root / "umt" / "tvsum" / "features" / f"{vid}.npz"
        )
    shutil.copy(umt_root / "umt" / "splits.json", root / "umt" / "splits.json")
    with pytest.warns(
        UserWarning,
        match=f"1 videos listed in splits.json have no feature file.*{ids[0]}",
    ):
        loaded = load_feature_benchmark(root, "tvsum")
    assert loaded.missing == [ids[0]] and len(loaded.videos) == 49


def _video(vid, category, labels, benchmark="youtube", split="val"):
    return FeatureVideo(vid, benchmark, category, split, np.asarray(labels), path=None)


def test_row_scores_are_scored_like_the_labels_by_hand(tmp_path):
    # dog: labels 1, -1, 0, 1 scored 0.9, 0.1, 0.5, 0.8 rank rows 0, 3, 2, 1: hits at ranks 1 and 2,
    # trapezoidal AP = ((1 + 1) / 2 + (1 + 1) / 2) / 2 = 1. gymnastics: labels -1, 1 scored 0.7, 0.2:
    # the hit at rank 2 with P(1) = 0, P(2) = 1/2 gives (0 + 1/2) / 2 = 0.25
    videos = [_video("a", "dog", [1, -1, 0, 1]), _video("b", "gymnastics", [-1, 1])]
    for v, s in zip(videos, ([0.9, 0.1, 0.5, 0.8], [0.7, 0.2])):
        write_row_scores(np.array(s), tmp_path / f"{v.video_id}.csv")
    scores = {
        v.video_id: read_row_scores(tmp_path / f"{v.video_id}.csv") for v in videos
    }
    result = evaluate_rows(videos, scores)
    assert result.per_video == pytest.approx({"a": 1.0, "b": 0.25})
    assert result.average == pytest.approx(0.625)


def test_tvsum_rows_are_scored_by_hand():
    # one annotator rates rows 5, 1, 1, 4, 1, 3: above the median 2 are rows 0, 3, 5. Scores
    # falling with the row rank rows 0-4 as the top 5: hits 1, 0, 0, 1, 0, two of them, so
    # AP = ((1 + 1) / 2 + (1/3 + 2/4) / 2) / 2 = 17/24
    video = _video("t", "VT", [[5, 1, 1, 4, 1, 3]], benchmark="tvsum")
    result = evaluate_rows([video], {"t": np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])})
    assert result.per_video["t"] == pytest.approx(17 / 24)


def test_row_scores_average_a_rows_repeats(tmp_path):
    cfg = ModelConfig(
        dim=64, clip_steps=8, k=1, channels=(4, 8, 16), psi_channels=8, proj_dim=4
    )
    model = RASLModel(cfg).eval()
    rng = np.random.default_rng(0)
    path = tmp_path / "v.npz"
    np.savez(
        path,
        rgb=rng.random((6, 64), dtype=np.float32),
        flow=rng.random((6, 64), dtype=np.float32),
        audio=rng.random((6, 128), dtype=np.float32),
    )
    video = FeatureVideo("v", "youtube", "dog", "val", np.ones(6, dtype=int), path)
    scores = row_scores(model, video, Timeline("test", clip_steps=8, k=1, repeat=2))
    assert scores.shape == (6,)
    steps = score_curve(model, video_features(video, repeat=2))
    np.testing.assert_allclose(scores, steps.reshape(6, 2).mean(axis=1), rtol=1e-6)


def test_ablation_table_resolves_fig6_names_in_a_fresh_process(tmp_path):
    import subprocess
    import sys

    rows = [
        {
            "benchmark": "youtube",
            "protocol": "in-domain",
            "variant": v,
            "seed": stat,
            "domain": "Average",
            "score": x,
        }
        for v in ("full", "no_sa", "k3_no_contrast")
        for stat, x in (("mean", 0.5), ("std", 0.1))
    ]
    code = (
        "import json, sys; from rasl.paper.tables import ablation_table; "
        "print(json.dumps(ablation_table(json.loads(sys.argv[1]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    table = json.loads(out.stdout)
    assert list(table) == [
        "Ours",
        "Fig. 6: k = 3, w/o k-point contrast",
        "Table III: w/o SA",
    ]
    assert table["Ours"] == {
        "variant": "full",
        "k": 1,
        "k-point contrast": True,
        "mean": 0.5,
        "std": 0.1,
    }
    assert (
        table["Fig. 6: k = 3, w/o k-point contrast"]["k"],
        table["Table III: w/o SA"]["k"],
    ) == (3, None)


def test_read_row_scores_rejects_a_bad_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("row,score\n0,0.5\n2,0.1\n")
    with pytest.raises(InputError, match="rows must run 0, 1, 2"):
        read_row_scores(path)
    path.write_text("time_s,score\n0,0.5\n")
    with pytest.raises(
        InputError, match="expected a CSV with numeric columns row,score"
    ):
        read_row_scores(path)


def test_baselines_by_hand():
    x = np.array([[3.0, 4.0], [0.0, 1.0], [0.0, -1.0]])
    np.testing.assert_allclose(feature_norm(x), [5.0, 1.0, 1.0])
    # mean row (1, 4/3): distances sqrt(4 + 64/9), sqrt(1 + 1/9), sqrt(1 + 49/9)
    np.testing.assert_allclose(
        mean_distance(x), np.sqrt([4 + 64 / 9, 1 + 1 / 9, 1 + 49 / 9])
    )
    assert rank_correlation(np.arange(5.0), np.arange(5.0) ** 3) == pytest.approx(1.0)
    assert rank_correlation(np.arange(5.0), -np.arange(5.0)) == pytest.approx(-1.0)


def test_summary_rows_by_hand():
    rows = [
        {
            "benchmark": "tvsum",
            "protocol": "transfer",
            "variant": "full",
            "seed": s,
            "domain": "Average",
            "score": x,
        }
        for s, x in ((0, 0.5), (1, 0.7))
    ]
    mean, std = summary_rows(rows)
    assert (mean["seed"], mean["score"]) == ("mean", pytest.approx(0.6))
    assert (std["seed"], std["score"]) == (
        "std",
        pytest.approx(0.1 * 2**0.5),
    )  # ddof 1: sqrt(0.02 / 1)


def test_tvsum_folds_hold_out_one_video_per_category(umt):
    tv = umt["tvsum"].videos
    folds = tvsum_folds(tv)
    assert [len(f) for f in folds] == [10] * 5
    assert sorted(v.video_id for f in folds for v in f) == sorted(
        v.video_id for v in tv
    )
    assert all(len({v.category for v in f}) == 10 for f in folds)
    runs = protocol_runs("in-domain", tv, [], scored_videos(tv))
    assert all(
        len(train) == 40
        and not {v.video_id for v in train} & {v.video_id for v in test}
        for train, test in runs
    )


def test_protocols_pretrain_on_what_they_say(umt):
    yt, tv = umt["youtube"].videos, umt["tvsum"].videos
    scored = scored_videos(yt)
    assert len(scored) == 157 and all(v.split == "val" for v in scored)
    assert [len(vs) for vs in (scored_videos(yt, 2), scored_videos(tv, 1))] == [12, 10]
    ((train, test),) = protocol_runs("in-domain", yt, tv, scored)
    assert {v.split for v in train} == {"train"} and test == scored
    ((train, test),) = protocol_runs("transfer", yt, tv, scored)
    assert train == tv
    per_video = protocol_runs("per-video", yt, tv, scored[:3])
    assert per_video == [([v], [v]) for v in scored[:3]]


def _with_shuffled_labels(umt_root, root):
    """A data root whose YouTube Highlights labels are permuted within each video."""
    (root / "umt" / "youtube").mkdir(parents=True)
    (root / "umt" / "tvsum").symlink_to(umt_root / "umt" / "tvsum")
    (root / "umt" / "splits.json").symlink_to(umt_root / "umt" / "splits.json")
    (root / "umt" / "youtube" / "features").symlink_to(
        umt_root / "umt" / "youtube" / "features"
    )
    anno = json.loads((umt_root / "umt" / "youtube" / "youtube_anno.json").read_text())
    rng = np.random.default_rng(0)
    for entry in anno.values():
        entry["match"] = [int(x) for x in rng.permutation(entry["match"])]
    (root / "umt" / "youtube" / "youtube_anno.json").write_text(json.dumps(anno))
    return root


@pytest.mark.parametrize("protocol", ["transfer", "in-domain"])
def test_scores_do_not_depend_on_the_labels(umt_root, umt, tmp_path, protocol):
    run = BenchmarkRun("youtube", protocol, seeds=(0,), steps=2, limit=1)
    run_benchmark(umt_root, run, tmp_path / "real", progress=False)
    run_benchmark(
        _with_shuffled_labels(umt_root, tmp_path / "shuffled"),
        run,
        tmp_path / "fake",
        progress=False,
    )
    files = sorted((tmp_path / "real" / "scores" / "0").glob("*.csv"))
    assert len(files) == 6
    for f in files:
        assert (
            f.read_bytes() == (tmp_path / "fake" / "scores" / "0" / f.name).read_bytes()
        )


def test_cli_benchmark_end_to_end_and_evaluate_reads_its_scores(
    umt_root, umt, tmp_path, capsys
):
    out = tmp_path / "run"
    argv = [
        "benchmark",
        "--data",
        str(umt_root),
        "--benchmark",
        "tvsum",
        "--protocol",
        "per-video",
        "--seeds",
        "2",
        "--videos",
        "1",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(argv) == 0
    with open(out / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "benchmark",
        "protocol",
        "variant",
        "seed",
        "domain",
        "score",
    ]
    assert {r["seed"] for r in rows} == {"0", "1", "mean", "std"}
    assert len(rows) == 4 * 11  # 10 categories + Average, per seed and per statistic
    tv = {v.video_id: v for v in umt["tvsum"].videos}
    for seed in ("0", "1"):
        files = sorted((out / "scores" / seed).glob("*.csv"))
        assert len(files) == 10
        assert all(len(read_row_scores(f)) == tv[f.stem].n_clips for f in files)
    mean = {r["domain"]: float(r["score"]) for r in rows if r["seed"] == "mean"}
    per_seed = [
        {r["domain"]: float(r["score"]) for r in rows if r["seed"] == s}
        for s in ("0", "1")
    ]
    assert mean["Average"] == pytest.approx(
        (per_seed[0]["Average"] + per_seed[1]["Average"]) / 2
    )
    # rasl evaluate reads the same folder: the same per-category values
    assert (
        main(
            [
                "evaluate",
                "--benchmark",
                "tvsum",
                "--data",
                str(umt_root),
                "--scores",
                str(out / "scores" / "0"),
                "--out",
                str(tmp_path / "table"),
            ]
        )
        == 0
    )
    with open(tmp_path / "table.csv", newline="") as f:
        table = {r["topic"]: float(r["mAP"]) for r in csv.DictReader(f) if r["mAP"]}
    assert table["Average"] == pytest.approx(per_seed[0]["Average"])
    # a second run with the same seed writes the same scores (per-seed determinism on CPU)
    assert main([*argv[:-3], "--out", str(tmp_path / "again"), "--quiet"]) == 0
    for f in (out / "scores" / "1").glob("*.csv"):
        assert (
            f.read_bytes()
            == (tmp_path / "again" / "scores" / "1" / f.name).read_bytes()
        )


def test_evaluate_row_folder_lists_unscored_videos(umt_root, umt, tmp_path):
    v = scored_videos(umt["tvsum"].videos)[0]
    write_row_scores(np.arange(v.n_clips, dtype=float), tmp_path / f"{v.video_id}.csv")
    result = evaluate_row_folder(umt_root, "tvsum", tmp_path)
    assert list(result.per_video) == [v.video_id] and len(result.unscored) == 49
    write_row_scores(np.arange(3.0), tmp_path / f"{v.video_id}.csv")
    with pytest.raises(InputError, match=f"3 rows for {v.n_clips} feature rows"):
        evaluate_row_folder(umt_root, "tvsum", tmp_path)


@pytest.mark.parametrize("timeline", ["native15", "repeat150"])
def test_published_features_stream_as_the_in_memory_clips(umt, tmp_path, timeline):
    """The benchmark features go through pretraining's streamed path: files in the cache's
    layout, cut on the fly into exactly the clips the in-memory runs train on."""
    t = TIMELINES[timeline]
    videos = umt["tvsum"].videos[:3]
    streamed = ClipDataset(
        write_feature_files(videos, tmp_path, "rgb", t.repeat),
        ("visual", "audio"),
        t.clip_steps,
    )
    in_memory = clip_set(
        {v.video_id: video_features(v, "rgb", t.repeat) for v in videos},
        ("visual", "audio"),
        t.clip_steps,
    )
    assert len(streamed) == len(in_memory) > 3
    for i in range(len(streamed)):
        for m in ("visual", "audio"):
            assert torch.equal(streamed[i][m], in_memory.fvs[m][i])


@pytest.fixture(scope="module")
def tiny_run(umt_root, tmp_path_factory):
    """A run folder of 2 pretraining steps, one seed, the first video of each domain, and
    the rows ``run_benchmark`` returned for it."""
    out = tmp_path_factory.mktemp("tiny")
    run = BenchmarkRun("youtube", "transfer", seeds=(0,), steps=2, limit=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = run_benchmark(umt_root, run, out, progress=False)
    return out, rows


def test_a_packed_run_evaluates_to_its_results_csv(
    umt_root, tiny_run, tmp_path, capsys
):
    out, rows = tiny_run
    write_results(rows, out / "results.csv")
    archive = pack_scores(out, tmp_path / "run.npz")
    _, seeds = read_archive(archive)
    assert list(seeds) == ["0"] and len(seeds["0"]) == 6
    for vid, scores in seeds["0"].items():
        assert scores.dtype == np.float32
        np.testing.assert_array_equal(
            scores, read_row_scores(out / "scores" / "0" / f"{vid}.csv")
        )
    assert evaluate_archive(umt_root, archive) == rows
    argv = ["evaluate", "--benchmark", "youtube", "--data", str(umt_root)]
    assert (
        main([*argv, "--scores", str(archive), "--out", str(tmp_path / "r.csv")]) == 0
    )
    assert (tmp_path / "r.csv").read_bytes() == (out / "results.csv").read_bytes()
    capsys.readouterr()
    assert main([*argv, "--scores", str(archive)]) == 0
    assert capsys.readouterr().out == (out / "results.csv").read_text()
    # the same scores pack into the same bytes
    assert pack_scores(out, tmp_path / "again.npz").read_bytes() == archive.read_bytes()


def test_an_archive_that_does_not_match_its_benchmark_is_refused(
    umt_root, tiny_run, tmp_path
):
    out, _ = tiny_run
    archive = pack_scores(out, tmp_path / "run.npz")
    with pytest.raises(InputError, match="holds youtube scores, not tvsum"):
        evaluate_archive(umt_root, archive, "tvsum")
    meta, seeds = read_archive(archive)
    vid = next(iter(seeds["0"]))
    short = {f"0/{v}": x[:-1] if v == vid else x for v, x in seeds["0"].items()}
    write_archive(short, tmp_path / "short.npz", meta)
    with pytest.raises(InputError, match=f"seed 0: .* of {vid} for its"):
        evaluate_archive(umt_root, tmp_path / "short.npz")


def test_pack_scores_refuses_what_it_would_change(tmp_path):
    with pytest.raises(InputError, match="no score files to pack"):
        pack_scores(tmp_path, tmp_path / "a.npz")
    write_row_scores(np.array([0.1, 0.5]), tmp_path / "scores" / "0" / "v.csv")
    with pytest.raises(InputError, match="v.csv: scores that are not float32 values"):
        pack_scores(tmp_path, tmp_path / "a.npz")
    assert not (tmp_path / "a.npz").exists()
    (tmp_path / "bad.npz").write_text("not a zip")
    with pytest.raises(InputError, match="bad.npz: not a score archive"):
        read_archive(tmp_path / "bad.npz")


ARCHIVES = sorted(
    p
    for p in (REPO / "results" / "benchmarks" / "scores").glob("*.npz")
    if p.name != "baselines.npz"
)


@pytest.mark.parametrize(
    "archive", ARCHIVES or [None], ids=lambda p: getattr(p, "stem", "none")
)
def test_each_committed_archive_evaluates_to_its_committed_csv(
    umt_root, archive, tmp_path
):
    if archive is None:
        pytest.skip(
            "no score archive in results/benchmarks/scores yet: "
            "experiments/run_benchmarks.py packs each cell it runs"
        )
    rows = evaluate_archive(umt_root, archive)
    committed = archive.parents[1] / f"{archive.stem}.csv"
    assert (
        write_results(rows, tmp_path / "rows.csv").read_bytes()
        == committed.read_bytes()
    )


def test_youtube_splits_are_umts_lists_with_a_feature_file(umt_root):
    splits = youtube_splits(umt_root)
    # UMT's lists: 234 train and 157 val videos with a feature file (notes: "The data")
    assert {s: len(v) for s, v in splits.items()} == {"train": 234, "val": 157}
    assert not {v.video_id for v in splits["train"]} & {
        v.video_id for v in splits["val"]
    }
