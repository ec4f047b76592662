"""Cutting a feature sequence into the model's 30-s clips and stitching scores back.

Section III-F: a video longer than 30 s is split into consecutive clips of N = 150 steps;
a video shorter than a clip, or the remainder after the last full clip, is repeated until
it fills a clip, and only the part that belongs to the original is kept at inference.

Two sources of pretraining clips give the same clips in the same order: :func:`clip_set`
cuts them in memory (one video at inference, the benchmark runs), :class:`ClipDataset`
cuts them on the fly from memory-mapped feature files, so that pretraining a corpus of any
size holds only the clips of the batches in flight.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from rasl.config import RunConfig
from rasl.features import Features, cache_path, extract_many, stored_arrays
from rasl.files import InputError, list_videos

# clips, evenly spread over a corpus, that the orientation of a model's score reads
# (rasl.train.orient)
SAMPLE_CLIPS = 256


def clip_starts(t: int, n: int) -> range:
    """Where the clips of a ``t``-step sequence start: every ``n`` steps, the last one a remainder."""
    if t == 0:
        raise ValueError("cannot cut an empty sequence into clips")
    return range(0, t, n)


def fill_clip(part: torch.Tensor, n: int) -> torch.Tensor:
    """A clip's steps (at most ``n``), tiled from their own first step until they are ``n`` long."""
    reps = -(-n // part.shape[0])  # ceil
    return part.repeat(reps, *([1] * (part.dim() - 1)))[:n]


def cut_clips(seq: torch.Tensor, n: int) -> tuple[torch.Tensor, list[int]]:
    """(T, D) -> clips (C, n, D) and, per clip, how many leading steps are original.

    The remainder (and a sequence shorter than ``n``) is tiled from its own first step
    until it is ``n`` long, so every clip holds real, contiguous content.
    """
    parts = [seq[s : s + n] for s in clip_starts(seq.shape[0], n)]
    return torch.stack([fill_clip(p, n) for p in parts]), [p.shape[0] for p in parts]


def stitch(clip_values: torch.Tensor, lengths: list[int]) -> torch.Tensor:
    """(C, n) per-clip values -> (T,) keeping only each clip's original steps."""
    if len(clip_values) != len(lengths):
        raise ValueError(
            f"{len(clip_values)} clips of values for {len(lengths)} clips cut"
        )
    return torch.cat([v[:length] for v, length in zip(clip_values, lengths)])


@dataclass
class ClipSet:
    """Pretraining clips in memory: modality -> (C, N, D) float32, with the video each clip came
    from, and the videos left out because they lack a modality (no sound track). A map-style
    dataset: item ``i`` is clip ``i`` of every modality."""

    fvs: dict[str, torch.Tensor]
    sources: list[str]
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {m: x[i] for m, x in self.fvs.items()}

    def batch(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        return {m: x[idx] for m, x in self.fvs.items()}


def _warn_skipped(skipped: list[str], total: int) -> None:
    if skipped:
        warnings.warn(
            f"{len(skipped)} of {total} videos have no audio track and are left out of "
            f"pretraining with audio: {', '.join(skipped)}",
            stacklevel=3,
        )


def clip_set(
    features: dict[str, Features], modalities: tuple[str, ...], n: int
) -> ClipSet:
    """Cut every video's FVS into clips of ``n`` steps (a model's ``clip_steps``) of the given modalities.

    A video without an audio track cannot feed an audio branch: when "audio" is among
    ``modalities`` such videos are left out, listed in ``skipped`` and counted in a warning.
    """
    per_modality: dict[str, list[torch.Tensor]] = {m: [] for m in modalities}
    sources: list[str] = []
    skipped: list[str] = []
    for name, f in features.items():
        # modalities name Features' fields
        if any(getattr(f, m) is None for m in modalities):
            skipped.append(name)
            continue
        for m in modalities:
            clips, _ = cut_clips(torch.from_numpy(getattr(f, m)), n)
            per_modality[m].append(clips)
        sources += [name] * clips.shape[0]
    if not sources:
        raise ValueError(f"no video has every modality in {modalities}")
    _warn_skipped(skipped, len(features))
    return ClipSet({m: torch.cat(c) for m, c in per_modality.items()}, sources, skipped)


class ClipDataset(torch.utils.data.Dataset):
    """Pretraining clips cut on the fly from feature files (``.npz`` as the feature cache writes
    them), memory-mapped: item ``i`` equals item ``i`` of :func:`clip_set` over the same videos,
    and only the items asked for are read. The index holds (file, first step) per clip.

    Files that lack one of ``modalities`` (no sound track) are left out as ``clip_set`` leaves
    their videos out; ``skipped`` lists them. ``steps`` has, for every file given, the length of
    each FVS it holds, read from the file's headers.
    """

    def __init__(
        self, files: Sequence[str | Path], modalities: tuple[str, ...], n: int
    ):
        self.n = n
        self.files: list[Path] = []
        # per file: modality -> where
        self.arrays: list[dict[str, tuple[int, np.dtype, tuple[int, ...]]]] = []
        self.skipped: list[str] = []
        # every file given: FVS name -> steps
        self.steps: dict[Path, dict[str, int]] = {}
        file_of, starts = [], []
        for path in map(Path, files):
            try:
                stored = stored_arrays(path)
            # zipfile, struct and numpy raise many kinds for a damaged file
            except Exception as e:
                raise InputError(
                    path, f"not a readable feature file ({type(e).__name__}: {e})"
                ) from None
            self.steps[path] = {
                name: shape[0] for name, (_, _, shape) in stored.items() if shape
            }  # not the meta
            if any(m not in stored for m in modalities):
                self.skipped.append(str(path))
                continue
            lengths = {stored[m][2][0] for m in modalities}
            if len(lengths) != 1 or 0 in lengths:
                raise InputError(
                    path, f"modalities {modalities} have {sorted(lengths)} steps"
                )
            clips = clip_starts(lengths.pop(), n)
            file_of += [len(self.files)] * len(clips)
            starts += list(clips)
            self.files.append(path)
            self.arrays.append({m: stored[m] for m in modalities})
        if not self.files:
            raise ValueError(f"no feature file has every modality in {modalities}")
        _warn_skipped(self.skipped, len(files))
        self.file_of, self.starts = (
            np.array(file_of, np.int64),
            np.array(starts, np.int64),
        )

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        path, start = self.files[self.file_of[i]], self.starts[i]
        clip = {}
        # mapped per item, not kept open: 20,000 videos kept mapped would be 40,000 mappings,
        # near Linux's default limit of 65,530 per process; a mapping costs microseconds
        for m, (offset, dtype, shape) in self.arrays[self.file_of[i]].items():
            rows = np.memmap(path, dtype, "r", offset, shape)[
                start : start + self.n
            ].astype(np.float32)  # a copy
            clip[m] = fill_clip(torch.from_numpy(rows), self.n)
        return clip

    def clips_per_file(self) -> dict[Path, int]:
        """How many clips each file given yields, in the order given: 0 for the ones left out."""
        counts = dict(
            zip(
                self.files,
                np.bincount(self.file_of, minlength=len(self.files)).tolist(),
            )
        )
        return {path: counts.get(path, 0) for path in self.steps}


def sample_clips(clips: Dataset, limit: int = SAMPLE_CLIPS) -> dict[str, torch.Tensor]:
    """Up to ``limit`` clips of a dataset of clips (a :class:`ClipSet` or a
    :class:`ClipDataset`), evenly spread over it and stacked: modality -> (C, N, D). Memory
    stays bounded whatever the corpus."""
    picked = np.unique(
        np.linspace(0, len(clips) - 1, min(len(clips), limit)).round().astype(int)
    )
    items = [clips[int(i)] for i in picked]
    return {m: torch.stack([c[m] for c in items]) for m in items[0]}


def dataset_from_videos(
    inputs: list[str],
    cfg: RunConfig,
    cache_dir: str | Path,
    progress: bool = True,
    workers: int = 0,
) -> ClipDataset:
    """Videos (files or folders) -> cached features -> the streamed pretraining clips of ``cfg``.

    The features are extracted as ``rasl features`` does (:func:`rasl.features.extract_many`):
    under torchrun each process takes its share of the uncached videos, decoded in ``workers``
    worker processes (0: in this one), and every process then has the others' failures. A bad
    video raises :class:`InputError` once every other video is cached. The dataset indexes
    every video's cache file.
    """
    videos = [v for path in inputs for v in list_videos(path)]
    if not videos:
        raise InputError(", ".join(inputs), "no video files found")
    failures = extract_many(
        [str(v) for v in videos], cfg.features, cache_dir, progress, workers
    )
    # the same list in every process, gathered before it returned: all raise
    if failures:
        (path, problem), others = failures[0], len(failures) - 1
        raise InputError(
            path,
            problem
            + (
                f" (and {others} more videos failed: rasl features lists them)"
                if others
                else ""
            ),
        )
    return ClipDataset(
        [cache_path(v, cfg.features, cache_dir) for v in videos],
        cfg.model.modalities,
        cfg.model.clip_steps,
    )
