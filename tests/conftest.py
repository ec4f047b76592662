"""Shared fixtures: the real data root and a seeded generator."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rasl.config import default_data_root


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


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
