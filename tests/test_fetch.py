"""``rasl data fetch umt`` and ``rasl data check`` (:mod:`rasl.paper.fetch`), offline.

The release's two zips are built here from the data root's 5-video sample
(``umt-release/sample``, the release's own files) under inner top folders of their own,
served by an HTTP server on 127.0.0.1 started here (or given as a folder), fetched, and
compared array for array with the data root's conversion (``umt/``). The manifest they
are checked against is the committed one's 17 lines for the sample's files. Damage is
made for real: a changed byte, a cut zip, a file left out, SIGKILL during a download, a
file-size limit (``RLIMIT_FSIZE``) standing in for a full disk.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from tqdm import tqdm

from rasl.cli import main
from rasl.files import InputError
from rasl.paper import fetch
from rasl.paper.fetch import RELEASE, fetch_umt

COMMITTED = fetch.MANIFEST
INNER = {"youtube": "data/youtube/", "tvsum": "UMT/tvsum/"}  # the zips' top folders
TIMEOUT_S = 120  # per process; these runs take a second
# ``rasl data ...`` in a process of its own, checking against the manifest argv[1]
RUN = (
    "import sys, pathlib, rasl.paper.fetch as f, rasl.cli; "
    "f.MANIFEST = pathlib.Path(sys.argv[1]); sys.exit(rasl.cli.main(sys.argv[2:]))"
)
WHOLE_SAMPLE = {"youtube": 3, "tvsum": 2}  # the sample's videos, all converted
NOTHING_TO_DO = {"youtube": 0, "tvsum": 0}


@pytest.fixture(scope="module")
def shared(umt_root: Path) -> Path:
    """The data root, holding the release's sample and its conversion."""
    if not (umt_root / "umt-release" / "sample").is_dir():
        pytest.skip(
            f"no umt-release/sample in {umt_root}: the release's 5-video "
            "sample, in the shared data (no download command)"
        )
    return umt_root


@pytest.fixture(scope="module")
def sample(shared: Path) -> Path:
    return shared / "umt-release" / "sample"


@pytest.fixture(scope="module")
def videos(sample: Path) -> dict[str, list[str]]:
    """The sample's video ids per benchmark."""
    return {
        b: sorted(p.stem for p in (sample / b / "audio_features").glob("*.npy"))
        for b in RELEASE
    }


@pytest.fixture(scope="module")
def manifest(sample: Path, tmp_path_factory) -> Path:
    """The committed manifest's lines for the sample's files."""
    lines = [
        line
        for line in COMMITTED.read_text().splitlines()
        if (sample / line.split("  ", 1)[1]).is_file()
    ]
    assert len(lines) == 5 * 3 + 2  # three files per video, two annotation files
    path = tmp_path_factory.mktemp("manifest") / "MANIFEST.sha256"
    path.write_text("\n".join(lines) + "\n")
    return path


