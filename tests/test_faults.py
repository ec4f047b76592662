"""Faults lose nothing: files that would run code, damaged caches, killed runs, a full disk.

Each fault is made for real in a separate ``python -m rasl`` process: a pickle that runs a
command, cache files cut short, emptied or overwritten, two processes writing one cache
file, SIGKILL in the middle of a run, and a file-size limit (``RLIMIT_FSIZE``) standing in
for a full disk. The README's reliability table summarises what they show.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from test_train import clips, run_cfg  # noqa: F401  (clips is a fixture)

from rasl.train import pretrain, read_loss_log

pytestmark = pytest.mark.faults

TIMEOUT_S = 300  # per process; these runs take seconds


def rasl(*args, fsize: int | None = None) -> subprocess.CompletedProcess:
    """``python -m rasl ARGS``; ``fsize``: the largest file it may write, in bytes (a full disk)."""

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        # a write past the limit fails with EFBIG, not a signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return subprocess.run(
        [sys.executable, "-m", "rasl", *map(str, args), "--quiet"],
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size if fsize else None,
        timeout=TIMEOUT_S,
    )


def error_line(run: subprocess.CompletedProcess, path: Path) -> str:
    """The one stderr line of a run that failed with status 1, which names ``path``."""
    lines = run.stderr.splitlines()
    assert run.returncode == 1 and len(lines) == 1 and str(path) in lines[0], run.stderr
    return lines[0]


def kill_when(argv: list, done, timeout_s: float = TIMEOUT_S) -> None:
    """Start ``python -m rasl ARGV`` and SIGKILL it as soon as ``done()`` holds."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rasl", *map(str, argv), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while not done():
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.01)
    proc.kill()
    assert proc.wait() == -signal.SIGKILL


def complete_files(folder: Path, pattern: str) -> dict[str, int]:
    """Name -> modification time (ns) of the files matching ``pattern``, without hidden temporary ones."""
    return {
        p.name: p.stat().st_mtime_ns
        for p in folder.glob(pattern)
        if not p.name.startswith(".")
    }


def npz_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def assert_same_npz(a: Path, b: Path) -> None:
    x, y = npz_arrays(a), npz_arrays(b)
    assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x), a.name


@pytest.fixture(scope="module")
def smoke_cache(videos_dir, tmp_path_factory) -> tuple[list[Path], Path]:
    """Two short videos with audio and their smoke-profile features, cached once."""
    videos = [videos_dir / "example2.mp4", videos_dir / "fire2.mp4"]
    cache = tmp_path_factory.mktemp("smoke_cache")
    assert rasl("features", *videos, "--out", cache, "--device", "cpu").returncode == 0
    return videos, cache


# ------------------------------------------------------------ files that would run code


class RunsCommand:
    """Unpickling this object runs ``command``: what a malicious checkpoint holds."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


@pytest.fixture
def malicious(tmp_path) -> tuple[Path, Path]:
    """A rasl-looking checkpoint whose loading would create ``marker``: (file, marker)."""
    path, marker = tmp_path / "shared.pt", tmp_path / "pwned"
    torch.save({"format": 1, "model": RunsCommand(f"touch {marker}")}, path)
    # the threat is real: an unrestricted load runs the command
    torch.load(path, weights_only=False)
    assert marker.exists()
    marker.unlink()
    return path, marker


@pytest.mark.parametrize(
    "options",
    [
        ["score", "--checkpoint"],
        ["features", "--weights"],  # efficientnet_lite0, the smoke profile's
        ["features", "--visual", "swin", "--weights"],
        ["features", "--audio", "hubert", "--audio-weights"],
    ],
    ids=["checkpoint", "efficientnet-weights", "swin-weights", "hubert-weights"],
)
def test_a_file_that_would_run_code_is_refused(
    malicious, small_video, tmp_path, options
):
    path, marker = malicious
    command, *flags = options
    out = (
        ["--out", tmp_path / "out", "--device", "cpu"] if command == "features" else []
    )
    run = rasl(command, small_video, *out, *flags, path)
    line = error_line(run, path)
    assert (
        "refused: it holds Python objects (posix.system), and loading those could run code"
        in line
    )
    assert not marker.exists()


# ------------------------------------------------------------ caches that heal


def test_damaged_cache_files_are_reported_once_and_recomputed(shared_video, tmp_path):
    videos = [shared_video(n) for n in ("chaplin.mp4", "example2.mp4", "fire2.mp4")]
    cache, good = tmp_path / "cache", tmp_path / "good"
    assert (
        rasl("features", *videos, "--out", cache, "--visual", "pixels").returncode == 0
    )
    shutil.copytree(cache, good)
    # chaplin, example2, fire2
    files = {p.name.split(".")[0]: p for p in sorted(cache.iterdir())}
    data = files["chaplin"].read_bytes()
    files["chaplin"].write_bytes(data[: len(data) // 2])  # cut short
    files["example2"].write_bytes(b"")  # emptied
    files["fire2"].write_bytes(np.random.default_rng(0).bytes(4096))  # overwritten

    run = rasl("features", *videos, "--out", cache, "--visual", "pixels")
    assert run.returncode == 0 and run.stdout == ""
    assert sorted(run.stderr.splitlines()) == [
        f"rasl: warning: {p}: damaged feature cache file ({kind}), recomputing it"
        for p, kind in zip(files.values(), ("BadZipFile", "EOFError", "ValueError"))
    ]
    for p in files.values():
        assert_same_npz(p, good / p.name)
    assert (
        rasl("features", *videos, "--out", cache, "--visual", "pixels").stderr == ""
    )  # healed: nothing to report


RACE = """
import dataclasses, os, sys, time
from pathlib import Path
from rasl import features
from rasl.config import smoke

