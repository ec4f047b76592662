"""Dataset layouts as they are published: a folder of videos, TVSum, YouTube Highlights.

TVSum (Song et al., CVPR 2015) is read from ``ydata-tvsum50.mat`` (MATLAB v7.3, struct
``tvsum50``) or from the release's two tab-separated files ``ydata-tvsum50-anno.tsv`` (no
header; video id, category, comma-separated per-frame scores; one row per annotator) and
``ydata-tvsum50-info.tsv`` (header ``category, video_id, title, url, length``).

YouTube Highlights (Sun et al., ECCV 2014) is read from its label repository's layout:
``<domain>/vlist.json`` (or ``vlist_sel.json``) lists ``[[ids], set_name]`` with set names
``TraiTightL, TraiLooseL, TestTightL, TestLooseL``; ``<domain>/<id>/clip.json`` holds the
``[start_frame, end_frame]`` clips and ``<domain>/<id>/match_label.json`` holds
``[[clips], [labels]]`` with 1 = matched, 0 = borderline, -1 = unmatched. The label
repository has no frame rates: they come from ``youtube_anno.json`` (UMT / CG-DETR
release) beside the domains, else from the video file when one is given.

Videos themselves are optional: with ``video_dir`` a benchmark video whose file is not
found is reported (a warning, and its id in ``Loaded.missing``) and skipped.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from rasl.features import resample_vectors
from rasl.files import InputError, list_videos

# Table II's column order and the TVSum paper's category names.
TVSUM_CATEGORIES = {
    "VT": "changing vehicle tire",
    "VU": "getting vehicle unstuck",
    "GA": "grooming an animal",
    "MS": "making sandwich",
    "PK": "parkour",
    "PR": "parade",
    "FM": "flash mob gathering",
    "BK": "bee keeping",
    "BT": "attempting bike tricks",
    "DS": "dog show",
}
TVSUM_SEGMENT_S = 2.0  # TVSum annotators rated uniform 2-s shots
YOUTUBE_DOMAINS = (
    "dog",
    "gymnastics",
    "parkour",
    "skating",
    "skiing",
    "surfing",
)  # Table I order
YOUTUBE_SETS = {
    "train": ("TraiTightL", "TraiLooseL"),
    "test": ("TestTightL", "TestLooseL"),
}


@dataclass(frozen=True)
class Benchmark:
    """One of the paper's two benchmarks: its names and where it lives under a data root."""

    name: str  # as on the command line; also its folder under umt/ (the published features)
    title: str
    annotations: str  # folder of the official annotations
    videos: str  # folder of its video files, for a user who has them
    categories: tuple[str, ...]  # in the order of the paper's table (I or II)


BENCHMARKS = {
    b.name: b
    for b in (
        Benchmark(
            "youtube",
            "YouTube Highlights",
            "youtube_highlights",
            "youtube_highlights/videos",
            YOUTUBE_DOMAINS,
        ),
        Benchmark("tvsum", "TVSum", "tvsum", "tvsum/video", tuple(TVSUM_CATEGORIES)),
    )
}


def find_benchmark(name: str) -> Benchmark:
    """The benchmark called ``name``; a ValueError names the choices."""
    if name not in BENCHMARKS:
        raise ValueError(f"benchmark must be one of {sorted(BENCHMARKS)}, got {name!r}")
    return BENCHMARKS[name]


