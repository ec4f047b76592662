"""Shared fixtures: the real data root, its videos and TVSum annotations, a seeded generator."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rasl.config import default_data_root
from rasl.data import load_tvsum


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


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
