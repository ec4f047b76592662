"""Shared fixtures: the real data root and its parts, a generated video and demo clip, a
seeded generator.

A test that needs a part of the data root asks for its fixture (``umt_root``, ``umt``,
``tvsum``, ``youtube_root``, ``videos_dir``, ``shared_video``); without that part it skips,
and the reason names what is missing and the command or source that gets it. Tests of
what needs no data ask for none of them and run on a bare clone.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from synthetic_media import write_video

from rasl.config import default_data_root
from rasl.data import load_feature_benchmark, load_tvsum
from rasl.paper import demo

# how to get each part of a data root (README: "Getting the data")
SOURCES = {
    "umt": "get umt/ with: rasl data fetch umt --root ROOT, then RASL_DATA=ROOT",
    "tvsum": "tvsum/ydata-tvsum50.mat is TVSum's annotations, matlab/ydata-tvsum50.mat "
    "of github.com/yalesong/tvsum (no download command)",
    "youtube_highlights": "youtube_highlights/ is YouTube Highlights' labels, github.com/"
    "aliensunmin/DomainSpecificHighlight, with data/youtube_uni/youtube_anno.json of "
    "github.com/wjun0830/CGDETR beside them (no download command)",
    "videos": "videos/ is any videos with videos/labels.csv; the shared data's public "
    "sample videos are listed in its SOURCES.md (no download command)",
}
NO_ROOT = "no data root (RASL_DATA unset, no ../shared/data beside the checkout)"


def in_data_root(part: str) -> Path:
    """``part`` of the data root (a key of ``SOURCES``); the test skips without it."""
    root = default_data_root()
    if root is None or not (Path(root) / part).exists():
        where = NO_ROOT if root is None else f"no {part}/ in the data root {root}"
        pytest.skip(f"{where}: {SOURCES[part]}")
    return Path(root) / part


@pytest.fixture(scope="session")
def data_root() -> Path:
    """``RASL_DATA`` (or ``../shared/data``), for tests that read the parts the fixtures
    below check; it skips on a bare clone."""
    root = default_data_root()
    if root is None:
        pytest.skip(f"{NO_ROOT}: README, 'Getting the data', says how to make one")
    return Path(root)


@pytest.fixture(scope="session")
def umt_root() -> Path:
    """The data root, where it holds ``umt/``: the benchmarks' published features."""
    return in_data_root("umt").parent


@pytest.fixture(scope="session")
def umt(umt_root: Path) -> dict:
    """Both benchmarks' published features, loaded once: {"youtube": ..., "tvsum": ...}."""
    with warnings.catch_warnings():  # the 28 listed YouTube videos without features
        warnings.simplefilter("ignore")
        return {b: load_feature_benchmark(umt_root, b) for b in ("youtube", "tvsum")}


@pytest.fixture(scope="session")
def youtube_root() -> Path:
    """YouTube Highlights' label repository with ``youtube_anno.json``."""
    return in_data_root("youtube_highlights")


@pytest.fixture(scope="session")
def videos_dir() -> Path:
    return in_data_root("videos")


@pytest.fixture(scope="session")
def shared_video(videos_dir: Path):
    """``shared_video(name)``: that shared video's path; the test skips where this data root lacks it."""

    def get(name: str) -> Path:
        if not (videos_dir / name).exists():
            pytest.skip(f"no videos/{name} in the data root: {SOURCES['videos']}")
        return videos_dir / name

    return get


@pytest.fixture(scope="session")
def tvsum() -> list:
    """The 50 TVSum videos with their annotations (read once per session)."""
    return load_tvsum(in_data_root("tvsum")).videos


@pytest.fixture(scope="session")
def small_video(tmp_path_factory) -> Path:
    """A silent 9.6-s 64x64 H.264 video written here, for tests that need any video but no
    data root: 240 frames at 25 fps (48 steps of 0.2 s), each step a different grey."""
    images = [np.full((64, 64, 3), (k // 5) * 5, np.uint8) for k in range(240)]
    return write_video(
        tmp_path_factory.mktemp("video") / "small.mp4",
        [40 * k for k in range(240)],
        images,
    )


@pytest.fixture(scope="session")
def demo_clip(tmp_path_factory) -> Path:
    """The first clip of the generated demo set (12 s, with sound), written here: no data root needed."""
    path = tmp_path_factory.mktemp("demo") / demo.CLIPS[0].name
    demo.write_clip(demo.CLIPS[0], path)
    return path


@pytest.fixture(autouse=True)
def seeded_torch():
    """Every test starts from torch's seed 0: models built from the global generator must
    not depend on which tests ran before (at the tests' tiny widths a random start can
    leave a ReLU layer dead: the audio decoder of test_ablation_removes_its_part in 3 of
    30 seeds, so it failed or passed with the order of the suite)."""
    torch.manual_seed(0)


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


requires_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"
)