video, cache, barrier = sys.argv[1:]
write = features.write_cache

def together(path, feats):  # wait until the other process has its features too, then both write
    Path(barrier, str(os.getpid())).touch()
    while len(os.listdir(barrier)) < 2:
        time.sleep(0.001)
    write(path, feats)

features.write_cache = together
features.extract_features(video, dataclasses.replace(smoke().features, visual="pixels"), cache_dir=cache)
"""


def test_two_processes_writing_one_cache_file_leave_it_whole(shared_video, tmp_path):
    video, cache, barrier = (
        shared_video("chaplin.mp4"),
        tmp_path / "cache",
        tmp_path / "barrier",
    )
    barrier.mkdir()
    procs = [
        subprocess.Popen([sys.executable, "-c", RACE, video, cache, barrier])
        for _ in range(2)
    ]
    assert [p.wait(TIMEOUT_S) for p in procs] == [0, 0]
    (written,) = cache.iterdir()  # one file, no temporary left
    assert (
        rasl(
            "features", video, "--out", tmp_path / "alone", "--visual", "pixels"
        ).returncode
        == 0
    )
    (alone,) = (tmp_path / "alone").iterdir()
    assert_same_npz(written, alone)
    before = complete_files(cache, "*")
    run = rasl("features", video, "--out", cache, "--visual", "pixels")
    assert (
        run.returncode == 0
        and run.stderr == ""
        and complete_files(cache, "*") == before
    )  # read, not rewritten


# ------------------------------------------------------------ killed runs resume


def test_a_killed_features_run_resumes_where_it_stopped(videos_dir, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    names = [
        "chaplin.mp4",
        "example2.mp4",
        "fire2.mp4",
        "smpte-2997.mp4",
        "v_GGSY1Qvo990.mp4",
    ]
    for name in names:
        (folder / name).symlink_to(videos_dir / name)
    out, straight = tmp_path / "out", tmp_path / "straight"
    argv = ["features", folder, "--out", out, "--visual", "pixels"]
    kill_when(argv, lambda: out.exists() and bool(complete_files(out, "*.npz")))
    before = complete_files(out, "*.npz")
    assert 0 < len(before) < len(names)

    assert rasl(*argv).returncode == 0
    after = complete_files(out, "*.npz")
    # the complete ones were kept
    assert len(after) == len(names) and {k: after[k] for k in before} == before
    assert (
        rasl("features", folder, "--out", straight, "--visual", "pixels").returncode
        == 0
    )
    assert after.keys() == complete_files(straight, "*.npz").keys()
    for name in after:
        assert_same_npz(out / name, straight / name)


def test_a_killed_pretraining_resumes_to_the_same_log_and_weights(
    smoke_cache, tmp_path
):
    videos, cache = smoke_cache
    out, straight = tmp_path / "out", tmp_path / "straight"
    argv = [
        "pretrain",
        *videos,
        "--cache",
        cache,
        "--steps",
        2,
        "--checkpoint-every",
        1,
    ]
    kill_when([*argv, "--out", out], (out / "last.pt").exists)  # saved after step_1.pt
    first = complete_files(out, "step_1.pt")

    assert rasl(*argv, "--out", out, "--resume", out / "last.pt").returncode == 0
    assert complete_files(out, "step_1.pt") == first  # step 1 was not redone
    assert rasl(*argv, "--out", straight).returncode == 0
    assert read_loss_log(out / "losses.jsonl") == read_loss_log(
        straight / "losses.jsonl"
    )
    resumed, whole = (
        torch.load(d / "last.pt", weights_only=True) for d in (out, straight)
    )
    for key in ("model", "rng"):
        assert all(torch.equal(resumed[key][k], whole[key][k]) for k in whole[key]), key
    assert resumed["step"] == whole["step"] == 2


def test_a_killed_benchmark_run_resumes_to_the_same_results(umt_root, tmp_path):
    out, straight = tmp_path / "out", tmp_path / "straight"
    argv = [
        "benchmark",
        "--data",
        umt_root,
        "--benchmark",
        "youtube",
        "--protocol",
        "per-video",
        "--seeds",
        1,
        "--videos",
        1,
    ]  # 6 videos, each adapted on alone
    kill_when(
        [*argv, "--out", out],
        lambda: len(complete_files(out / "scores" / "0", "*.csv")) >= 2,
    )
    first = complete_files(out / "scores" / "0", "*.csv")
    assert 2 <= len(first) < 6 and not (out / "results.csv").exists()

    assert rasl(*argv, "--out", out, "--quiet").returncode == 0
    assert {
        k: v
        for k, v in complete_files(out / "scores" / "0", "*.csv").items()
        if k in first
    } == first  # kept
    assert rasl(*argv, "--out", straight, "--quiet").returncode == 0
    assert (out / "results.csv").read_text() == (straight / "results.csv").read_text()
    # other settings, same folder
    other = rasl(*argv[:-2], "--videos", 2, "--out", out, "--quiet")
    assert other.returncode == 1 and "holds a run with other settings" in other.stderr


def test_resuming_drops_what_a_killed_run_logged_after_its_checkpoint(tmp_path, clips):  # noqa: F811
    pretrain(run_cfg(tmp_path), clips, progress=False)
    whole = (tmp_path / "losses.jsonl").read_text()
    # as a run killed in step 5 leaves it: checkpoint at step 3, steps 4 and half of 5 logged
    shutil.copy(tmp_path / "step_3.pt", tmp_path / "last.pt")
    lines = whole.splitlines(keepends=True)
    (tmp_path / "losses.jsonl").write_text("".join(lines[:4]) + lines[4][:20])
    pretrain(run_cfg(tmp_path), clips, resume=str(tmp_path / "last.pt"), progress=False)
    assert (tmp_path / "losses.jsonl").read_text() == whole


# ------------------------------------------------------------ a full disk


def test_a_full_disk_while_writing_a_cache_file(shared_video, tmp_path):
    out = tmp_path / "cache"
    run = rasl(
        "features",
        shared_video("example2.mp4"),
        "--out",
        out,
        "--visual",
        "pixels",
        fsize=20_000,
    )
    line = error_line(run, out)
    assert re.fullmatch(
        rf"rasl: failed: {out}/example2\.pixels\.mel\.\w+\.npz: out of space \(File too large\)"
        "; nothing written",
        line,
    )
    assert list(out.iterdir()) == []


def test_a_full_disk_while_writing_a_checkpoint(smoke_cache, tmp_path):
    videos, cache = smoke_cache
    out = tmp_path / "run"
    run = rasl(
        "pretrain", *videos, "--cache", cache, "--steps", 1, "--out", out, fsize=1 << 20
    )  # 100 MB each
    ckpt = out / "step_1.pt"
    assert (
        error_line(run, ckpt)
        == f"rasl: error: {ckpt}: out of space (File too large); nothing written"
    )
    # the log of the step, and no checkpoint
    assert [p.name for p in out.iterdir()] == ["losses.jsonl"]


@pytest.mark.parametrize(
    ("command", "output", "fsize"),
    [
        (["score", "--adapt-steps", "0", "--out"], "curve.csv", 100),
        (
            ["highlights", "--adapt-steps", "0", "--total", "5", "--reel"],
            "reel.mp4",
            10_000,
        ),
    ],
)
def test_a_full_disk_while_writing_a_score_file_or_reel(
    shared_video, tmp_path, command, output, fsize
):
    name, *flags = command
    out = tmp_path / "out" / output
    run = rasl(name, shared_video("example2.mp4"), *flags, out, fsize=fsize)
    assert (
        error_line(run, out)
        == f"rasl: error: {out}: out of space (File too large); nothing written"
    )
    assert list(out.parent.iterdir()) == []
