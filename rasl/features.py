"""From a video file to its visual and audio feature vector sequences (FVS), with a cache.

The visual FVS has one vector per 0.2-s step (see :mod:`rasl.decode` for the timeline
rule). The audio FVS is brought onto the same steps by average pooling and its vectors are
resampled to the visual length by linear interpolation (Section III-F), so both are
(T, D_v). Results are cached as one ``.npz`` file per (video, encoder configuration); its
arrays are stored uncompressed, so pretraining memory-maps them (:func:`stored_arrays`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import queue
import struct
import threading
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from tqdm import tqdm

from rasl import decode
from rasl.config import STEP_S, FeatureConfig
from rasl.data import list_videos
from rasl.encoders import AudioEncoder, VisualEncoder, create_encoder, encoder_class, native_bf16
from rasl.files import InputError, atomic_path

CACHE_FORMAT = 1  # bump when the cache file layout changes
PREFETCH_BATCHES = 2  # decoded batches waiting for the encoder


@dataclass
class Features:
    """The two FVS of one video."""

    visual: np.ndarray  # (T, D_v) float32
    audio: np.ndarray | None  # (T, D_v) float32; None when the video has no audio track
    duration_s: float
    meta: dict  # encoders and versions, step, duration, sample rate, video fingerprint


def fingerprint(path: str | os.PathLike, blocks: int = 16, block_size: int = 1 << 16) -> str:
    """SHA-256 of a file's size and ``blocks`` blocks of 64 KiB spread evenly over it.

    Reads at most 1 MiB whatever the size (whole files below that), so checking a cache
    stays cheap for hour-long videos; re-encodings, cuts and replacements change it.
    """
    size = os.path.getsize(path)
    h = hashlib.sha256(str(size).encode())
    with open(path, "rb") as f:
        for i in range(blocks):
            f.seek((size - block_size) * i // (blocks - 1) if size > block_size else 0)
            h.update(f.read(block_size))
    return h.hexdigest()


def pool_to_steps(frames: np.ndarray, steps: int) -> np.ndarray:
    """Average-pool (F, D) audio features onto ``steps`` equal time bins -> (steps, D) (III-F)."""
    x = torch.from_numpy(frames).T.unsqueeze(0)  # (1, D, F)
    return F.adaptive_avg_pool1d(x, steps)[0].T.numpy()


def resample_vectors(x: np.ndarray, dim: int) -> np.ndarray:
    """Linearly interpolate each row of (T, D_a) to length ``dim`` -> (T, dim) (III-F).

    End points are kept: element j of the output samples the input at j (D_a - 1) / (dim - 1).
    """
    t = torch.from_numpy(x).unsqueeze(1)  # (T, 1, D_a)
    return F.interpolate(t, size=dim, mode="linear", align_corners=True)[:, 0].numpy()


@functools.lru_cache(maxsize=4)
def _encoder(name: str, device: str, weights: str | None):
    return create_encoder(name, device=device, weights=weights)


def _encoder_classes(cfg: FeatureConfig) -> tuple[type[VisualEncoder], type[AudioEncoder]]:
    """The configured encoders' classes, checked for kind; nothing is built or loaded."""
    visual, audio = encoder_class(cfg.visual), encoder_class(cfg.audio)
    for cls, kind in ((visual, "visual"), (audio, "audio")):
        if cls.kind != kind:
            raise InputError(cls.name, f"is not a {kind} encoder (it is {cls.kind})")
    return visual, audio


def _encoders(cfg: FeatureConfig) -> tuple[VisualEncoder, AudioEncoder]:
    """The configured encoders, built (or reused) on ``cfg.device``."""
    _encoder_classes(cfg)
    return _encoder(cfg.visual, cfg.device, cfg.weights), _encoder(cfg.audio, cfg.device, cfg.audio_weights)


def visual_bf16(cfg: FeatureConfig) -> bool:
    """Whether the visual encoder runs under bfloat16 autocast (``cfg.bf16``, resolved)."""
    return native_bf16(cfg.device) if cfg.bf16 is None else cfg.bf16


