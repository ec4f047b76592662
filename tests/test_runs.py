"""The book's runs on videos: labels as spans, variants as configs, reuse of checkpoints."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from rasl.config import ModelConfig, RunConfig, TrainConfig, smoke
from rasl.data import BENCHMARKS
from rasl.features import Features
from rasl.files import InputError
from rasl.paper import runs
from rasl.paper.runs import (
    checkpoint,
    labelled_ap,
    pretrain_variant,
    read_labels,
    span_clips,
    variant_config,
)
from rasl.paper.variants import VARIANTS, sweep_variant


def test_real_labels_file(videos_dir):
    (item,) = read_labels(videos_dir.parent)
    assert item.video.name == "big_buck_bunny_0_30.webm" and item.video.is_file()
    assert item.spans == [(1.0, 11.0), (16.0, 20.0)]


def test_bad_labels_file_is_one_clear_error(tmp_path):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "labels.csv").write_text(
        "video,start_s,end_s\na.mp4,one,2\n"
    )
    with pytest.raises(InputError, match="labels.csv: expected columns"):
        read_labels(tmp_path)


def test_span_clips_mark_overlapping_two_second_clips():
    clips, labels = span_clips(7.0, [(1.0, 3.5)])
    assert clips.tolist() == [[0, 2], [2, 4], [4, 6], [6, 7]]
    assert labels.tolist() == [1, 1, -1, -1]
    # a span ending where a clip starts does not overlap it
    _, touching = span_clips(6.0, [(2.0, 4.0)])
    assert touching.tolist() == [-1, 1, -1]


def test_labelled_ap_by_hand():
    # 3 clips of 2 s (10 steps each); clip 1 is the highlight
    curve = np.concatenate([np.full(10, 0.5), np.full(10, 0.9), np.full(10, 0.1)])
    assert labelled_ap(curve, 6.0, [(2.0, 4.0)]) == pytest.approx(1.0)
    # ranked second of three: trapezoidal AP (P(1) + P(2)) / 2 = (0 + 1/2) / 2
    curve[:10] = 1.0
    assert labelled_ap(curve, 6.0, [(2.0, 4.0)]) == pytest.approx(0.25)


def test_every_variant_is_a_valid_config(tmp_path):
    base = smoke()
    for name in list(VARIANTS):
        cfg = variant_config(base, name, tmp_path)
        assert cfg.out_dir == str(tmp_path / "runs" / name)
    assert variant_config(base, "no_rasl", tmp_path).model.k == 0
    assert variant_config(base, "pixels_mel", tmp_path).features.visual == "pixels"
    assert (
        variant_config(
            base, sweep_variant(30, False, base.model.k), tmp_path
        ).model.k_point_contrastive
        is False
    )
    # the profile's own setting is the full model
    assert sweep_variant(10, True, base.model.k) == "full"


TINY_RUN = RunConfig(
    name="test",
    model=ModelConfig(
        dim=64, clip_steps=20, k=3, channels=(4, 8, 16), psi_channels=8, proj_dim=4
    ),
    train=TrainConfig(steps=2, batch_size=2, checkpoint_every=2),
)
VIDEO = np.random.default_rng(0).random((45, 64), dtype=np.float32)
FEATURES = {"a.mp4": Features(VIDEO, VIDEO.copy(), 9.0, {})}


def test_pretrain_variant_reuses_only_an_identical_run(tmp_path):
    base, feats = TINY_RUN, FEATURES
    ckpt = pretrain_variant(base, "full", feats, tmp_path)
    assert ckpt == checkpoint(tmp_path, "full")
    stamp = ckpt.stat().st_mtime_ns
    pretrain_variant(base, "full", feats, tmp_path)
    assert ckpt.stat().st_mtime_ns == stamp  # reused
    pretrain_variant(base.replace(train={"steps": 3}), "full", feats, tmp_path)
    # retrained: the config changed
    assert torch.load(ckpt, weights_only=False)["step"] == 3
    # a shorter run of the ablations chapter goes apart, and is found after runs/
    short = pretrain_variant(base, "visual_only", feats, tmp_path, runs="ablations")
    assert short == checkpoint(tmp_path, "visual_only", "ablations")
    assert runs.find_checkpoint(tmp_path, "visual_only") == short
    assert runs.find_checkpoint(tmp_path, "full") == ckpt
    assert runs.find_checkpoint(tmp_path, "no_sa") == checkpoint(tmp_path, "no_sa")


def test_benchmark_results_evaluates_with_the_frame_rates_of_the_video_files(
    monkeypatch, tmp_path
):
    """YouTube videos missing from youtube_anno.json get their frame rate from their file:
    the evaluation must be given the same video folder as the scoring."""
    evaluated = {}
    monkeypatch.setattr(
        runs,
        "load_benchmark",
        lambda benchmark, root, video_dir: SimpleNamespace(videos=[]),
    )
    monkeypatch.setattr(
        runs, "write_benchmark_curves", lambda ckpt, videos, out, cache, device: out
    )
    monkeypatch.setattr(
        runs,
        "evaluate_folder",
        lambda benchmark, root, scores, video_dir: evaluated.setdefault(
            benchmark, video_dir
        ),
    )
    runs.benchmark_results("ckpt.pt", tmp_path, tmp_path / "scores", tmp_path / "cache")
    assert evaluated == {
        b: tmp_path / folder
        for b, folder in {b.name: b.videos for b in BENCHMARKS.values()}.items()
    }


def test_labelled_baselines_beside_the_models_ap():
    # 3 clips of 2 s; clip 1 is the highlight. Every step equal: distinctiveness and the
    # constant both give a flat curve, ranked in clip order: AP of rank 2 = (0 + 1/2) / 2
    f = Features(np.ones((30, 4), np.float32), None, 6.0, {})
    item = runs.Labelled(video=runs.Path("a.mp4"), spans=[(2.0, 4.0)])
    (row,) = runs.labelled_baselines({"a.mp4": 0.9}, {"a.mp4": f}, [item], n_random=50)
    assert row["video"] == "a.mp4" and row["ours"] == 0.9
    assert row["constant"] == pytest.approx(0.25) and row[
        "distinctiveness (Fig. 1)"
    ] == pytest.approx(0.25)
    # one positive of three clips ranks first, second or third: AP 1, 1/4 or 1/6, a third each on average
    assert (
        row["random (50 seeds)"] == pytest.approx((1 + 1 / 4 + 1 / 6) / 3, abs=0.12)
        and row["random std"] > 0
    )


def test_load_checkpoints_keeps_what_the_profile_can_score(tmp_path):
    base = TINY_RUN
    pretrain_variant(base, "full", FEATURES, tmp_path)
    wanted = {name: checkpoint(tmp_path, name) for name in ("full", "visual_only")}
    models, left_out = runs.load_checkpoints(wanted, base)
    assert list(models) == ["full"] and left_out == [
        "visual_only: no checkpoint at runs/visual_only/last.pt (its chapter has not "
        "run): left out"
    ]
    other = base.replace(features={"visual": "pixels"})
    models, (line,) = runs.load_checkpoints({"full": wanted["full"]}, other)
    assert models == {} and line.startswith(
        "full: trained on swin/hubert features, this profile extracts pixels/hubert"
    )
