"""Pretraining, Algorithm 1: RMSprop on L_total (Eq. 11) over random batches of clips.

A run is described by one :class:`rasl.config.RunConfig`. It writes, under ``out_dir``:
``losses.jsonl`` (one line per step, every loss term separately) and checkpoints
``step_<n>.pt`` / ``last.pt`` holding config, weights, optimiser state and step, so that a
resumed run continues exactly the same loss curve.

:func:`pretrain` reads any map-style dataset of clips (a :class:`rasl.clips.ClipDataset`
streams them from disk) through a ``DataLoader`` and a ``DistributedSampler``, and runs
unchanged under ``torchrun``: one process or N (CPU processes with gloo, one per GPU with
NCCL, on one machine or many), with DistributedDataParallel when N > 1. The batch size
of the configuration is the global batch: each of N processes takes batch_size / N clips
a step, so the effective batch, and with it the learning rate, do not depend on N. Rank 0
writes the log (every term averaged over the processes) and the checkpoints.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm import tqdm

from rasl.clips import ClipSet, sample_clips
from rasl.config import RunConfig
from rasl.files import InputError, atomic_path, load_data_only
from rasl.losses import random_step_mask, total_loss
from rasl.model import RASLModel
from rasl.runtime import bf16_autocast, distributed

CHECKPOINT_FORMAT = 1


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return the generator that draws batches and masks."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def build(cfg: RunConfig) -> tuple[RASLModel, torch.optim.Optimizer, torch.Generator]:
    """A fresh model, its optimiser and batch RNG."""
    gen = seed_everything(cfg.train.seed)
    model = RASLModel(cfg.model).to(cfg.train.device)
    opt = torch.optim.RMSprop(model.parameters(), lr=cfg.train.lr)
    return model, opt, gen


def save_checkpoint(
    path: str | Path, cfg: RunConfig, model: RASLModel, opt, step: int
) -> Path:
    """Write a self-describing checkpoint atomically: tensors and plain data only (the RNG
    state is a tensor, the config a dict of plain values), so it loads with ``weights_only``."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "config": cfg.to_dict(),
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "step": step,
        "rng": {"torch": torch.get_rng_state()},
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
    # torch raises many kinds for a file that is not a checkpoint
    except Exception as e:
        raise InputError(path, f"not a rasl checkpoint ({type(e).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InputError(path, "not a rasl checkpoint")
    return state


def _config(state: dict, path: str | Path) -> RunConfig:
    try:
        return RunConfig.from_dict(state["config"])
    except ValueError as e:  # a model this version cannot rebuild
        raise InputError(path, str(e)) from None


def load_config(path: str | Path) -> RunConfig:
    """The config a checkpoint was trained with, without building its model."""
    return _config(_read_checkpoint(path, "cpu"), path)


def load_model(path: str | Path, device: str = "cpu") -> tuple[RASLModel, RunConfig]:
    """A checkpoint's model (in eval mode, on ``device``) and the config it was trained with."""
    state = _read_checkpoint(path, device)
    cfg = _config(state, path)
    model = RASLModel(cfg.model).to(device)
    # a checkpoint saved before orientation existed scores unoriented, as it did then
    state["model"].setdefault("score_sign", torch.tensor(1.0, device=device))
    model.load_state_dict(state["model"])
    return model.eval(), cfg


def random_batches(
    clips: ClipSet, batch_size: int, gen: torch.Generator
) -> Iterator[dict[str, torch.Tensor]]:
    """In memory, one batch per step: clips drawn with replacement by ``gen`` (adapt, benchmark runs)."""
    while True:
        yield clips.batch(torch.randint(len(clips), (batch_size,), generator=gen))


def _epochs(sampler: DistributedSampler, start: int) -> Iterator[int]:
    """The sampler's indices epoch after epoch, each epoch reshuffled, from position ``start``."""
    epoch, skip = divmod(start, len(sampler))
    while True:
        sampler.set_epoch(epoch)
        yield from itertools.islice(sampler, skip, None)
        epoch, skip = epoch + 1, 0


def loader(
    data: Dataset, cfg: RunConfig, start_step: int, rank: int = 0, world: int = 1
) -> DataLoader:
    """This process's batches from step ``start_step + 1`` on: its share (batch_size / world, which
    must divide) of each global batch, epochs of a shuffle that depends on the seed and the epoch alone."""
    per_rank = cfg.train.batch_size // world
    sampler = DistributedSampler(data, world, rank, shuffle=True, seed=cfg.train.seed)
    return DataLoader(
        data,
        batch_size=per_rank,
        sampler=_epochs(sampler, start_step * per_rank),
        num_workers=cfg.train.num_workers,
        pin_memory=torch.device(cfg.train.device).type == "cuda",
        generator=torch.Generator().manual_seed(cfg.train.seed),
    )  # leaves torch's global RNG alone


def step_generator(seed: int, rank: int, step: int) -> torch.Generator:
    """The generator of one step's masks on one process, a function of (seed, rank, step) alone:
    a resumed run draws, on every process, what an uninterrupted one would have drawn."""
    return torch.Generator().manual_seed(
        int(np.random.SeedSequence([seed, rank, step]).generate_state(1, np.uint64)[0])
    )


class _Objective(torch.nn.Module):
    """The model's losses as a forward pass, the call DistributedDataParallel wraps."""

    def __init__(self, model: RASLModel):
        super().__init__()
        self.model = model

    def forward(self, fvs, generator, stats):
        return self.model.losses(fvs, generator, stats)


def train_steps(
    model: RASLModel,
    opt,
    batches,
    cfg: RunConfig,
    masks: Callable[[int], torch.Generator],
    start: int,
    stop: int,
    progress: bool,
    desc: str = "pretrain",
    objective: torch.nn.Module | None = None,
):
    """Run steps ``start+1 .. stop`` on ``batches``, the masks of step s drawn by ``masks(s)``;
    yield (step, {term: value}) after each update. Under DistributedDataParallel (``objective``)
    the values are averaged over the processes: those of the global batch."""
    model.train()
    objective = objective or _Objective(model)
    if cfg.train.compile:
        objective = torch.compile(objective)
    device = cfg.train.device
    for step, batch in tqdm(
        zip(range(start + 1, stop + 1), batches),
        desc,
        initial=start,
        total=stop,
        disable=not progress,
    ):
        fvs = {m: x.to(device, non_blocking=True) for m, x in batch.items()}
        stats: dict[str, torch.Tensor] = {}
        with bf16_autocast(cfg.train.device, cfg.train.bf16):
            terms = objective(fvs, masks(step), stats)
            loss = total_loss(terms, cfg.model.scl_weight)
        values = torch.stack([loss, *terms.values(), *stats.values()]).detach().float()
        if isinstance(objective, DistributedDataParallel):
            dist.all_reduce(values)
            values /= dist.get_world_size()
        values = values.tolist()
        if not np.isfinite(values[0]):
            raise FloatingPointError(f"loss is {values[0]} at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        record = dict(zip(["L_total", *terms, *stats], values))
        if model.log_temperature is not None:
            record["Gamma"] = model.log_temperature.item()
        yield step, record


def pretrain(
    cfg: RunConfig, data: Dataset, resume: str | None = None, progress: bool = True
) -> Path:
    """Algorithm 1 for ``cfg.train.steps`` steps on ``data``; returns the path of the last checkpoint.

    With ``resume`` the model, optimiser and step come from that checkpoint and training
    continues to ``cfg.train.steps``; the loss log is appended to. Under torchrun every
    process trains its share of each batch (see the module's docstring).
    """
    rank, world = distributed(cfg.train.device)
    if cfg.train.batch_size % world:
        raise InputError(
            "--batch-size",
            f"{cfg.train.batch_size} clips do not split over {world} processes",
        )
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model, opt, _ = build(cfg)
    start = 0
    if resume:
        state = _read_checkpoint(resume, cfg.train.device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"]["torch"])
        start = state["step"]
        if rank == 0:
            _cut_loss_log(out / "losses.jsonl", start)
    objective = _Objective(model)
    if world > 1:
        cuda = torch.device(cfg.train.device).type == "cuda"
        # static_graph: the same parameters take part in every step, some (per config) in none
        objective = DistributedDataParallel(
            objective,
            device_ids=[torch.cuda.current_device()] if cuda else None,
            static_graph=True,
        )
    batches = loader(data, cfg, start, rank, world)
    masks = functools.partial(step_generator, cfg.train.seed, rank)
    last = out / "last.pt"
    with (
        open(out / "losses.jsonl", "a" if resume else "w")
        if rank == 0
        else contextlib.nullcontext() as log
    ):
        for step, record in train_steps(
            model,
            opt,
            batches,
            cfg,
            masks,
            start,
            cfg.train.steps,
            progress and rank == 0,
            objective=objective,
        ):
            if rank:
                continue
            log.write(json.dumps({"step": step, **record}) + "\n")
            if step % cfg.train.checkpoint_every == 0 or step == cfg.train.steps:
                log.flush()
                orient(model, data, cfg.train.seed)
                save_checkpoint(out / f"step_{step}.pt", cfg, model, opt, step)
                save_checkpoint(last, cfg, model, opt, step)
    if world > 1:
        dist.barrier()  # every process returns once rank 0 has written the last checkpoint
    return last


def _cut_loss_log(path: Path, step: int) -> None:
    """Keep the log's records up to ``step``: a run killed after its last checkpoint may have
    logged later steps (the last one perhaps cut short), which the resumed run logs again."""
    if path.exists():
        lines = path.read_text().splitlines(keepends=True)
        kept = [
            line
            for line in lines
            if line.endswith("\n") and json.loads(line)["step"] <= step
        ]
        with atomic_path(path) as tmp:
            tmp.write_text("".join(kept))


def adapt(
    cfg: RunConfig,
    clips: ClipSet,
    steps: int,
    progress: bool = False,
    on_step: Callable[[int, dict, RASLModel], None] | None = None,
) -> RASLModel:
    """Pretrain a fresh model on clips held in memory for ``steps`` steps, no checkpoint;
    ``on_step(step, losses, model)`` after each step.

    This is the checkpoint-free path of ``rasl score`` on one video's own clips (the
    unsupervised objective needs no labels, so it can run on the footage that is to be
    scored) and the pretraining of the benchmark runs. Batches are drawn with replacement,
    so a one-clip video fills a batch.
    """
    model, opt, gen = build(cfg)
    batches = random_batches(clips, cfg.train.batch_size, gen)
    for step, record in train_steps(
        model, opt, batches, cfg, lambda step: gen, 0, steps, progress, desc="adapt"
    ):
        if on_step is not None:
            on_step(step, record, model)
    orient(model, clips, cfg.train.seed)
    return model.eval()


@torch.no_grad()
def orient(model: RASLModel, clips: Dataset, seed: int, batch_size: int = 16) -> float:
    """Set ``model.score_sign`` without labels, and return it: +1 or -1, whichever makes the
    scores rise with each step's difficulty of reconstruction from its context.

    Negating s together with the decoder's first layer leaves every loss unchanged (L_r only
    partly breaks the tie), so which end of s is the highlight is a symmetry of the model.
    The paper's premise orients it (III-C, Fig. 1): distinct steps are the harder ones to
    reconstruct. On up to ``rasl.clips.SAMPLE_CLIPS`` clips of ``clips`` (evenly spread),
    masked as Eq. (10) masks them (a generator seeded ``seed``, so the training RNG is
    untouched), the covariance within each clip between s and the masked steps' errors
    (:meth:`RASLModel.context_error`) is summed; its sign is the model's. Stored in the
    state dict, so a checkpoint scores in the direction it was oriented to.
    """
    sample = sample_clips(clips)
    gen, device, total = (
        torch.Generator().manual_seed(seed),
        model.score_sign.device,
        0.0,
    )
    was_training = model.training
    model.eval().score_sign.fill_(1.0)
    n = next(iter(sample.values())).shape[0]
    for i in range(0, n, batch_size):
        fvs = {m: x[i : i + batch_size].to(device) for m, x in sample.items()}
        b, steps = next(iter(fvs.values())).shape[:2]
        masked = 1 - random_step_mask(b, steps, model.cfg.mask_ratio, gen).to(device)
        s, error = model.score(fvs), model.context_error(fvs, 1 - masked)
        count = masked.sum(-1, keepdim=True)
        s_c = s - (masked * s).sum(-1, keepdim=True) / count
        e_c = error - (masked * error).sum(-1, keepdim=True) / count
        total += float((masked * s_c * e_c).sum())
    model.score_sign.fill_(-1.0 if total < 0 else 1.0)
    model.train(was_training)
    return float(model.score_sign)


def read_loss_log(path: str | Path) -> list[dict]:
    """The JSON-lines loss log as a list of records."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
