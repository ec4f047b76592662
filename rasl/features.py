"""From a video file to its visual and audio feature vector sequences (FVS), with a cache.

The visual FVS has one vector per 0.2-s step (see :mod:`rasl.decode` for the timeline
rule). The audio FVS is brought onto the same steps by average pooling and its vectors are
resampled to the visual length by linear interpolation (Section III-F), so both are
(T, D_v). Results are cached as one ``.npz`` file per (video, encoder configuration); its
arrays are stored uncompressed, so pretraining memory-maps them (:func:`stored_arrays`).

Decoding runs beside the encoders: for one video in a background thread
(:func:`extract_features`), for many in ``DataLoader`` worker processes that feed the
encoders batches of frames (:func:`extract_many` with ``workers``); both give the same arrays.
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
from rasl.encoders import AudioEncoder, VisualEncoder, create_encoder, encoder_class
from rasl.files import InputError, atomic_path, list_videos
from rasl.runtime import bf16_autocast, rank_and_world, uses_bf16

CACHE_FORMAT = 1  # bump when the cache file layout changes
PREFETCH_BATCHES = 2  # decoded batches waiting for the encoder


@dataclass
class Features:
    """The two FVS of one video."""

    visual: np.ndarray  # (T, D_v) float32
    audio: np.ndarray | None  # (T, D_v) float32; None when the video has no audio track
    duration_s: float
    meta: dict  # encoders and versions, step, duration, sample rate, video fingerprint


def fingerprint(
    path: str | os.PathLike, blocks: int = 16, block_size: int = 1 << 16
) -> str:
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


def _encoder_classes(
    cfg: FeatureConfig,
) -> tuple[type[VisualEncoder], type[AudioEncoder]]:
    """The configured encoders' classes, checked for kind; nothing is built or loaded."""
    visual, audio = encoder_class(cfg.visual), encoder_class(cfg.audio)
    for cls, kind in ((visual, "visual"), (audio, "audio")):
        if cls.kind != kind:
            raise InputError(cls.name, f"is not a {kind} encoder (it is {cls.kind})")
    return visual, audio


def build_encoders(cfg: FeatureConfig) -> tuple[VisualEncoder, AudioEncoder]:
    """The configured encoders, built (or reused) on ``cfg.device``."""
    _encoder_classes(cfg)
    return _encoder(cfg.visual, cfg.device, cfg.weights), _encoder(
        cfg.audio, cfg.device, cfg.audio_weights
    )


def visual_bf16(cfg: FeatureConfig) -> bool:
    """Whether the visual encoder runs under bfloat16 autocast (``cfg.bf16``, resolved)."""
    return uses_bf16(cfg.device, cfg.bf16)


def cache_path(
    video: str | os.PathLike, cfg: FeatureConfig, cache_dir: str | os.PathLike
) -> Path:
    """``<cache_dir>/<stem>.<visual>.<audio>.<key>.npz``; the key hashes the video's path and the config."""
    key = hashlib.sha256(
        json.dumps([str(Path(video).resolve()), _config_meta(cfg)]).encode()
    ).hexdigest()
    return (
        Path(cache_dir) / f"{Path(video).stem}.{cfg.visual}.{cfg.audio}.{key[:16]}.npz"
    )


def _config_meta(cfg: FeatureConfig) -> dict:
    """Everything in the configuration that changes the features (read off the encoder
    classes, so a cache hit loads no model)."""
    visual, audio = _encoder_classes(cfg)
    return {
        "format": CACHE_FORMAT,
        "visual": {"name": visual.name, "version": visual.version, "dim": visual.dim},
        "visual_weights": _weights_fingerprint(cfg.weights),
        "visual_bf16": visual_bf16(cfg),
        "audio_weights": _weights_fingerprint(cfg.audio_weights),
        "audio": {
            "name": audio.name,
            "version": audio.version,
            "dim": audio.dim,
            "hop_s": audio.hop_s,
        },
        "step_s": STEP_S,
        "sample_rate": decode.SAMPLE_RATE,
    }


def _weights_fingerprint(path: str | None) -> str | None:
    """The fingerprint of a local weights file (None for none); a missing file is an InputError."""
    if not path:
        return None
    if not Path(path).is_file():
        raise InputError(path, "no such weights file")
    return fingerprint(path)


def _source_meta(video: str | os.PathLike, config_meta: dict) -> dict:
    """What a cache file of ``video`` must match: the configuration's meta (:func:`_config_meta`),
    the video's path and fingerprint."""
    return {
        **config_meta,
        "video": str(Path(video).resolve()),
        "fingerprint": fingerprint(video),
    }


def _probed(
    video: str | os.PathLike, config_meta: dict
) -> tuple[decode.VideoInfo, dict]:
    """The video's headers and the meta its features are stored with; raises :class:`InputError`
    for a bad video."""
    info = decode.probe(video)
    meta = {
        **_source_meta(video, config_meta),
        "duration_s": info.duration_s,
        "steps": info.steps,
        "has_audio": info.has_audio,
    }
    return info, meta