@dataclass(frozen=True, eq=False)
class TVSumVideo:
    """One TVSum video: ``user_anno`` is (20, n_frames), per-frame importance 1-5 per annotator."""

    video_id: str
    category: str
    title: str
    duration_s: float
    user_anno: np.ndarray
    path: Path | None = None

    @property
    def fps(self) -> float:
        return self.user_anno.shape[1] / self.duration_s

    @property
    def n_clips(self) -> int:
        """Number of 2-s segments holding a frame (frame f at f / fps s); the last may be shorter."""
        return int((self.user_anno.shape[1] - 1) / self.fps // TVSUM_SEGMENT_S) + 1

    def clip_spans_s(self) -> np.ndarray:
        """(n_clips, 2) ``[start, end)`` seconds of the 2-s segments; the last ends at the video's end."""
        starts = np.arange(self.n_clips) * TVSUM_SEGMENT_S
        return np.stack(
            [starts, np.minimum(starts + TVSUM_SEGMENT_S, self.duration_s)], axis=1
        )

    @cached_property
    def segment_scores(self) -> np.ndarray:
        """(20, n_clips) each annotator's score of each 2-s segment: the frame at the segment's middle.

        The annotated shots start at frame ceil(2k * fps) or one frame later, so the middle
        frame carries the shot's score exactly, where a mean over the segment's frames would
        mix in a frame of the next shot (and move scores across the median threshold).
        """
        middle = self.clip_spans_s().mean(axis=1)
        frames = np.minimum(
            np.floor(middle * self.fps).astype(int), self.user_anno.shape[1] - 1
        )
        return self.user_anno[:, frames]


@dataclass(frozen=True, eq=False)
class YouTubeVideo:
    """One YouTube Highlights video: ``clip_frames`` (n_clips, 2) and ``labels`` (n_clips,) in {1, 0, -1}."""

    video_id: str
    category: str  # the domain
    split: str  # the vlist set name, e.g. "TestLooseL"
    clip_frames: np.ndarray
    labels: np.ndarray
    fps: float | None
    path: Path | None = None

    @property
    def n_clips(self) -> int:
        return len(self.labels)

    def clip_spans_s(self) -> np.ndarray:
        """(n_clips, 2) ``[start, end)`` seconds of the clips (frame / fps)."""
        if self.fps is None:
            raise ValueError(
                f"{self.video_id}: no frame rate known (not in youtube_anno.json, no video file)"
            )
        return self.clip_frames / self.fps


@dataclass
class Loaded:
    """Videos of one benchmark split, and the ids skipped because their video file is missing."""

    videos: list = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except OSError as e:
        raise InputError(path, f"cannot read ({e.strerror or e})") from None
    except json.JSONDecodeError as e:
        raise InputError(path, f"not valid JSON ({e.msg}, line {e.lineno})") from None


def _find(folder: Path, name: str) -> Path | None:
    hits = sorted(folder.rglob(name))
    return hits[0] if hits else None


def _attach_files(videos: list, video_dir: str | Path | None, what: str) -> Loaded:
    """Pair each video with ``<video_id>.<ext>`` under ``video_dir``; report and skip the rest."""
    if video_dir is None:
        return Loaded(videos)
    files = {p.stem: p for p in list_videos(video_dir)}
    found = [v for v in videos if v.video_id in files]
    missing = [v.video_id for v in videos if v.video_id not in files]
    if missing:
        warnings.warn(
            f"{video_dir}: {len(missing)} of {len(videos)} {what} videos not found, skipped: "
            + ", ".join(missing),
            stacklevel=3,
        )
    return Loaded([_with_file(v, files[v.video_id]) for v in found], missing)


def _with_file(video, path: Path):
    if isinstance(video, YouTubeVideo) and video.fps is None:
        import av  # only needed for videos that youtube_anno.json does not cover

        with av.open(str(path)) as container:
            rate = container.streams.video[0].average_rate
        return dataclasses.replace(video, fps=float(rate) if rate else None, path=path)
    return dataclasses.replace(video, path=path)


def _mat_text(f, ref) -> str:
    return "".join(map(chr, f[ref][()].ravel()))


def _tvsum_from_mat(path: Path) -> list[TVSumVideo]:
    import h5py

    # h5py opens it in C: tell audit hooks (the book's record)
    sys.audit("rasl.read", str(path))
    try:
        with h5py.File(path, "r") as f:
            t = f["tvsum50"]
            videos = []
            for i in range(t["video"].shape[0]):
                anno = np.asarray(f[t["user_anno"][i, 0]][()], dtype=np.float64)
                n_frames = int(f[t["nframes"][i, 0]][()].ravel()[0])
                if anno.shape[0] == n_frames and anno.shape[1] != n_frames:
                    anno = anno.T  # tolerate a file saved the other way round
                videos.append(
                    TVSumVideo(
                        video_id=_mat_text(f, t["video"][i, 0]),
                        category=_mat_text(f, t["category"][i, 0]),
                        title=_mat_text(f, t["title"][i, 0]),
                        duration_s=float(f[t["length"][i, 0]][()].ravel()[0]),
                        user_anno=anno,
                    )
                )
    except (OSError, KeyError) as e:
        raise InputError(path, f"not a TVSum MATLAB v7.3 file ({e})") from None
    return videos


def _seconds(text: str) -> float:
    """``"5:54"``, ``"1:02:03"`` or ``"354.2"`` -> seconds."""
    total = 0.0
    for part in text.strip().split(":"):
        total = total * 60 + float(part)
    return total


def _tvsum_from_tsv(anno_path: Path, info_path: Path) -> list[TVSumVideo]:
    rows: dict[str, list] = {}
    try:
        with open(info_path, newline="") as f:
            info = {r["video_id"]: r for r in csv.DictReader(f, delimiter="\t")}
        with open(anno_path, newline="") as f:
            for n, row in enumerate(csv.reader(f, delimiter="\t"), 1):
                if len(row) != 3:
                    raise InputError(
                        anno_path,
                        f"line {n}: expected 3 tab-separated fields, got {len(row)}",
                    )
                rows.setdefault(row[0], [row[1]]).append(
                    [float(x) for x in row[2].split(",")]
                )
    except (OSError, ValueError, KeyError) as e:
        raise InputError(
            anno_path, f"unreadable TVSum annotation files ({e})"
        ) from None
    videos = []
    for vid, (category, *scores) in rows.items():
        if vid not in info:
            raise InputError(info_path, f"no row for video {vid}")
        if len({len(s) for s in scores}) != 1:
            raise InputError(
                anno_path, f"video {vid}: annotators disagree on the number of frames"
            )
        videos.append(
            TVSumVideo(
                vid,
                category,
                info[vid]["title"],
                _seconds(info[vid]["length"]),
                np.array(scores),
            )
        )
    return videos


def load_tvsum(folder: str | Path, video_dir: str | Path | None = None) -> Loaded:
    """All 50 TVSum videos from ``folder`` (searched recursively for the .mat, else the .tsv pair)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "TVSum folder not found")
    mat = _find(folder, "ydata-tvsum50.mat")
    if mat is not None:
        videos = _tvsum_from_mat(mat)
    else:
        anno, info = (
            _find(folder, "ydata-tvsum50-anno.tsv"),
            _find(folder, "ydata-tvsum50-info.tsv"),
        )
        if anno is None or info is None:
            raise InputError(
                folder,
                "no ydata-tvsum50.mat, nor ydata-tvsum50-anno.tsv with -info.tsv",
            )
        videos = _tvsum_from_tsv(anno, info)
    return _attach_files(videos, video_dir, "TVSum")


def _youtube_video(
    folder: Path, domain: str, vid: str, split: str, fps: float | None
) -> YouTubeVideo:
    label_path = folder / domain / vid / "match_label.json"
    clips, labels = _read_json(label_path)
    clip_path = label_path.with_name("clip.json")
    frames = np.asarray(
        _read_json(clip_path) if clip_path.exists() else clips, dtype=np.float64
    )
    labels = np.asarray(labels, dtype=int)
    if frames.ndim != 2 or frames.shape[1] != 2 or len(frames) != len(labels):
        raise InputError(
            label_path, f"{len(labels)} labels for clips shaped {frames.shape}"
        )
    if not np.isin(labels, (-1, 0, 1)).all():
        raise InputError(label_path, "labels must be 1, 0 or -1")
    return YouTubeVideo(vid, domain, split, frames, labels, fps)


def load_youtube(
    folder: str | Path,
    split: str = "test",
    video_dir: str | Path | None = None,
    selected: bool = False,
) -> Loaded:
    """YouTube Highlights videos of ``split`` ("test", "train" or "all") in Table I's domain order.

    ``selected`` reads ``vlist_sel.json`` (the manually checked subset) instead of ``vlist.json``.
    """
    folder = Path(folder)
    sets = (
        YOUTUBE_SETS["train"] + YOUTUBE_SETS["test"]
        if split == "all"
        else YOUTUBE_SETS.get(split)
    )
    if sets is None:
        raise ValueError(f"split must be 'test', 'train' or 'all', got {split!r}")
    anno_path = folder / "youtube_anno.json"
    fps = (
        {k: float(v["fps"]) for k, v in _read_json(anno_path).items()}
        if anno_path.exists()
        else {}
    )
    videos = []
    for domain in YOUTUBE_DOMAINS:
        vlist = folder / domain / ("vlist_sel.json" if selected else "vlist.json")
        if not vlist.exists():
            raise InputError(vlist, "YouTube Highlights split list not found")
        for ids, name in _read_json(vlist):
            if name in sets:
                videos += [
                    _youtube_video(folder, domain, vid, name, fps.get(vid))
                    for vid in ids
                ]
    return _attach_files(videos, video_dir, "YouTube Highlights")


# --- The benchmarks' published features (UMT release) ---------------------------------
# ``umt/<benchmark>/features/<id>.npz`` holds ``rgb`` (n, 1024) I3D RGB, ``flow`` (n, 1024)
# I3D flow and ``audio`` (n, 2048) PANN vectors, one row per label clip: TVSum's 2-s
# segments, YouTube Highlights' 100-frame clips with stride 50. ``umt/splits.json`` gives
# UMT's train/val lists per category.
VISUAL_STREAMS = {"rgb": ("rgb",), "flow": ("flow",), "rgb+flow": ("rgb", "flow")}


@dataclass(frozen=True, eq=False)
class FeatureVideo:
    """One benchmark video as published features, with its labels aligned row by row.

    ``labels``: YouTube Highlights (n,) in {1, 0, -1}; TVSum (20, n) annotator scores 1-5.
    ``split``: UMT's "train" or "val".
    """

    video_id: str
    benchmark: str
    category: str
    split: str
    labels: np.ndarray
    path: Path

    @property
    def n_clips(self) -> int:
        """Rows of the feature file, one per label clip."""
        return self.labels.shape[-1]

    @property
    def segment_scores(self) -> np.ndarray:
        """TVSum's (20, n) annotator scores, the name ``TVSumVideo`` gives them."""
        if self.benchmark != "tvsum":
            raise AttributeError(
                f"{self.video_id}: a {self.benchmark} video has no annotator scores"
            )
        return self.labels

    def features(self, visual: str = "rgb") -> dict[str, np.ndarray]:
        """{"visual": (n, D_v), "audio": (n, D_v)} float32: the chosen visual stream(s), and the
        2048-d audio vectors linearly interpolated to D_v as Section III-F does."""
        if visual not in VISUAL_STREAMS:
            raise ValueError(
                f"visual must be one of {sorted(VISUAL_STREAMS)}, got {visual!r}"
            )
        with np.load(self.path) as z:
            v = np.concatenate(
                [z[k].astype(np.float32) for k in VISUAL_STREAMS[visual]], axis=1
            )
            a = z["audio"].astype(np.float32)
        if len(v) != self.n_clips or len(a) != self.n_clips:
            raise InputError(
                self.path,
                f"{len(v)} visual and {len(a)} audio rows for {self.n_clips} labels",
            )
        return {"visual": v, "audio": resample_vectors(a, v.shape[1])}

    def stream(self, name: str) -> np.ndarray:
        """One raw array of the file ("rgb", "flow" or "audio"), float32."""
        with np.load(self.path) as z:
            return z[name].astype(np.float32)


def load_feature_benchmark(root: str | Path, benchmark: str) -> Loaded:
    """Every labelled video of ``umt/<benchmark>`` under the data root ``root``, in category order.

    ``split`` is UMT's "train" or "val"; a feature file that no split lists (29 YouTube
    Highlights videos) is kept with split "unlisted". A video that ``splits.json`` lists
    but whose feature file is missing is reported (a warning, and its id in
    ``Loaded.missing``) and skipped.
    """
    order = find_benchmark(benchmark).categories
    umt = Path(root) / "umt"
    folder = umt / benchmark
    anno = _read_json(folder / f"{benchmark}_anno.json")
    splits = {
        vid: split
        for lists in _read_json(umt / "splits.json")[benchmark].values()
        for split, ids in lists.items()
        for vid in ids
    }
    files = {p.stem: p for p in sorted((folder / "features").glob("*.npz"))}
    videos = []
    for vid, path in files.items():
        if vid not in anno:
            continue
        entry = anno[vid]
        labels = (
            np.asarray(entry["match"], dtype=int)
            if benchmark == "youtube"
            else np.asarray(entry["anno"]).T
        )
        videos.append(
            FeatureVideo(
                vid,
                benchmark,
                entry["domain"],
                splits.get(vid, "unlisted"),
                labels,
                path,
            )
        )
    videos.sort(key=lambda v: (order.index(v.category), v.video_id))
    missing = sorted(vid for vid in splits if vid not in files)
    if missing:
        warnings.warn(
            f"{folder}: {len(missing)} videos listed in splits.json have no feature file, skipped: "
            + ", ".join(missing),
            stacklevel=2,
        )
    return Loaded(videos, missing)
