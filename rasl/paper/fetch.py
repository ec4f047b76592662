"""``rasl data``: fetch the UMT feature release into a data root; check a data root.

The UMT authors (Liu et al., CVPR 2022) publish the YouTube Highlights and TVSum
features as two zips (:data:`RELEASE`). :func:`fetch_umt` downloads them with pooch (or
takes them from a mirror URL or a local folder), checks every file of their data tree
against the SHA-256 manifest committed in ``umt_release/``, and converts each video
into ``umt/<benchmark>/features/<id>.npz`` (float16 ``rgb``, ``flow``, ``audio``, rows
cut to the shortest of the three), beside ``<benchmark>_anno.json`` as published and
``umt/splits.json`` (UMT's split lists): the layout that
:func:`rasl.data.load_feature_benchmark` reads. :func:`check_data_root` says what a
data root holds and how to get what it lacks.

numpy, pooch and tqdm are imported where they are used, so that adding the commands to
the command line costs no start-up time.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shlex
import sys
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from rasl.config import default_data_root
from rasl.files import OUT_OF_SPACE, InputError, atomic_path, list_videos

RELEASE_URL = "https://huggingface.co/yeliudev/UMT/resolve/main/datasets"
RELEASE = {"youtube": "youtube-8a12ff08.zip", "tvsum": "tvsum-ec05ad4e.zip"}
FACTS = Path(__file__).with_name("umt_release")
MANIFEST = FACTS / "MANIFEST.sha256"  # the SHA-256 of every file of the release
SPLITS = FACTS / "splits.json"  # UMT's split lists
STREAMS = {  # array of a converted file -> the release's file, per video id
    "rgb": "video_features/{}_rgb.npy",
    "flow": "video_features/{}_opt.npy",
    "audio": "audio_features/{}.npy",
}
DOWNLOAD_CHUNK = 1 << 20  # bytes


def read_manifest(path: str | os.PathLike) -> dict[str, str]:
    """``sha256sum`` lines -> {path in the release's data tree: SHA-256 hex digest}."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as e:
        raise InputError(path, f"cannot read ({e.strerror or e})") from None
    entries = {}
    for n, line in enumerate(lines, 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise InputError(path, f"line {n}: not '<SHA-256>  <path>'")
        entries[name] = digest
    for benchmark in RELEASE:
        if _anno(benchmark) not in entries:
            raise InputError(path, f"no line for {_anno(benchmark)}")
    return entries


def video_ids(entries: dict[str, str], benchmark: str) -> list[str]:
    """The videos of ``benchmark`` whose three feature files ``entries`` lists,
    sorted."""
    audio = f"{benchmark}/audio_features/"
    ids = [
        n[len(audio) : -len(".npy")]
        for n in entries
        if n.startswith(audio) and n.endswith(".npy")
    ]
    paths = [f"{benchmark}/{stream}" for stream in STREAMS.values()]
    return sorted(v for v in ids if all(p.format(v) in entries for p in paths))


def _anno(benchmark: str) -> str:
    """The annotation file's path in the release's data tree."""
    return f"{benchmark}/{benchmark}_anno.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _converted(folder: Path, video: str) -> Path:
    return folder / "features" / f"{video}.npz"


def _complete(folder: Path, benchmark: str, entries: dict[str, str]) -> bool:
    """Whether ``folder`` (``umt/<benchmark>``) holds the manifest's annotation file and
    every video of the manifest."""
    anno = folder / f"{benchmark}_anno.json"
    return (
        anno.is_file()
        and _sha256(anno.read_bytes()) == entries[_anno(benchmark)]
        and all(_converted(folder, v).is_file() for v in video_ids(entries, benchmark))
    )


def download_cache() -> Path:
    """Where downloaded zips are kept: pooch's cache folder for rasl."""
    import pooch

    return pooch.os_cache("rasl") / "umt-release"


def _writable(folder: Path) -> None:
    """Create ``folder``; an InputError unless a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        raise InputError(folder, f"cannot write here ({e.strerror or e})") from None


def _download(url: str, name: str, progress: bool) -> Path:
    """``url`` saved as ``name`` in :func:`download_cache`, unless it is there."""
    import pooch
    import requests
    from tqdm import tqdm

    cache = download_cache()
    fresh = progress and not (cache / name).exists()
    # pooch sets the bar's total, but takes a bar without one for no bar
    bar = tqdm(desc=name, total=1, unit="B", unit_scale=True) if fresh else False
    downloader = pooch.HTTPDownloader(progressbar=bar, chunk_size=DOWNLOAD_CHUNK)
    pooch.get_logger().setLevel("WARNING")  # not its advice to pin the zip's own hash
    try:
        path = pooch.retrieve(
            url, known_hash=None, fname=name, path=cache, downloader=downloader
        )
        return Path(path)
    except requests.RequestException as e:
        raise InputError(url, f"download failed ({e})") from None
    except OSError as e:
        if e.errno in OUT_OF_SPACE:
            problem = f"out of space ({e.strerror}); nothing written"
            raise InputError(cache / name, problem) from None
        raise InputError(cache, f"cannot write here ({e.strerror or e})") from None


def _zip_file(name: str, source: str | None, progress: bool) -> tuple[Path, bool]:
    """The release's zip ``name`` from ``source`` (a URL or a folder; None: the
    official URL), and whether it was downloaded (into the cache)."""
    if source is not None and "://" not in source:
        path = Path(source) / name
        if not path.is_file():
            names = " and ".join(RELEASE.values())
            raise InputError(path, f"no such file: the folder must hold {names}")
        return path, False
    url = f"{(source or RELEASE_URL).rstrip('/')}/{name}"
    return _download(url, name, progress), True


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise InputError(path, f"truncated or corrupt zip ({e})") from None
    except OSError as e:
        raise InputError(path, f"cannot read ({e.strerror or e})") from None


def _read(zf: zipfile.ZipFile, member: str) -> bytes:
    """A member's bytes; a damaged member is an InputError naming it inside the zip."""
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        problem = f"cannot be read from the zip ({e})"
        raise InputError(f"{zf.filename}/{member}", problem) from None


def _verified(
    zf: zipfile.ZipFile, benchmark: str, entries: dict[str, str], progress: bool
) -> dict[str, str]:
    """{path in the data tree: member} for every file of ``benchmark`` that ``entries``
    lists, each checked to be in the zip with its SHA-256.

    The data tree is the folder that holds ``<benchmark>_anno.json``, wherever it is in
    the zip. Its files that ``entries`` does not list are left out, with a warning.
    """
    from tqdm import tqdm

    anno = f"{benchmark}_anno.json"
    found = [n for n in zf.namelist() if n.rsplit("/", 1)[-1] == anno]
    if len(found) != 1:
        problem = f"{len(found)} files named {anno} inside, where the release has one"
        raise InputError(zf.filename, problem)
    prefix = found[0][: -len(anno)]
    tree = {
        f"{benchmark}/{n[len(prefix) :]}": n
        for n in zf.namelist()
        if n.startswith(prefix) and not n.endswith("/")
    }
    listed = sorted(name for name in entries if name.startswith(f"{benchmark}/"))
    missing = [name for name in listed if name not in tree]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        member = prefix + missing[0].split("/", 1)[1]
        problem = f"not in the zip, though the release's manifest lists it{more}"
        raise InputError(f"{zf.filename}/{member}", problem)
    if extra := sorted(tree[n] for n in set(tree) - set(listed)):
        listing = ", ".join(extra)
        warnings.warn(
            f"{zf.filename}: not in the release's manifest, so left out: {listing}"
        )
    desc = f"verify {Path(zf.filename).name}"
    for name in tqdm(listed, desc=desc, unit="file", disable=not progress):
        if _sha256(_read(zf, tree[name])) != entries[name]:
            problem = "SHA-256 differs from the release's manifest"
            raise InputError(f"{zf.filename}/{tree[name]}", problem)
    return {name: tree[name] for name in listed}


def _convert(
    zf: zipfile.ZipFile,
    members: dict[str, str],
    benchmark: str,
    entries: dict[str, str],
    folder: Path,
    progress: bool,
) -> int:
    """Write the videos ``folder`` lacks, then the annotation file; returns how many
    videos were written."""
    import numpy as np
    from tqdm import tqdm

    ids = video_ids(entries, benchmark)
    todo = [v for v in ids if not _converted(folder, v).is_file()]
    bar = tqdm(todo, desc=f"convert {benchmark}", unit="video", disable=not progress)
    for video in bar:
        arrays = {}
        for key, stream in STREAMS.items():
            data = _read(zf, members[f"{benchmark}/{stream.format(video)}"])
            arrays[key] = np.load(io.BytesIO(data), allow_pickle=False)
        rows = min(len(a) for a in arrays.values())
        with atomic_path(_converted(folder, video)) as tmp:
            cut = {k: a[:rows].astype(np.float16) for k, a in arrays.items()}
            np.savez_compressed(tmp, **cut)
    _copy(_read(zf, members[_anno(benchmark)]), folder / f"{benchmark}_anno.json")
    return len(todo)


def _copy(data: bytes, dest: Path) -> None:
    """Write ``data`` to ``dest`` unless ``dest`` holds them already."""
    if not (dest.is_file() and dest.read_bytes() == data):
        with atomic_path(dest) as tmp:
            tmp.write_bytes(data)


def fetch_umt(
    root: str | os.PathLike,
    source: str | None = None,
    manifest: str | os.PathLike | None = None,
    progress: bool = True,
) -> dict[str, int]:
    """Fetch, verify and convert the UMT feature release into ``root/umt``.

    ``source``: a mirror URL or a local folder holding the two zips under their official
    names (default: the official URL; downloads are kept in :func:`download_cache`).
    ``manifest``: the ``sha256sum`` list that the files of the release's data tree must
    all match, none missing (default: the committed :data:`MANIFEST`). A benchmark whose
    annotation file and videos are all in ``root/umt`` is skipped without its zip; else
    the whole zip is verified before a file is written, then the videos not converted
    yet are (each whole or not at all). A downloaded zip that fails is deleted from the
    cache. Returns the number of videos converted per benchmark.
    """
    entries = read_manifest(MANIFEST if manifest is None else manifest)
    umt = Path(root) / "umt"
    converted = {}
    for benchmark, name in RELEASE.items():
        folder = umt / benchmark
        if _complete(folder, benchmark, entries):
            converted[benchmark] = 0
            continue
        _writable(folder / "features")
        path, downloaded = _zip_file(name, source, progress)
        with contextlib.ExitStack() as stack:
            try:
                zf = stack.enter_context(_open_zip(path))
                members = _verified(zf, benchmark, entries, progress)
            except InputError as e:
                if not downloaded:
                    raise
                path.unlink(missing_ok=True)
                problem = f"{e.problem}; the download is deleted, a rerun fetches it"
                raise InputError(e.path, problem) from None
            n = _convert(zf, members, benchmark, entries, folder, progress)
            converted[benchmark] = n
    _copy(SPLITS.read_bytes(), umt / "splits.json")
    return converted


# --- What a data root holds -------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """One part of a data root. ``state``: "ok", "partial" or "missing"; ``get``: the
    command that gets it, or where to get it."""

    path: str  # relative to the root, ending in "/"
    state: str
    holds: str
    get: str


def _state(ok: bool, some: bool) -> str:
    return "ok" if ok else "partial" if some else "missing"


def _count_videos(folder: Path) -> int:
    return len(list_videos(folder)) if folder.is_dir() else 0


def _videos(root: Path, path: str, what: str, get: str) -> Holding:
    """A folder of videos, at any depth."""
    n = _count_videos(root / path)
    return Holding(f"{path}/", _state(n > 0, False), f"{what}: {n}", get)


def _tvsum_annotations(root: Path) -> Holding:
    folder = root / "tvsum"
    names = ("ydata-tvsum50.mat", "ydata-tvsum50-anno.tsv", "ydata-tvsum50-info.tsv")
    found = [n for n in names if folder.is_dir() and next(folder.rglob(n), None)]
    ok = names[0] in found or tuple(found) == names[1:]
    return Holding(
        "tvsum/",
        _state(ok, bool(found)),
        f"TVSum annotations: {', '.join(found) or 'none'}",
        "no download command: ydata-tvsum50.mat from github.com/yalesong/tvsum "
        "(matlab/)",
    )


def _youtube_labels(root: Path) -> Holding:
    from rasl.data import YOUTUBE_DOMAINS

    folder = root / "youtube_highlights"
    domains = [d for d in YOUTUBE_DOMAINS if (folder / d / "vlist.json").is_file()]
    labelled = len(list(folder.glob("*/*/match_label.json")))
    fps = "" if (folder / "youtube_anno.json").is_file() else "no "
    state = _state(len(domains) == len(YOUTUBE_DOMAINS), bool(domains))
    return Holding(
        "youtube_highlights/",
        state,
        f"YouTube Highlights labels: {len(domains)} of {len(YOUTUBE_DOMAINS)} domains, "
        f"{labelled} videos, {fps}youtube_anno.json",
        "no download command: github.com/aliensunmin/DomainSpecificHighlight, and "
        "youtube_anno.json from github.com/wjun0830/CGDETR (data/youtube_uni/)",
    )


def _umt_features(root: Path) -> Holding:
    entries = read_manifest(MANIFEST)
    umt = root / "umt"
    counts = []
    for benchmark in RELEASE:
        ids = video_ids(entries, benchmark)
        done = sum(_converted(umt / benchmark, v).is_file() for v in ids)
        counts.append(f"{benchmark} {done} of {len(ids)} videos")
    complete = all(_complete(umt / b, b, entries) for b in RELEASE)
    splits = (umt / "splits.json").is_file()
    return Holding(
        "umt/",
        _state(complete and splits, umt.is_dir()),
        f"UMT's features: {', '.join(counts)}, {'' if splits else 'no '}splits.json",
        f"rasl data fetch umt --root {shlex.quote(str(root))}",
    )


def _labelled_videos(root: Path) -> Holding:
    n = _count_videos(root / "videos")
    labels = (root / "videos" / "labels.csv").is_file()
    return Holding(
        "videos/",
        _state(n > 0 and labels, n > 0),
        f"real videos: {n}, {'' if labels else 'no '}labels.csv",
        "no download command: short videos of your own (the smoke profile pretrains on "
        "them), and labels.csv (video,start_s,end_s,source) marking their highlights",
    )


def check_data_root(root: str | os.PathLike) -> list[Holding]:
    """What the data root ``root`` holds of what the project reads, part by part."""
    root = Path(root)
    return [
        _tvsum_annotations(root),
        _videos(
            root,
            "tvsum/video",
            "TVSum videos",
            "no download command: the TVSum50 videos (Yahoo Webscope, see "
            "github.com/yalesong/tvsum) as <youtube_id>.<ext>",
        ),
        _youtube_labels(root),
        _videos(
            root,
            "youtube_highlights/videos",
            "YouTube Highlights videos",
            "no download command: the YouTube videos the label folders name, as "
            "<youtube_id>.<ext>",
        ),
        _umt_features(root),
        _labelled_videos(root),
        _videos(
            root,
            "activitynet",
            "pretraining videos",
            "no download command: ActivityNet's videos (the paper profile "
            "pretrains on them), from activity-net.org",
        ),
    ]


def format_check(root: str | os.PathLike, holdings: list[Holding]) -> str:
    """The report of :func:`check_data_root`: a line per part, and below each part that
    is not whole, a ``get:`` line."""
    width = max(len(h.path) for h in holdings)
    lines = [f"data root {root}"]
    for h in holdings:
        lines.append(f"{h.state:<8} {h.path:<{width}}  {h.holds}")
        if h.state != "ok":
            lines.append(f"{'':<8} {'':<{width}}  get: {h.get}")
    return "\n".join(lines) + "\n"


# --- Command line -----------------------------------------------------------------


def add_parser(sub) -> None:
    """Add ``data fetch`` and ``data check`` to the subparsers ``sub``."""
    data = sub.add_parser("data", help="fetch the UMT features; check a data root")
    commands = data.add_subparsers(dest="data_command", required=True)

    p = commands.add_parser(
        "fetch",
        help="download, verify and convert the UMT feature release into "
        "ROOT/umt (a rerun skips what is complete)",
    )
    p.add_argument("what", choices=["umt"])
    p.add_argument("--root", required=True, help="the data root that receives umt/")
    p.add_argument(
        "--from",
        dest="source",
        metavar="URL_OR_FOLDER",
        help=f"a mirror URL or a folder holding {' and '.join(RELEASE.values())} "
        "(default: the official URL; downloads are kept in pooch's cache folder for "
        "rasl, e.g. ~/.cache/rasl/umt-release)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    def fetch(a) -> int:
        for benchmark, n in fetch_umt(a.root, a.source, progress=not a.quiet).items():
            print(f"{Path(a.root) / 'umt' / benchmark}: {n} videos converted")
        return 0

    p.set_defaults(run=fetch)

    p = commands.add_parser("check", help="what a data root holds, how to get the rest")
    p.add_argument("--root", help="default: RASL_DATA, else ../shared/data")

    def check(a) -> int:
        root = a.root or default_data_root()
        if root is None:
            problem = "no data root given, no RASL_DATA and no ../shared/data"
            raise InputError("--root", problem)
        sys.stdout.write(format_check(root, check_data_root(root)))
        return 0

    p.set_defaults(run=check)