def _cached(video: str | os.PathLike, config_meta: dict, dest: Path) -> Features | None:
    """The features ``dest`` holds for ``video`` if it is a valid cache file of them under the
    configuration whose meta is ``config_meta``; nothing is decoded and no model is loaded."""
    if not dest.exists():
        return None
    try:
        meta = _source_meta(video, config_meta)
    except OSError:  # the video cannot be read now: decoding it will name the problem
        return None
    return _read_cache(dest, meta)


def extract_features(
    video: str | os.PathLike,
    cfg: FeatureConfig,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
) -> Features:
    """The visual and audio FVS of ``video``, from the cache in ``cache_dir`` when valid.

    A cached file is valid when it was made with the same configuration (encoders, their
    versions and weights, step, sample rate) from a video with the same fingerprint;
    otherwise the features are computed and the file rewritten atomically. Raises
    :class:`InputError` for a bad video; no cache file is written then.
    """
    dest = cache_path(video, cfg, cache_dir) if cache_dir is not None else None
    if (
        dest is not None
        and (cached := _cached(video, _config_meta(cfg), dest)) is not None
    ):
        return cached
    feats = _computed(video, cfg, progress)
    if dest is not None:
        write_cache(dest, feats)
    return feats


def _computed(video: str | os.PathLike, cfg: FeatureConfig, progress: bool) -> Features:
    """The FVS of ``video``: decoded in a background thread while the encoders run here."""
    info, meta = _probed(video, _config_meta(cfg))
    assembly = _Assembly(meta, cfg)
    items = _decoded(video, info, cfg.batch_size, assembly.visual_enc.input_size)
    with tqdm(
        total=info.steps,
        unit="frame",
        desc=Path(video).name,
        disable=not progress,
        leave=False,
    ) as bar:
        for kind, x in _background(items, PREFETCH_BATCHES):
            bar.update(assembly.add(kind, x))
    return assembly.features()


def _decoded(
    video, info: decode.VideoInfo, batch_size: int, input_size: int
) -> Iterator[tuple[str, np.ndarray]]:
    """What the encoders need of ``video``, in order: ("frames", (B, S, S, 3) uint8) batches of
    ``batch_size`` steps' frames, then, when it has sound, ("audio", samples) per 30-s chunk."""
    for batch in _batched(decode.frames(video, input_size, info), batch_size):
        yield "frames", batch
    if info.has_audio:
        for chunk in decode.audio(video, info):
            yield "audio", chunk


class _Assembly:
    """One video's FVS put together as its decoded items arrive (:func:`_decoded`): frames
    through the visual encoder (under bfloat16 autocast where :func:`visual_bf16`), each audio chunk through the
    audio encoder, pooled onto its steps and its vectors resampled to the visual length (III-F)."""

    def __init__(self, meta: dict, cfg: FeatureConfig):
        self.meta, self.cfg = meta, cfg
        self.visual_enc, self.audio_enc = build_encoders(cfg)
        self.visual = np.empty((meta["steps"], self.visual_enc.dim), np.float32)
        self.done = 0  # steps of frames encoded
        self.audio: list[np.ndarray] = []

    def add(self, kind: str, x: np.ndarray) -> int:
        """Encode one item; returns how many steps of frames it held."""
        if kind == "frames":
            with bf16_autocast(self.cfg.device, self.cfg.bf16):
                self.visual[self.done : self.done + len(x)] = self.visual_enc(x)
            self.done += len(x)
            return len(x)
        steps = len(x) // decode.STEP_SAMPLES
        self.audio.append(
            resample_vectors(
                pool_to_steps(self.audio_enc(x), steps), self.visual_enc.dim
            )
        )
        return 0

    def features(self) -> Features:
        audio = np.concatenate(self.audio) if self.meta["has_audio"] else None
        return Features(
            visual=self.visual,
            audio=audio,
            duration_s=self.meta["duration_s"],
            meta=self.meta,
        )


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
            return Features(
                visual=z["visual"],
                audio=audio,
                duration_s=stored["duration_s"],
                meta=stored,
            )
    # numpy, zipfile and json raise many kinds for a damaged file
    except Exception as e:
        warnings.warn(
            f"{path}: damaged feature cache file ({type(e).__name__}), recomputing it"
        )
        return None


