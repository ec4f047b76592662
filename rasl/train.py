"""Pretraining, Algorithm 1: RMSprop on L_total (Eq. 11) over random batches of clips.

A run is described by one :class:`rasl.config.RunConfig`. It writes, under ``out_dir``:
``losses.jsonl`` (one line per step, every loss term separately) and checkpoints
``step_<n>.pt`` / ``last.pt`` holding config, weights, optimiser state, step and RNG state,
so that a resumed run continues exactly the same loss curve.
"""

from __future__ import annotations

import ctypes
import io
import json
import random
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from rasl.clips import ClipSet
from rasl.config import RunConfig
from rasl.encoders import native_bf16
from rasl.files import InputError, atomic_path, load_data_only
from rasl.losses import total_loss
from rasl.model import RASLModel

CHECKPOINT_FORMAT = 1


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return the generator that draws batches and masks."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def configure_cpu() -> None:
    """Process-wide settings that make CPU training and scoring fast; call it first thing,
    before torch's first parallel work (the CLI and the benchmark scripts do).

    - Subnormal floats (< 1.2e-38) flush to zero. About a quarter of a self-attention
      projection's gradient is subnormal on real clips, and subnormal arithmetic made each
      CPU training step 1.8x slower; zero instead changes nothing RMSprop can see (its eps
      is 1e-8). The mode is per thread and torch's worker threads copy it when they start.
    - glibc's malloc keeps the memory it frees (blocks up to 32 MiB from the heap, no
      trimming). A training step allocates and frees some hundred tensors of up to 20 MB;
      by default each came fresh from the kernel, some 50,000 page faults and ~8% of the
      step. PyTorch's CPU tuning guide suggests jemalloc or tcmalloc for the same reason.
      Elsewhere than glibc this part is skipped.
    """
    torch.set_flush_denormal(True)
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 2**31 - 1)
    mallopt(m_top_pad, 256 << 20)


def build(cfg: RunConfig, clips: ClipSet | None = None) -> tuple[RASLModel, torch.optim.Optimizer, torch.Generator]:
    """A fresh model, its optimiser and batch RNG; the input scaling is fitted on ``clips``, the
    clips it will train on (without them it is the identity until a checkpoint is loaded)."""
    gen = seed_everything(cfg.train.seed)
    model = RASLModel(cfg.model)
    if clips is not None:
        model.fit_input_statistics(clips.fvs)
    model = model.to(cfg.train.device)
    opt = torch.optim.RMSprop(model.parameters(), lr=cfg.train.lr)
    return model, opt, gen


def save_checkpoint(path: str | Path, cfg: RunConfig, model: RASLModel, opt, step: int, gen: torch.Generator) -> Path:
    """Write a self-describing checkpoint atomically: tensors and plain data only (the RNG
    states are tensors, the config a dict of plain values), so it loads with ``weights_only``."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "config": cfg.to_dict(),
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "step": step,
        "rng": {"batches": gen.get_state(), "torch": torch.get_rng_state()},
    }
    # serialised in memory and written by Python: torch's file writer reports a full disk as
    # a RuntimeError without errno, Python as the OSError that atomic_path words
    buf = io.BytesIO()
    torch.save(state, buf)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getbuffer())
    return Path(path)


def _read_checkpoint(path: str | Path, device: str) -> dict:
    try:
        state = load_data_only(path, map_location=device)
    except FileNotFoundError:
        raise InputError(path, "no such checkpoint") from None
    except InputError:
        raise
    except Exception as e:  # torch raises many kinds for a file that is not a checkpoint
        raise InputError(path, f"not a rasl checkpoint ({type(e).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InputError(path, "not a rasl checkpoint")
    return state


def load_config(path: str | Path) -> RunConfig:
    """The config a checkpoint was trained with, without building its model."""
    return RunConfig.from_dict(_read_checkpoint(path, "cpu")["config"])


def load_model(path: str | Path, device: str = "cpu") -> tuple[RASLModel, RunConfig]:
    """A checkpoint's model (in eval mode, on ``device``) and the config it was trained with."""
    state = _read_checkpoint(path, device)
    cfg = RunConfig.from_dict(state["config"])
    model = RASLModel(cfg.model).to(device)
    model.load_state_dict(state["model"])
    return model.eval(), cfg


