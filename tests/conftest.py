"""Shared fixtures: the real data root, its videos and TVSum annotations, a seeded generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from synthetic_media import write_video

from rasl.config import default_data_root
from rasl.data import load_tvsum
from rasl.paper import demo


@pytest.fixture(scope="session")
def data_root() -> Path:
    """``../shared/data`` (or ``RASL_DATA``); tests that need it skip on a bare clone."""
    root = default_data_root()
    if root is None:
        pytest.skip("no data root: set RASL_DATA or place shared/ beside the checkout")
    return Path(root)


@pytest.fixture(scope="session")
def videos_dir(data_root: Path) -> Path:
    return data_root / "videos"


@pytest.fixture(scope="session")
def shared_video(videos_dir: Path):
    """``shared_video(name)``: that shared video's path; the test skips where this data root lacks it."""

    def get(name: str) -> Path:
        if not (videos_dir / name).exists():
            pytest.skip(f"{name} is not in this data root")
        return videos_dir / name

    return get


@pytest.fixture(scope="session")
def tvsum(data_root: Path) -> list:
    """The 50 TVSum videos with their annotations (read once per session)."""
    return load_tvsum(data_root / "tvsum").videos


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


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


requires_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"
)