def visual_precision(cfg: FeatureConfig) -> torch.autocast:
    """The context the visual encoder runs in: bfloat16 autocast when ``visual_bf16(cfg)``."""
    return torch.autocast(torch.device(cfg.device).type, torch.bfloat16, enabled=visual_bf16(cfg))


def cache_path(video: str | os.PathLike, cfg: FeatureConfig, cache_dir: str | os.PathLike) -> Path:
    """``<cache_dir>/<stem>.<visual>.<audio>.<key>.npz``; the key hashes the video's path and the config."""
    key = hashlib.sha256(json.dumps([str(Path(video).resolve()), _config_meta(cfg)]).encode()).hexdigest()
    return Path(cache_dir) / f"{Path(video).stem}.{cfg.visual}.{cfg.audio}.{key[:16]}.npz"


def _config_meta(cfg: FeatureConfig) -> dict:
    """Everything in the configuration that changes the features (read off the encoder
    classes, so a cache hit loads no model)."""
    visual, audio = _encoder_classes(cfg)
    return {
        "format": CACHE_FORMAT,
        "visual": {"name": visual.name, "version": visual.version, "dim": visual.dim},
        "visual_weights": fingerprint(cfg.weights) if cfg.weights else None,
        "visual_bf16": visual_bf16(cfg),
        "audio_weights": fingerprint(cfg.audio_weights) if cfg.audio_weights else None,
        "audio": {"name": audio.name, "version": audio.version, "dim": audio.dim, "hop_s": audio.hop_s},
        "step_s": STEP_S,
        "sample_rate": decode.SAMPLE_RATE,
    }


def extract_features(
    video: str | os.PathLike, cfg: FeatureConfig, cache_dir: str | os.PathLike | None = None, progress: bool = False
) -> Features:
    """The visual and audio FVS of ``video``, from the cache in ``cache_dir`` when valid.

    A cached file is valid when it was made with the same configuration (encoders, their
    versions and weights, step, sample rate) from a video with the same fingerprint;
    otherwise the features are computed and the file rewritten atomically. Raises
    :class:`InputError` for a bad video; no cache file is written then.
    """
    info = decode.probe(video)
    meta = {**_config_meta(cfg), "video": str(Path(video).resolve()), "fingerprint": fingerprint(video)}
    dest = cache_path(video, cfg, cache_dir) if cache_dir is not None else None
    if dest is not None and (cached := _read_cache(dest, meta)) is not None:
        return cached
    visual_enc, audio_enc = _encoders(cfg)
    meta.update(duration_s=info.duration_s, steps=info.steps, has_audio=info.has_audio)
    with visual_precision(cfg):
        visual = _visual_fvs(video, info, visual_enc, cfg.batch_size, progress)
    audio = _audio_fvs(video, info, audio_enc, visual_enc.dim) if info.has_audio else None
    feats = Features(visual=visual, audio=audio, duration_s=info.duration_s, meta=meta)
    if dest is not None:
        write_cache(dest, feats)
    return feats


def _visual_fvs(video, info: decode.VideoInfo, enc: VisualEncoder, batch_size: int, progress: bool) -> np.ndarray:
    """(T, D_v): frames decoded in a background thread while the encoder runs."""
    out = np.empty((info.steps, enc.dim), np.float32)
    batches = _batched(decode.frames(video, enc.input_size, info), batch_size)
    done = 0
    with tqdm(total=info.steps, unit="frame", desc=Path(video).name, disable=not progress, leave=False) as bar:
        for batch in _background(batches, PREFETCH_BATCHES):
            out[done : done + len(batch)] = enc(batch)
            done += len(batch)
            bar.update(len(batch))
    return out


def _audio_fvs(video, info: decode.VideoInfo, enc: AudioEncoder, dim: int) -> np.ndarray:
    """(T, dim): each 30-s chunk encoded, pooled onto its steps, vectors resampled to ``dim``."""
    parts = []
    for chunk in decode.audio(video, info):
        steps = len(chunk) // decode.STEP_SAMPLES
        parts.append(resample_vectors(pool_to_steps(enc(chunk), steps), dim))
    return np.concatenate(parts)