def _autocast(cfg: RunConfig) -> torch.autocast:
    """The precision training runs in: bfloat16 autocast where ``cfg.train.bf16`` (resolved) says so."""
    on = native_bf16(cfg.train.device) if cfg.train.bf16 is None else cfg.train.bf16
    return torch.autocast(torch.device(cfg.train.device).type, torch.bfloat16, enabled=on)


def train_steps(
    model: RASLModel, opt, clips: ClipSet, cfg: RunConfig, gen: torch.Generator, start: int, stop: int, progress: bool,
    desc: str = "pretrain",
):
    """Run steps ``start+1 .. stop``; yield (step, {term: value}) after each update."""
    model.train()
    device = cfg.train.device
    for step in tqdm(range(start + 1, stop + 1), desc, initial=start, total=stop, disable=not progress):
        idx = torch.randint(len(clips), (cfg.train.batch_size,), generator=gen)
        fvs = {m: x.to(device, non_blocking=True) for m, x in clips.batch(idx).items()}
        stats: dict[str, float] = {}
        with _autocast(cfg):
            terms = model.losses(fvs, gen, stats)
            loss = total_loss(terms)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss is {loss.item()} at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        record = {"L_total": loss.item(), **{k: v.item() for k, v in terms.items()}, **stats}
        if model.log_temperature is not None:
            record["Gamma"] = model.log_temperature.item()
        yield step, record


def pretrain(cfg: RunConfig, clips: ClipSet, resume: str | None = None, progress: bool = True) -> Path:
    """Algorithm 1 for ``cfg.train.steps`` steps; returns the path of the last checkpoint.

    With ``resume`` the model, optimiser, step and RNG state come from that checkpoint and
    training continues to ``cfg.train.steps``; the loss log is appended to.
    """
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model, opt, gen = build(cfg, clips)
    start = 0
    if resume:
        state = _read_checkpoint(resume, cfg.train.device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["rng"]["batches"])
        torch.set_rng_state(state["rng"]["torch"])
        start = state["step"]
        _cut_loss_log(out / "losses.jsonl", start)
    last = out / "last.pt"
    with open(out / "losses.jsonl", "a" if resume else "w") as log:
        for step, record in train_steps(model, opt, clips, cfg, gen, start, cfg.train.steps, progress):
            log.write(json.dumps({"step": step, **record}) + "\n")
            if step % cfg.train.checkpoint_every == 0 or step == cfg.train.steps:
                log.flush()
                save_checkpoint(out / f"step_{step}.pt", cfg, model, opt, step, gen)
                save_checkpoint(last, cfg, model, opt, step, gen)
    return last


def _cut_loss_log(path: Path, step: int) -> None:
    """Keep the log's records up to ``step``: a run killed after its last checkpoint may have
    logged later steps (the last one perhaps cut short), which the resumed run logs again."""
    if path.exists():
        lines = path.read_text().splitlines(keepends=True)
        kept = [line for line in lines if line.endswith("\n") and json.loads(line)["step"] <= step]
        with atomic_path(path) as tmp:
            tmp.write_text("".join(kept))


def adapt(cfg: RunConfig, clips: ClipSet, steps: int, progress: bool = False) -> RASLModel:
    """Pretrain a fresh model on one video's own clips for ``steps`` steps, in memory.

    This is the checkpoint-free path of ``rasl score``: the unsupervised objective needs no
    labels, so it can run on the footage that is to be scored.
    """
    model, opt, gen = build(cfg, clips)
    for _ in train_steps(model, opt, clips, cfg, gen, 0, steps, progress, desc="adapt"):
        pass
    return model.eval()


def read_loss_log(path: str | Path) -> list[dict]:
    """The JSON-lines loss log as a list of records."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
