"""Pretraining under bfloat16 autocast follows the float32 loss curve (TrainConfig.bf16)."""

import numpy as np
import pytest
import torch

from rasl.clips import ClipSet
from rasl.config import ModelConfig, RunConfig, TrainConfig
from rasl.model import RASLModel, step_rows
from rasl.train import build, random_batches, train_steps

MODEL = ModelConfig(
    dim=64, clip_steps=12, k=2, channels=(4, 8, 16), psi_channels=8, proj_dim=4
)


def curve(bf16, clips, steps=100):
    cfg = RunConfig(
        model=MODEL, train=TrainConfig(steps=steps, batch_size=4, bf16=bf16)
    )
    model, opt, gen = build(cfg)
    batches = random_batches(clips, cfg.train.batch_size, gen)
    return np.array(
        [
            rec["L_total"]
            for _, rec in train_steps(
                model, opt, batches, cfg, lambda step: gen, 0, steps, False
            )
        ]
    )


def clip_set(seed):
    g = torch.Generator().manual_seed(seed)
    # clips whose steps share a pattern, as video rows do
    base = torch.rand(16, 1, 64, generator=g)
    return ClipSet(
        {
            m: base + 0.3 * torch.rand(16, 12, 64, generator=g)
            for m in ("visual", "audio")
        },
        ["v"] * 16,
    )


def test_bf16_training_follows_the_fp32_loss_curve():
    # One 100-step curve moves by a few percent with rounding alone (float32 on 1 or 2 threads
    # ends 1.3% apart), so the level reached is compared as a mean over three data sets.
    curves = [
        (curve(False, clip_set(seed)), curve(True, clip_set(seed))) for seed in range(3)
    ]
    fp32, bf16 = curves[0]
    assert not np.array_equal(fp32, bf16)  # it did compute in bfloat16
    # the same start, up to bf16 rounding
    assert bf16[0] == pytest.approx(fp32[0], rel=0.01)
    assert all(f[-20:].mean() < 0.9 * f[0] for f, _ in curves)  # the curves fall ...
    level = np.mean([[f[-20:].mean(), b[-20:].mean()] for f, b in curves], axis=0)
    assert level[1] == pytest.approx(level[0], rel=0.05)  # ... to the same level


def test_the_activations_stay_float32_under_autocast():
    # a trained s spreads by ~0.007 within a clip around ~6, below bf16's step of 0.03 there
    torch.manual_seed(0)
    ae = RASLModel(MODEL).branches["visual"]
    r = 6 + 0.01 * torch.rand(2, MODEL.clip_steps, MODEL.channels[-1], MODEL.dim // 8)
    s32 = ae.activate(r)
    with torch.autocast("cpu", torch.bfloat16):
        z16, s16 = ae.processed(step_rows(r)), ae.activate(r)
    assert s16.dtype == z16.dtype == torch.float32
    torch.testing.assert_close(s16, s32, rtol=0, atol=0)
    # the case: differences below bf16's resolution
    assert s32.std(-1).min() < 0.03 * s32.abs().max()
