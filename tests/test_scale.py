"""The paper profile's path at toy scale, on CPU: torchrun with two processes, and Swin-B and
HuBERT from local weight files through features, pretraining and the benchmark tables.

``pytest -m scale`` runs these; they need no GPU and no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rasl.cli import main
from rasl.config import ModelConfig
from rasl.data import YOUTUBE_DOMAINS, load_tvsum, load_youtube
from rasl.features import Features, write_cache
from rasl.paper.runs import benchmark_results
from rasl.train import load_config, read_loss_log

pytestmark = pytest.mark.scale

TORCHRUN = Path(sys.executable).with_name("torchrun")

# A tiny model without the auxiliary loss: its masks are drawn per process, so with it the
# two runs would differ by their draws; without it a step depends only on which clips it sees.
PRETRAIN = """
import sys
from pathlib import Path
from rasl.clips import ClipDataset
from rasl.config import ModelConfig, RunConfig, TrainConfig
from rasl.train import pretrain

corpus, out, steps, resume = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
model = ModelConfig(dim=64, clip_steps=20, k=3, channels=(4, 8, 16), psi_channels=8, proj_dim=4, auxiliary=False)
cfg = RunConfig(name="ddp", model=model, train=TrainConfig(steps=steps, batch_size=4, checkpoint_every=3), out_dir=out)
files = sorted(Path(corpus).glob("*.npz"))
pretrain(cfg, ClipDataset(files, model.modalities, model.clip_steps), resume=resume[0] if resume else None, progress=False)
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three videos of 80, 75 and 70 steps: 12 clips of 20 steps, the last of two videos tiled."""
    folder = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    for i, steps in enumerate((80, 75, 70)):
        # steps that share a pattern, as video features do
        base = rng.random((1, 64), np.float32)
        v, a = (base + 0.3 * rng.random((steps, 64), np.float32) for _ in range(2))
        write_cache(folder / f"v{i}.npz", Features(v, a, steps * 0.2, {}))
    return folder


def _run(tmp_path, corpus, name, processes, steps=6, resume=None):
    script = tmp_path / "pretrain.py"
    script.write_text(PRETRAIN)
    launcher = (
        [str(TORCHRUN), "--standalone", "--nproc-per-node", str(processes)]
        if processes
        else [sys.executable]
    )
    out = tmp_path / name
    cmd = [
        *launcher,
        str(script),
        str(corpus),
        str(out),
        str(steps),
        *([str(resume)] if resume else []),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_two_processes_follow_the_one_process_loss_curve(tmp_path, corpus):
    one = _run(tmp_path, corpus, "one", 0)
    two = _run(tmp_path, corpus, "two", 2)
    a, b = read_loss_log(one / "losses.jsonl"), read_loss_log(two / "losses.jsonl")
    assert [r["step"] for r in b] == [1, 2, 3, 4, 5, 6]  # rank 0 alone writes the log
    assert sorted(p.name for p in two.glob("*.pt")) == [
        "last.pt",
        "step_3.pt",
        "step_6.pt",
    ]
    for ra, rb in zip(a, b):
        assert set(ra) == set(rb)
        # step 1 sees the same clips with the same weights: equal up to float rounding. The
        # rounding of a sum over 4 clips against two of 2 then grows through RMSprop (measured:
        # L_total within 7.4e-6 of its value by step 6, single terms within 5.5e-4).
        assert rb["L_total"] == pytest.approx(
            ra["L_total"], rel=1e-6 if ra["step"] == 1 else 1e-4
        )
        for key in ra:
            tolerance = (
                {"rel": 2e-3}
                if key.startswith("L_") or key == "Gamma"
                else {"abs": 1e-3}
            )
            assert rb[key] == pytest.approx(ra[key], **tolerance), (ra["step"], key)
    assert a[0]["L_total"] - a[-1]["L_total"] > 0.5  # it trained


def test_a_two_process_run_resumes_exactly(tmp_path, corpus):
    straight = _run(tmp_path, corpus, "straight", 2)
    split = _run(tmp_path, corpus, "split", 2, steps=3)
    _run(tmp_path, corpus, "split", 2, resume=split / "step_3.pt")
    assert read_loss_log(split / "losses.jsonl") == read_loss_log(
        straight / "losses.jsonl"
    )


def _benchmark_root(root: Path, data_root: Path, video: Path) -> dict[str, str]:
    """A data root whose benchmark annotations are the shared ones and whose only benchmark
    video files are ``video``, named as the first TVSum video and the first YouTube test video."""
    tvsum_id = load_tvsum(data_root / "tvsum").videos[0].video_id
    youtube_id = load_youtube(data_root / "youtube_highlights").videos[0].video_id
    (root / "tvsum" / "video").mkdir(parents=True)
    (root / "tvsum" / "ydata-tvsum50.mat").symlink_to(
        data_root / "tvsum" / "ydata-tvsum50.mat"
    )
    (root / "tvsum" / "video" / f"{tvsum_id}.mp4").symlink_to(video)
    (root / "youtube_highlights" / "videos").mkdir(parents=True)
    for name in (*YOUTUBE_DOMAINS, "youtube_anno.json"):
        (root / "youtube_highlights" / name).symlink_to(
            data_root / "youtube_highlights" / name
        )
    (root / "youtube_highlights" / "videos" / f"{youtube_id}.mp4").symlink_to(video)
    return {"tvsum": tvsum_id, "youtube": youtube_id}


# benchmarks/gpu_check.py runs the paper path on a GPU, pretraining in bf16, through these
DEVICE = os.environ.get("RASL_SCALE_DEVICE", "cpu")
TRAIN_BF16 = ["--bf16"] if os.environ.get("RASL_SCALE_BF16") == "1" else []


def test_the_paper_profile_from_local_weights_to_the_benchmark_tables(
    tmp_path, tvsum, youtube_root, shared_video, data_root, capsys
):
    import timm
    import torchaudio

    torch.manual_seed(0)  # random weights, saved as a user's downloaded files would be
    swin, hubert = tmp_path / "swin_base.pth", tmp_path / "hubert_base.pth"
    torch.save(
        timm.create_model(
            "swin_base_patch4_window7_224", pretrained=False
        ).state_dict(),
        swin,
    )
    torch.save(torchaudio.models.hubert_base().state_dict(), hubert)
    videos = tmp_path / "root" / "activitynet"
    videos.mkdir(parents=True)
    for name in ("fire2.mp4", "example2.mp4"):  # 2.4 s and 2.0 s, both with sound
        (videos / name).symlink_to(shared_video(name))
    ids = _benchmark_root(tmp_path / "root", data_root, shared_video("fire2.mp4"))
    cache, out = tmp_path / "cache", tmp_path / "pretrain"
    local = [
        "--profile",
        "paper",
        "--device",
        DEVICE,
        "--weights",
        str(swin),
        "--audio-weights",
        str(hubert),
        "--quiet",
    ]

    assert main(["features", str(videos), "--out", str(cache), *local]) == 0
    files = sorted(cache.glob("*.npz"))
    assert [p.name.split(".")[:3] for p in files] == [
        ["example2", "swin", "hubert"],
        ["fire2", "swin", "hubert"],
    ]
    with np.load(files[1]) as z:
        meta = json.loads(str(z["meta"]))
        assert (
            z["visual"].shape == z["audio"].shape == (12, 1024)
            and np.isfinite(z["visual"]).all()
        )
    assert meta["visual"]["name"] == "swin" and meta["audio_weights"] is not None

    argv = [
        "pretrain",
        str(videos),
        "--cache",
        str(cache),
        "--out",
        str(out),
        "--steps",
        "2",
        "--batch-size",
        "2",
        "--workers",
        "2",
        *local,
        *TRAIN_BF16,
    ]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"{out / 'last.pt'}\n"
    # pretraining found the features rasl features cached
    assert len(list(cache.glob("*.npz"))) == 2
    cfg = load_config(out / "last.pt")
    assert (
        cfg.name == "paper"
        and cfg.model == ModelConfig()
        and cfg.model.dim == 1024
        and cfg.train.num_workers == 2
    )
    assert (cfg.features.visual, cfg.features.audio, cfg.features.weights) == (
        "swin",
        "hubert",
        str(swin),
    )
    log = read_loss_log(out / "losses.jsonl")
    assert [r["step"] for r in log] == [1, 2] and all(
        np.isfinite(r["L_total"]) for r in log
    )

    assert cfg.train.bf16 is bool(TRAIN_BF16) and cfg.train.device == DEVICE
    results = benchmark_results(
        out / "last.pt", tmp_path / "root", tmp_path / "scores", cache, DEVICE
    )
    for benchmark, video_id in ids.items():
        assert list(results[benchmark].per_video) == [video_id]
        assert 0 <= results[benchmark].per_video[video_id] <= 1
        curve = (
            (tmp_path / "scores" / benchmark / f"{video_id}.csv")
            .read_text()
            .splitlines()
        )
        # fire2.mp4: 12 steps of 0.2 s
        assert curve[0] == "time_s,score" and len(curve) == 1 + 12


def test_torchrun_shares_out_feature_extraction_and_lists_every_failure(
    tmp_path, small_video
):
    folder, cache = tmp_path / "videos", tmp_path / "cache"
    folder.mkdir()
    for i in range(3):
        (folder / f"v{i}.mp4").symlink_to(small_video)
    (folder / "bad.mp4").write_bytes(b"not a video")  # sorted first: rank 0's
    cmd = [
        str(TORCHRUN),
        "--standalone",
        "--nproc-per-node",
        "2",
        "-m",
        "rasl",
        "features",
        str(folder),
        "--out",
        str(cache),
        "--visual",
        "pixels",
        "--audio",
        "mel",
        "--quiet",
    ]

    def run():
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
            timeout=300,
        )
        assert done.returncode != 0
        (line,) = [
            line for line in done.stderr.splitlines() if line.startswith("rasl: ")
        ]  # listed once
        assert line.startswith(
            f"rasl: failed: {folder / 'bad.mp4'}: cannot be read as a video"
        )
        return {p.name.split(".")[0]: p.stat().st_mtime_ns for p in cache.iterdir()}

    first = run()
    assert sorted(first) == [
        "v0",
        "v1",
        "v2",
    ]  # one shared cache, every good video in it
    assert run() == first  # a rerun reuses them all
