"""The model on a GPU: skipped without CUDA, run whenever one is at hand."""

import numpy as np
import pytest
import torch
from conftest import requires_cuda

from rasl.clips import ClipSet
from rasl.config import ModelConfig, RunConfig, TrainConfig
from rasl.features import Features
from rasl.inference import score_curve
from rasl.train import load_model, pretrain, read_loss_log

pytestmark = [pytest.mark.cuda, requires_cuda]


@pytest.mark.parametrize("bf16", [False, True])
def test_pretrain_on_cuda_and_score_matches_cpu(tmp_path, bf16):
    cfg = RunConfig(
        name="cuda",
        model=ModelConfig(dim=1024),
        train=TrainConfig(steps=4, checkpoint_every=4, device="cuda", bf16=bf16),
        out_dir=str(tmp_path),
    )
    g = torch.Generator().manual_seed(0)
    clips = ClipSet(
        {m: torch.rand(16, 150, 1024, generator=g) for m in ("visual", "audio")},
        ["v"] * 16,
    )
    last = pretrain(cfg, clips, progress=False)
    assert all(
        np.isfinite(r["L_total"]) for r in read_loss_log(tmp_path / "losses.jsonl")
    )
    feats = Features(
        clips.fvs["visual"].reshape(-1, 1024)[:400].numpy(), None, 80.0, {}
    )
    on_gpu, _ = load_model(last, device="cuda")
    on_cpu, _ = load_model(last, device="cpu")
    assert np.allclose(
        score_curve(on_gpu, feats), score_curve(on_cpu, feats), atol=2e-3
    )