def stored_arrays(
    path: str | os.PathLike,
) -> dict[str, tuple[int, np.dtype, tuple[int, ...]]]:
    """Where each array of an uncompressed ``.npz`` (``np.savez``, as the cache writes) lies in
    the file: name -> (byte offset, dtype, shape), for ``np.memmap``. Raises for a file that is
    not one (damaged, compressed, Fortran-ordered or object arrays)."""
    out = {}
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        for info in z.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"{info.filename} is compressed")
            # a local file header: 30 bytes, then name and extra field
            f.seek(info.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", f.read(4))
            f.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(f)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(f)
            if fortran or dtype.hasobject:
                raise ValueError(f"{info.filename} cannot be memory-mapped")
            out[info.filename.removesuffix(".npy")] = (f.tell(), dtype, shape)
    return out


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
    inputs: list[str],
    cfg: FeatureConfig,
    out_dir: str | os.PathLike,
    progress: bool = True,
    workers: int = 0,
) -> list[tuple[str, str]]:
    """Cache the FVS of every video in ``inputs`` (files or folders) under ``out_dir``.

    Under a launcher that sets ``RANK`` and ``WORLD_SIZE`` (torchrun, or SLURM's variables
    mapped to them) this process takes every WORLD_SIZE-th video from the RANK-th, so N
    processes share one cache folder; cached videos are skipped, so a killed run resumes.
    With ``workers`` > 0 the rest are decoded in that many worker processes and encoded here
    in batches (:func:`_in_workers`); with 0, one by one in this process, each decoded in a
    background thread. Continues past bad files; returns the (path, problem) pairs that
    failed, in every process (under torchrun, with the process group joined, those of all
    processes).
    """
    failures: list[tuple[str, str]] = []
    rank, world = rank_and_world()
    videos = _expand(inputs, failures)[rank::world]
    failures = failures if rank == 0 else []  # a missing input is reported once
    # a bad configuration (encoders, weights files) fails once, before any video
    config_meta = _config_meta(cfg)
    dests = {v: cache_path(v, cfg, out_dir) for v in videos}
    todo = [v for v in videos if _cached(v, config_meta, dests[v]) is None]
    if todo:
        build_encoders(cfg)  # and so do weights that do not load
    workers = min(workers, len(todo))  # no idle decoder
    extracted = (
        _in_workers(todo, cfg, workers) if workers else _in_process(todo, cfg, progress)
    )
    with tqdm(
        total=len(videos),
        initial=len(videos) - len(todo),
        unit="video",
        desc="features",
        disable=not progress,
    ) as bar:
        for video, result in extracted:
            try:
                if isinstance(result, InputError):
                    raise result
                write_cache(dests[video], result)
            # a bad video, or its cache file could not be written
            except InputError as e:
                failures.append((e.path, e.problem))
            bar.update()
    if dist.is_initialized():
        everyone: list = [None] * world
        dist.all_gather_object(everyone, failures)
        failures = [f for part in everyone for f in part]
    return failures


def _in_process(
    videos: list[Path], cfg: FeatureConfig, progress: bool
) -> Iterator[tuple[Path, Features | InputError]]:
    """Each video's features, or the :class:`InputError` it raised, one video after the other."""
    for video in videos:
        try:
            yield video, _computed(video, cfg, progress)
        except InputError as e:
            yield video, e


def _in_workers(
    videos: list[Path], cfg: FeatureConfig, workers: int
) -> Iterator[tuple[Path, Features | InputError]]:
    """Each video's features, or the :class:`InputError` it raised, as the videos complete: a
    ``DataLoader`` with ``workers`` processes decodes them (:class:`_DecodedVideos`), and its
    batches of frames and audio chunks, whichever worker's come first, are encoded here, in
    pinned memory on CUDA. Each worker has one video in progress, so at most ``workers`` are
    being assembled at once."""
    loader = torch.utils.data.DataLoader(
        _DecodedVideos(videos, cfg),
        batch_size=None,
        num_workers=workers,
        prefetch_factor=PREFETCH_BATCHES,
        pin_memory=torch.device(cfg.device).type == "cuda",
        in_order=False,  # a worker's own items stay in order
    )
    assembling: dict[int, _Assembly] = {}
    for i, kind, x in loader:
        if kind == "start":
            assembling[i] = _Assembly(x, cfg)
        elif kind == "end":
            yield videos[i], assembling.pop(i).features()
        elif kind == "failed":
            assembling.pop(i, None)
            yield videos[i], InputError(*x)
        else:
            assembling[i].add(kind, x.numpy())


class _DecodedVideos(torch.utils.data.IterableDataset):
    """Videos decoded for the encoders, for a ``DataLoader`` with ``batch_size=None``: each worker
    takes every ``num_workers``-th video and yields (video index, kind, payload) items, per video
    ("start", its meta), then :func:`_decoded`'s frame batches and audio chunks, then ("end",
    None); a bad video ends with ("failed", (path, problem)) instead.

    The configuration is resolved here, in the main process: a worker forked from a process
    that uses CUDA must not touch CUDA (resolving bf16 would), nor load a model."""

    def __init__(self, videos: list[Path], cfg: FeatureConfig):
        self.videos, self.batch_size = videos, cfg.batch_size
        self.config_meta, self.input_size = (
            _config_meta(cfg),
            _encoder_classes(cfg)[0].input_size,
        )

    def __iter__(self) -> Iterator[tuple[int, str, object]]:
        worker = torch.utils.data.get_worker_info()
        share = (
            range(worker.id, len(self.videos), worker.num_workers)
            if worker
            else range(len(self.videos))
        )
        for i in share:
            try:
                info, meta = _probed(self.videos[i], self.config_meta)
                yield i, "start", meta
                for kind, x in _decoded(
                    self.videos[i], info, self.batch_size, self.input_size
                ):
                    yield i, kind, x
                yield i, "end", None
            # sent as plain strings: InputError does not survive pickling
            except InputError as e:
                yield i, "failed", (e.path, e.problem)