def zip_release(
    folder: Path, sample: Path, edit=None, compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    """The release's two zips built from ``sample`` in ``folder``, each file under its
    zip's INNER folder; ``edit(path in the data tree, bytes)`` gives a file's bytes, or
    None to leave it out."""
    folder.mkdir(parents=True)
    for benchmark, name in RELEASE.items():
        with zipfile.ZipFile(folder / name, "w", compression) as z:
            for f in sorted(p for p in (sample / benchmark).rglob("*") if p.is_file()):
                rel = f.relative_to(sample / benchmark).as_posix()
                data = f.read_bytes()
                data = data if edit is None else edit(f"{benchmark}/{rel}", data)
                if data is not None:
                    z.writestr(INNER[benchmark] + rel, data)
    return folder


@pytest.fixture(scope="module")
def release(sample: Path, tmp_path_factory) -> Path:
    """A folder holding the two zips, whole."""
    return zip_release(tmp_path_factory.mktemp("zips") / "release", sample)


def files(root: Path) -> list[str]:
    """Every file under ``root/umt``, temporary ones included, relative to it."""
    return sorted(
        p.relative_to(root / "umt").as_posix()
        for p in (root / "umt").rglob("*")
        if p.is_file()
    )


def assert_converted(root: Path, shared: Path, videos: dict[str, list[str]]) -> None:
    """``root/umt`` holds the sample converted exactly as the data root's ``umt/`` holds
    it, and nothing else."""
    want = sorted(
        ["splits.json"]
        + [f"{b}/{b}_anno.json" for b in RELEASE]
        + [f"{b}/features/{v}.npz" for b in RELEASE for v in videos[b]]
    )
    assert files(root) == want
    for name in want:
        got, ref = root / "umt" / name, shared / "umt" / name
        if name.endswith(".json"):
            assert got.read_bytes() == ref.read_bytes()
            continue
        with np.load(got) as g, np.load(ref) as r:
            assert g.files == r.files == ["rgb", "flow", "audio"]
            for key in r.files:
                assert g[key].dtype == r[key].dtype == np.float16
                assert g[key].shape == r[key].shape
                assert g[key].tobytes() == r[key].tobytes()


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the server's folder in 64-KiB chunks, ``server.delay`` s apart."""

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        super().do_GET()

    def copyfile(self, source, outputfile) -> None:
        while chunk := source.read(1 << 16):
            outputfile.write(chunk)
            sent = self.server.sent
            sent[self.path] = sent.get(self.path, 0) + len(chunk)
            time.sleep(self.server.delay)

    def log_message(self, *args) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    """A folder on 127.0.0.1: the paths asked for, and the bytes sent per path."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        self.sent: dict[str, int] = {}
        self.delay = 0.0
        handler = functools.partial(Handler, directory=str(folder))
        super().__init__(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server_port}"

    def handle_error(self, request, client_address) -> None:
        pass  # a killed client's broken pipe


@pytest.fixture
def serve():
    """``serve(folder)``: a started :class:`Server`, shut down after the test."""
    servers = []

    def start(folder: Path) -> Server:
        server = Server(folder)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch) -> Path:
    """The test's own download cache: pooch's cache folder follows XDG_CACHE_HOME."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return fetch.download_cache()


def fetch_command(manifest: Path, *args) -> list[str]:
    return [
        sys.executable,
        "-c",
        RUN,
        str(manifest),
        "data",
        "fetch",
        "umt",
        *map(str, args),
        "--quiet",
    ]


# ------------------------------------------------------------ fetching


def test_a_fetch_over_http_converts_as_the_published_copy(
    shared, videos, manifest, release, serve, cache, tmp_path, capsys
):
    server = serve(release)
    root = tmp_path / "root"
    assert fetch_umt(root, server.url, manifest) == WHOLE_SAMPLE
    bars = capsys.readouterr().err
    for benchmark, name in RELEASE.items():
        size = tqdm.format_sizeof((release / name).stat().st_size)  # e.g. 1.21M
        assert f"{name}: 100%" in bars and f"{size}/{size}" in bars
        assert f"verify {name}: 100%" in bars
        assert f"convert {benchmark}: 100%" in bars
    assert_converted(root, shared, videos)
    assert server.requests == ["/youtube-8a12ff08.zip", "/tvsum-ec05ad4e.zip"]
    assert cache.is_relative_to(tmp_path)
    assert sorted(p.name for p in cache.iterdir()) == sorted(RELEASE.values())


def test_a_rerun_skips_what_is_complete(
    shared, videos, manifest, release, serve, cache, tmp_path
):
    server = serve(release)
    root = tmp_path / "root"
    fetch_umt(root, server.url, manifest, progress=False)
    written = {p: p.stat().st_mtime_ns for p in (root / "umt").rglob("*.*")}
    shutil.rmtree(cache)
    server.requests.clear()
    assert fetch_umt(root, server.url, manifest, progress=False) == NOTHING_TO_DO
    assert server.requests == []  # no zip needed
    assert {p: p.stat().st_mtime_ns for p in written} == written
    gone = root / "umt" / "youtube" / "features" / "iWO6io44-Fs.npz"
    gone.unlink()
    del written[gone]
    one = fetch_umt(root, server.url, manifest, progress=False)
    assert one == {"youtube": 1, "tvsum": 0}
    assert server.requests == ["/youtube-8a12ff08.zip"]
    assert {p: p.stat().st_mtime_ns for p in written} == written
    assert_converted(root, shared, videos)


def test_the_command_fetches_from_a_folder(
    shared, videos, manifest, release, cache, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(fetch, "MANIFEST", manifest)
    root = tmp_path / "root"
    assert (
        main(
            [
                "data",
                "fetch",
                "umt",
                "--root",
                str(root),
                "--from",
                str(release),
                "--quiet",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    assert out.out == (
        f"{root}/umt/youtube: 3 videos converted\n"
        f"{root}/umt/tvsum: 2 videos converted\n"
    )
    assert out.err == ""
    assert_converted(root, shared, videos)
    assert not cache.exists()


def test_the_longest_stream_is_cut_to_the_others(
    shared, videos, manifest, sample, tmp_path
):
    """TVSum's kLxoNp-UchI has one audio row more than video rows in the release."""
    longer = "tvsum/audio_features/EE-bNr36nyA.npy"
    audio = np.load(sample / longer)
    assert len(audio) == 49
    buf = io.BytesIO()
    np.save(buf, np.concatenate([audio, audio[-1:]]))
    longest = buf.getvalue()
    folder = zip_release(
        tmp_path / "zips",
        sample,
        edit=lambda rel, data: longest if rel == longer else data,
    )
    edited = tmp_path / "MANIFEST.sha256"
    line = f"{hashlib.sha256(longest).hexdigest()}  {longer}"
    edited.write_text(
        "".join(
            f"{line if x.endswith(longer) else x}\n"
            for x in manifest.read_text().splitlines()
        )
    )
    root = tmp_path / "root"
    assert fetch_umt(root, str(folder), edited, progress=False) == WHOLE_SAMPLE
    assert_converted(root, shared, videos)
    with np.load(root / "umt" / "tvsum" / "features" / "EE-bNr36nyA.npz") as z:
        assert len(z["audio"]) == len(z["rgb"]) == 49


# ------------------------------------------------------------ bad input


def test_a_changed_byte_is_refused_by_its_hash_and_the_download_deleted(
    shared, videos, manifest, release, sample, serve, cache, tmp_path
):
    changed = "youtube/video_features/qz1UnnxlWhI_opt.npy"
    folder = zip_release(
        tmp_path / "zips",
        sample,
        edit=lambda rel, data: (
            data[:-1] + bytes([data[-1] ^ 1]) if rel == changed else data
        ),
    )
    root = tmp_path / "root"
    with pytest.raises(InputError) as e:
        fetch_umt(root, serve(folder).url, manifest, progress=False)
    assert e.value.path == f"{cache}/youtube-8a12ff08.zip/data/{changed}"
    assert e.value.problem == (
        "SHA-256 differs from the release's manifest; the "
        "download is deleted, a rerun fetches it"
    )
    assert files(root) == []
    assert list(cache.iterdir()) == []
    assert fetch_umt(root, serve(release).url, manifest, progress=False) == WHOLE_SAMPLE
    assert_converted(root, shared, videos)


@pytest.mark.parametrize("damage", ["cut", "flipped"])
def test_a_damaged_zip_is_one_line(
    manifest, sample, tmp_path, monkeypatch, capsys, damage
):
    folder = zip_release(tmp_path / "zips", sample, compression=zipfile.ZIP_STORED)
    path = folder / RELEASE["youtube"]
    data = bytearray(path.read_bytes())
    member = "data/youtube/audio_features/hdklRTNrq0I.npy"
    if damage == "cut":
        data = data[: len(data) // 2]
        line = f"{path}: truncated or corrupt zip (File is not a zip file)"
    else:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(member)
        data[info.header_offset + 30 + len(member) + len(info.extra) + 200] ^= 1
        line = (
            f"{path}/{member}: cannot be read from the zip (Bad CRC-32 for file "
            f"'{member}')"
        )
    path.write_bytes(bytes(data))
    monkeypatch.setattr(fetch, "MANIFEST", manifest)
    root = tmp_path / "root"
    assert (
        main(
            [
                "data",
                "fetch",
                "umt",
                "--root",
                str(root),
                "--from",
                str(folder),
                "--quiet",
            ]
        )
        == 1
    )
    assert capsys.readouterr().err == f"rasl: error: {line}\n"
    assert files(root) == []
    assert path.read_bytes() == data  # a zip of the user's own is left as it is


def test_a_file_left_out_of_the_zip_is_refused(manifest, sample, tmp_path):
    left_out = "youtube/audio_features/iWO6io44-Fs.npy"
    folder = zip_release(
        tmp_path / "zips",
        sample,
        edit=lambda rel, data: None if rel == left_out else data,
    )
    root = tmp_path / "root"
    with pytest.raises(InputError) as e:
        fetch_umt(root, str(folder), manifest, progress=False)
    assert e.value.path == f"{folder}/youtube-8a12ff08.zip/data/{left_out}"
    assert e.value.problem == "not in the zip, though the release's manifest lists it"
    assert files(root) == []


def test_the_committed_manifest_requires_the_whole_release(release, sample, tmp_path):
    listed = [line.split("  ", 1)[1] for line in COMMITTED.read_text().splitlines()]
    absent = sorted(
        n for n in listed if n.startswith("youtube/") and not (sample / n).exists()
    )
    assert len(absent) == 420 * 3 + 1 - (3 * 3 + 1)
    with pytest.raises(InputError) as e:
        fetch_umt(tmp_path / "root", str(release), progress=False)
    assert e.value.path == f"{release}/youtube-8a12ff08.zip/data/{absent[0]}"
    assert e.value.problem == (
        "not in the zip, though the release's manifest lists "
        f"it (and {len(absent) - 1} more)"
    )


def test_a_file_beyond_the_manifest_is_left_out_with_a_warning(
    shared, videos, manifest, sample, tmp_path
):
    folder = zip_release(tmp_path / "zips", sample)
    with zipfile.ZipFile(folder / RELEASE["youtube"], "a") as z:
        z.writestr("data/youtube/audio_features/VVK1KkIKCYQ.npy", b"not listed")
    root = tmp_path / "root"
    zip_path = folder / RELEASE["youtube"]
    with pytest.warns(UserWarning) as caught:
        assert fetch_umt(root, str(folder), manifest, progress=False) == WHOLE_SAMPLE
    extra = "data/youtube/audio_features/VVK1KkIKCYQ.npy"
    assert [str(w.message) for w in caught] == [
        f"{zip_path}: not in the release's manifest, so left out: {extra}"
    ]
    assert_converted(root, shared, videos)


def test_a_failed_download_is_one_line(tmp_path, serve, cache):
    (tmp_path / "empty").mkdir()
    url = serve(tmp_path / "empty").url
    with pytest.raises(InputError) as e:
        fetch_umt(tmp_path / "root", url, progress=False)
    assert e.value.path == f"{url}/youtube-8a12ff08.zip"
    assert e.value.problem == (
        "download failed (404 Client Error: File not found for "
        f"url: {url}/youtube-8a12ff08.zip)"
    )
    assert list(cache.iterdir()) == []


def test_a_folder_without_the_zips_is_one_line(tmp_path, capsys):
    root, folder = tmp_path / "root", tmp_path / "zips"
    folder.mkdir()
    argv = ["data", "fetch", "umt", "--root", str(root), "--from", str(folder)]
    assert main(argv) == 1
    assert capsys.readouterr().err == (
        f"rasl: error: {folder}/youtube-8a12ff08.zip: no such file: the folder must "
        "hold youtube-8a12ff08.zip and tvsum-ec05ad4e.zip\n"
    )


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda lines: lines[:1] + ["not a line"] + lines[1:],
            "line 2: not '<SHA-256>  <path>'",
        ),
        (
            lambda lines: [x for x in lines if "tvsum_anno" not in x],
            "no line for tvsum/tvsum_anno.json",
        ),
    ],
    ids=["bad line", "no annotation line"],
)
def test_a_bad_manifest_is_one_line(tmp_path, edit, problem):
    manifest = tmp_path / "MANIFEST.sha256"
    manifest.write_text("\n".join(edit(COMMITTED.read_text().splitlines())))
    with pytest.raises(InputError) as e:
        fetch_umt(tmp_path / "root", str(tmp_path), manifest, progress=False)
    assert (e.value.path, e.value.problem) == (str(manifest), problem)
    assert not (tmp_path / "root").exists()


def test_an_unwritable_root_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    root = tmp_path / "file" / "root"
    assert main(["data", "fetch", "umt", "--root", str(root)]) == 1
    assert capsys.readouterr().err == (
        f"rasl: error: {root}/umt/youtube/features: "
        "cannot write here (Not a directory)\n"
    )


def test_check_without_a_data_root_is_one_line(monkeypatch, capsys):
    monkeypatch.setattr(fetch, "default_data_root", lambda: None)
    assert main(["data", "check"]) == 1
    assert capsys.readouterr().err == (
        "rasl: error: --root: no data root given, no RASL_DATA and no ../shared/data\n"
    )


# ------------------------------------------------------------ SIGKILL, a full disk


def test_a_killed_fetch_resumes(shared, videos, manifest, release, serve, tmp_path):
    server = serve(release)
    server.delay = 0.05  # the 1.2-MB TVSum zip takes a second
    root = tmp_path / "root"
    command = fetch_command(manifest, "--root", root, "--from", server.url)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    proc = subprocess.Popen(command, **quiet)
    deadline = time.monotonic() + TIMEOUT_S
    while not server.sent.get("/tvsum-ec05ad4e.zip"):  # downloading the second zip
        assert proc.poll() is None, "the fetch ended before it could be killed"
        assert time.monotonic() < deadline, "the fetch never got there"
        time.sleep(0.01)
    proc.kill()
    assert proc.wait() == -signal.SIGKILL
    assert files(root) == [f"youtube/features/{v}.npz" for v in videos["youtube"]] + [
        "youtube/youtube_anno.json"
    ]
    server.delay = 0.0
    server.requests.clear()
    rest = fetch_umt(root, server.url, manifest, progress=False)
    assert rest == {"youtube": 0, "tvsum": 2}
    assert server.requests == ["/tvsum-ec05ad4e.zip"]
    assert_converted(root, shared, videos)


@pytest.mark.parametrize("full_at", ["download", "annotation file", "video"])
def test_a_full_disk_leaves_whole_files_and_a_rerun_completes(
    shared, videos, manifest, release, serve, cache, tmp_path, full_at
):
    root = tmp_path / "root"
    source = str(release)
    if full_at == "download":  # the 255-kB YouTube Highlights zip does not fit
        source = serve(release).url
        limit, failed, kept = 100_000, cache / "youtube-8a12ff08.zip", []
    elif full_at == "annotation file":  # the YouTube videos fit, youtube_anno.json not
        limit, failed = 200_000, root / "umt" / "youtube" / "youtube_anno.json"
        kept = [f"youtube/features/{v}.npz" for v in videos["youtube"]]
    else:  # YouTube Highlights there; a TVSum video's file does not fit
        fetch_umt(root, source, manifest, progress=False)
        shutil.rmtree(root / "umt" / "tvsum")
        limit = 100_000
        failed = root / "umt" / "tvsum" / "features" / "EE-bNr36nyA.npz"
        kept = files(root)

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it: EFBIG

    run = subprocess.run(
        fetch_command(manifest, "--root", root, "--from", source),
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr == (
        f"rasl: error: {failed}: out of space (File too large); nothing written\n"
    )
    assert files(root) == kept
    assert not cache.exists() or list(cache.iterdir()) == []  # no partial download
    fetch_umt(root, source, manifest, progress=False)
    assert_converted(root, shared, videos)


# ------------------------------------------------------------ committed facts, check


def test_the_committed_facts_are_those_of_the_published_conversion(shared, tmp_path):
    entries = fetch.read_manifest(COMMITTED)
    assert len(entries) == 1462
    for benchmark in RELEASE:
        umt = shared / "umt" / benchmark
        converted = sorted(p.stem for p in (umt / "features").glob("*.npz"))
        assert fetch.video_ids(entries, benchmark) == converted
        anno = (umt / f"{benchmark}_anno.json").read_bytes()
        digest = entries[f"{benchmark}/{benchmark}_anno.json"]
        assert hashlib.sha256(anno).hexdigest() == digest
    labelled = (shared / "umt" / "youtube" / "youtube_anno.json").read_text()
    missing = set(json.loads(labelled)) - set(fetch.video_ids(entries, "youtube"))
    assert missing == {"1OLM0_Jzt5M", "VVK1KkIKCYQ"}  # not in the release (SOURCES.md)
    assert fetch.SPLITS.read_bytes() == (shared / "umt" / "splits.json").read_bytes()
    # so the published conversion is complete: a fetch into it needs no zip
    assert fetch_umt(shared, str(tmp_path / "nowhere"), progress=False) == NOTHING_TO_DO


def report(text: str) -> dict[str, tuple[str, str, str | None]]:
    """``rasl data check``'s output: path -> (state, what it holds, get or None)."""
    parts: dict = {}
    last = ""
    for line in text.splitlines()[1:]:
        if line.lstrip().startswith("get: "):
            parts[last] = (*parts[last][:2], line.split("get: ", 1)[1])
        else:
            state, last, holds = line.split(maxsplit=2)
            parts[last] = (state, holds, None)
    return parts


def test_check_says_what_is_there_and_how_to_get_the_rest(
    shared, manifest, release, tmp_path, capsys
):
    root = tmp_path / "my data"
    fetch_umt(root, str(release), manifest, progress=False)
    (root / "videos").mkdir()
    shutil.copy(shared / "videos" / "example2.mp4", root / "videos")
    assert main(["data", "check", "--root", str(root)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == f"data root {root}"
    parts = report(text)
    counts = "youtube 3 of 420 videos, tvsum 2 of 50 videos"
    assert {path: part[:2] for path, part in parts.items()} == {
        "tvsum/": ("missing", "TVSum annotations: none"),
        "tvsum/video/": ("missing", "TVSum videos: 0"),
        "youtube_highlights/": (
            "missing",
            "YouTube Highlights labels: 0 of 6 domains, 0 videos, no youtube_anno.json",
        ),
        "youtube_highlights/videos/": ("missing", "YouTube Highlights videos: 0"),
        "umt/": ("partial", f"UMT's features: {counts}, splits.json"),
        "videos/": ("partial", "real videos: 1, no labels.csv"),
        "activitynet/": ("missing", "pretraining videos: 0"),
    }
    assert parts["umt/"][2] == f"rasl data fetch umt --root '{root}'"
    assert all(
        part[2].startswith("no download command: ")
        for path, part in parts.items()
        if path != "umt/"
    )


def test_check_on_the_shared_data_root(shared, monkeypatch, capsys):
    monkeypatch.setenv("RASL_DATA", str(shared))
    assert main(["data", "check"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == f"data root {shared}"
    parts = report(text)
    assert parts["tvsum/"] == ("ok", "TVSum annotations: ydata-tvsum50.mat", None)
    assert parts["youtube_highlights/"] == (
        "ok",
        "YouTube Highlights labels: 6 of 6 domains, 550 videos, youtube_anno.json",
        None,
    )
    assert parts["umt/"] == (
        "ok",
        "UMT's features: youtube 420 of 420 videos, tvsum 50 of 50 videos, splits.json",
        None,
    )
    assert parts["videos/"] == ("ok", "real videos: 11, labels.csv", None)
