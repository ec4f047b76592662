"""Pretraining (Algorithm 1): repeatable, checkpointed, resumable, logged."""

import numpy as np
import pytest
import torch

from rasl import train
from rasl.cli import main
from rasl.clips import ClipDataset, ClipSet, clip_set
from rasl.config import DESIGNS, ModelConfig, RunConfig, TrainConfig
from rasl.features import Features, write_cache
from rasl.files import InputError
from rasl.inference import score_curve
from rasl.train import adapt, build, load_model, pretrain, read_loss_log

MODEL = ModelConfig(
    dim=64, clip_steps=20, k=3, channels=(4, 8, 16), psi_channels=8, proj_dim=4
)


def run_cfg(tmp_path, steps=6, model=None, **train):
    return RunConfig(
        name="test",
        model=MODEL,
        train=TrainConfig(steps=steps, batch_size=4, checkpoint_every=3, **train),
        out_dir=str(tmp_path),
    ).replace(model=model or {})


@pytest.fixture(scope="module")
def clips():
    g = torch.Generator().manual_seed(1)
    return ClipSet(
        {m: torch.rand(10, 20, 64, generator=g) for m in ("visual", "audio")},
        ["v"] * 10,
    )


def test_loss_log_has_every_term_per_step(tmp_path, clips):
    pretrain(run_cfg(tmp_path), clips, progress=False)
    log = read_loss_log(tmp_path / "losses.jsonl")
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6]
    expected = {"step", "L_total", "Gamma", "L_s"} | {
        f"L_{t}/{m}" for t in ("e", "r", "au") for m in ("visual", "audio")
    }
    stats = {
        f"{t}/{m}"
        for t in ("eta", "sim", "s_mean", "s_std")
        for m in ("visual", "audio")
    }
    assert set(log[0]) == expected | stats
    assert log[0]["L_total"] == pytest.approx(
        sum(v for k, v in log[0].items() if k.startswith("L_") and k != "L_total"),
        rel=1e-5,
    )
    assert log[0]["Gamma"] != log[-1]["Gamma"]  # the temperature is learned


def test_same_seed_same_result(tmp_path, clips):
    pretrain(run_cfg(tmp_path / "a"), clips, progress=False)
    pretrain(run_cfg(tmp_path / "b"), clips, progress=False)
    pretrain(run_cfg(tmp_path / "c", seed=1), clips, progress=False)
    a, b, c = (read_loss_log(tmp_path / x / "losses.jsonl") for x in "abc")
    assert a == b
    assert a != c


def test_checkpoint_holds_everything_and_reloads_to_identical_scores(tmp_path, clips):
    last = pretrain(run_cfg(tmp_path), clips, progress=False)
    state = torch.load(last, weights_only=True)  # tensors and plain data only
    assert {"config", "model", "optimizer", "step", "rng"} <= set(state) and state[
        "step"
    ] == 6
    assert sorted(p.name for p in tmp_path.glob("*.pt")) == [
        "last.pt",
        "step_3.pt",
        "step_6.pt",
    ]
    model, cfg = load_model(last)
    assert cfg.model == MODEL and cfg.train.steps == 6
    feats = Features(
        visual=clips.fvs["visual"].reshape(-1, 64)[:57].numpy(),
        audio=None,
        duration_s=11.4,
        meta={},
    )
    again, _ = load_model(tmp_path / "last.pt")
    assert (score_curve(model, feats) == score_curve(again, feats)).all()


@pytest.mark.parametrize("design", DESIGNS)
def test_resume_continues_the_same_loss_curve(tmp_path, clips, design):
    model = {"design": design, "hidden": 16}
    pretrain(run_cfg(tmp_path / "straight", model=model), clips, progress=False)
    pretrain(run_cfg(tmp_path / "split", steps=3, model=model), clips, progress=False)
    pretrain(
        run_cfg(tmp_path / "split", model=model),
        clips,
        resume=str(tmp_path / "split" / "last.pt"),
        progress=False,
    )
    straight = read_loss_log(tmp_path / "straight" / "losses.jsonl")
    split = read_loss_log(tmp_path / "split" / "losses.jsonl")
    assert split == straight
    a, b = (
        load_model(tmp_path / run / "last.pt")[0].state_dict()
        for run in ("straight", "split")
    )
    assert all(torch.equal(a[k], b[k]) for k in a)  # the weights and the orientation


def test_compiled_objective_trains_as_the_eager_one(tmp_path, clips, monkeypatch):
    compiled_modules = []
    real_compile = torch.compile
    monkeypatch.setattr(
        torch, "compile", lambda m: compiled_modules.append(m) or real_compile(m)
    )
    pretrain(run_cfg(tmp_path / "eager", steps=3), clips, progress=False)
    assert compiled_modules == []
    pretrain(
        run_cfg(tmp_path / "compiled", steps=3, compile=True), clips, progress=False
    )
    assert [type(m).__name__ for m in compiled_modules] == ["_Objective"]
    eager, compiled = (
        read_loss_log(tmp_path / x / "losses.jsonl") for x in ("eager", "compiled")
    )
    assert [r["step"] for r in compiled] == [1, 2, 3]
    for a, b in zip(eager, compiled):
        # fused kernels round differently
        assert b == pytest.approx(a, rel=1e-4, abs=1e-5)
    weights = [
        torch.load(tmp_path / x / "last.pt", weights_only=True)["model"]
        for x in ("eager", "compiled")
    ]
    # the checkpoint holds the model, not the compiled wrapper
    assert weights[0].keys() == weights[1].keys()
    # RMSprop divides each gradient by its own running size, so where a weight's gradient is
    # tiny, the rounding of the fused kernels moves the step by a fraction of lr (1e-3): one
    # weight of w_q by 1.5e-5 on one CPU here, inside an absolute tolerance of 1e-4
    assert all(
        torch.allclose(weights[0][k], weights[1][k], rtol=1e-3, atol=1e-4)
        for k in weights[0]
    )