def _batched(items: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Stack consecutive arrays into batches of ``size`` (the last may be shorter)."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


_END = object()


def _background(items: Iterator, depth: int) -> Iterator:
    """Iterate ``items`` in a worker thread, ``depth`` items ahead; its exceptions re-raise here."""
    q: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except Exception as e:
            put(_Failed(e))
        finally:
            items.close()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while (item := q.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()


def _read_cache(path: Path, meta: dict) -> Features | None:
    """The cached features if ``path`` holds them for the same config and video, else None.

    A file that cannot be read (cut short, emptied, overwritten) is reported in one warning
    and treated as absent, so the caller recomputes it and rewrites it whole.
    """
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            stored = json.loads(str(z["meta"]))
            if any(stored.get(k) != v for k, v in meta.items()):
                return None
            audio = z["audio"] if "audio" in z.files else None
            return Features(visual=z["visual"], audio=audio, duration_s=stored["duration_s"], meta=stored)
    except Exception as e:  # numpy, zipfile and json raise many kinds for a damaged file
        warnings.warn(f"{path}: damaged feature cache file ({type(e).__name__}), recomputing it")
        return None


def stored_arrays(path: str | os.PathLike) -> dict[str, tuple[int, np.dtype, tuple[int, ...]]]:
    """Where each array of an uncompressed ``.npz`` (``np.savez``, as the cache writes) lies in
    the file: name -> (byte offset, dtype, shape), for ``np.memmap``. Raises for a file that is
    not one (damaged, compressed, Fortran-ordered or object arrays)."""
    out = {}
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        for info in z.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"{info.filename} is compressed")
            f.seek(info.header_offset + 26)  # a local file header: 30 bytes, then name and extra field
            name_len, extra_len = struct.unpack("<HH", f.read(4))
            f.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            if fortran or dtype.hasobject:
                raise ValueError(f"{info.filename} cannot be memory-mapped")
            out[info.filename.removesuffix(".npy")] = (f.tell(), dtype, shape)
    return out


def rank_and_world() -> tuple[int, int]:
    """This process's share of a job: ``RANK`` and ``WORLD_SIZE`` as torchrun sets them, else (0, 1)."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def write_cache(path: Path, feats: Features) -> None:
    arrays = {"visual": feats.visual, "meta": np.array(json.dumps(feats.meta))}
    if feats.audio is not None:
        arrays["audio"] = feats.audio
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)


def _expand(inputs: list[str], failures: list[tuple[str, str]]) -> list[Path]:
    """Files and the videos inside folders; missing paths and empty folders go to ``failures``."""
    videos = []
    for item in inputs:
        if not Path(item).exists():
            failures.append((item, "no such file or folder"))
        elif found := list_videos(item):
            videos.extend(found)
        else:
            failures.append((item, "no video files in this folder"))
    return videos


def extract_many(
    inputs: list[str], cfg: FeatureConfig, out_dir: str | os.PathLike, progress: bool = True
) -> list[tuple[str, str]]:
    """Cache the FVS of every video in ``inputs`` (files or folders) under ``out_dir``.

    Under a launcher that sets ``RANK`` and ``WORLD_SIZE`` (torchrun, or SLURM's variables
    mapped to them) this process takes every WORLD_SIZE-th video from the RANK-th, so N
    processes share one cache folder; cached videos are skipped, so a killed run resumes.
    Continues past bad files; returns the (path, problem) pairs that failed, in every
    process (under torchrun, with the process group joined, those of all processes).
    """
    failures: list[tuple[str, str]] = []
    rank, world = rank_and_world()
    videos = _expand(inputs, failures)[rank::world]
    failures = failures if rank == 0 else []  # a missing input is reported once
    _encoders(cfg)  # a bad configuration fails once, before any video
    for video in tqdm(videos, unit="video", disable=not progress):
        try:
            extract_features(video, cfg, cache_dir=out_dir, progress=progress)
        except InputError as e:
            failures.append((e.path, e.problem))
    if dist.is_initialized():
        everyone: list = [None] * world
        dist.all_gather_object(everyone, failures)
        failures = [f for part in everyone for f in part]
    return failures