def test_adapt_trains_in_memory_and_repeatably(tmp_path, clips):
    cfg = run_cfg(tmp_path, steps=3)
    adapted, again = adapt(cfg, clips, 3), adapt(cfg, clips, 3)
    fresh = build(cfg)[0].state_dict()
    assert not adapted.training and not list(tmp_path.iterdir())  # nothing written
    for name, value in adapted.state_dict().items():
        assert torch.equal(again.state_dict()[name], value), name
    assert not torch.equal(
        adapted.state_dict()["branches.visual.w.weight"],
        fresh["branches.visual.w.weight"],
    )


def test_pretrain_sees_every_clip_once_per_epoch(tmp_path, clips, monkeypatch):
    """Batches come from the DataLoader: epochs of a seeded shuffle, each clip once per epoch
    (10 clips, batch 4: steps 1-2 and the first half of step 3 are epoch 0)."""
    seen = []
    losses = train.RASLModel.losses
    monkeypatch.setattr(
        train.RASLModel,
        "losses",
        lambda self, fvs, *a: seen.append(fvs["visual"]) or losses(self, fvs, *a),
    )
    pretrain(run_cfg(tmp_path, steps=5), clips, progress=False)
    order = [
        next(i for i in range(10) if torch.equal(clip, clips.fvs["visual"][i]))
        for b in seen
        for clip in b
    ]
    assert len(order) == 20 and sorted(order[:10]) == sorted(order[10:]) == list(
        range(10)
    )
    assert order[:10] != order[10:]  # reshuffled each epoch


def test_a_non_finite_loss_stops_training(tmp_path, clips):
    poisoned = ClipSet({m: x.clone() for m, x in clips.fvs.items()}, clips.sources)
    poisoned.fvs["visual"][:, 3, 5] = float("inf")
    with pytest.raises(FloatingPointError, match="loss is nan at step 1"):
        pretrain(run_cfg(tmp_path), poisoned, progress=False)
    assert read_loss_log(tmp_path / "losses.jsonl") == [] and not list(
        tmp_path.glob("*.pt")
    )


def test_pretrain_command_on_a_video(demo_clip, tmp_path, capsys):
    out = tmp_path / "run"
    argv = [
        "pretrain",
        str(demo_clip),
        "--steps",
        "2",
        "--checkpoint-every",
        "1",
        "--out",
        str(out),
        "--quiet",
        "--bf16",
    ]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"{out / 'last.pt'}\n"
    assert [r["step"] for r in read_loss_log(out / "losses.jsonl")] == [1, 2]
    assert sorted(p.name for p in out.glob("*.pt")) == [
        "last.pt",
        "step_1.pt",
        "step_2.pt",
    ]
    model, cfg = load_model(out / "last.pt")
    assert (
        cfg.name == "smoke"
        and cfg.train.steps == 2
        and set(model.branches) == {"visual", "audio"}
    )
    assert cfg.train.bf16 is True  # --bf16 reaches the run's config
    assert [p.name.split(".")[0] for p in (out / "features").iterdir()] == [
        "synthetic_01"
    ]  # cached under OUT


def test_bad_checkpoint_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    with pytest.raises(InputError, match="bad.pt: not a rasl checkpoint"):
        load_model(bad)
    with pytest.raises(InputError, match="no such checkpoint"):
        load_model(tmp_path / "missing.pt")


def test_streamed_clips_train_exactly_as_the_same_clips_in_memory(tmp_path):
    """pretrain on a ClipDataset (memory-mapped files) and on clip_set's tensors of the same
    videos: the same loss log and the same weights, with and without DataLoader workers."""
    rng = np.random.default_rng(0)
    videos = {
        f"v{i}": Features(
            rng.random((t, 64), np.float32),
            rng.random((t, 64), np.float32),
            t * 0.2,
            {},
        )
        for i, t in enumerate((45, 20, 7, 61))
    }
    for name, f in videos.items():
        write_cache(tmp_path / f"{name}.npz", f)
    streamed = ClipDataset(
        [tmp_path / f"{name}.npz" for name in videos],
        MODEL.modalities,
        MODEL.clip_steps,
    )
    in_memory = clip_set(videos, MODEL.modalities, MODEL.clip_steps)
    # oriented on the clips, both ways
    cfg = run_cfg(tmp_path / "memory")
    pretrain(cfg, in_memory, progress=False)
    for workers in (0, 2):
        out = tmp_path / f"streamed{workers}"
        pretrain(
            cfg.replace(out_dir=str(out), train={"num_workers": workers}),
            streamed,
            progress=False,
        )
        assert read_loss_log(out / "losses.jsonl") == read_loss_log(
            tmp_path / "memory" / "losses.jsonl"
        )
        a, b = (
            load_model(out / "last.pt")[0].state_dict(),
            load_model(tmp_path / "memory" / "last.pt")[0].state_dict(),
        )
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_batch_that_does_not_split_over_the_processes_is_one_clear_error(
    tmp_path, clips, monkeypatch
):
    # as under torchrun --nproc-per-node 3
    monkeypatch.setattr(train, "distributed", lambda device: (0, 3))
    with pytest.raises(
        InputError, match="^--batch-size: 4 clips do not split over 3 processes$"
    ):
        pretrain(run_cfg(tmp_path / "out"), clips, progress=False)
    assert not (tmp_path / "out").exists()
