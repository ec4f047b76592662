"""Input errors and atomic output: the contract every command keeps with bad input.

A bad input raises :class:`InputError` whose message names the file and the problem in
one line; the command line prints it and exits non-zero. Every output file is written
under a temporary name beside its destination and renamed only when complete, so a
failure never leaves a partial file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class InputError(Exception):
    """A user-facing problem with an input or output path: ``"<path>: <problem>"``."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


@contextlib.contextmanager
def atomic_path(dest: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it to ``dest`` only on success.

    The temporary name keeps ``dest``'s suffix, so writers that pick a format from the
    extension (PyAV, pandas) still work.
    """
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".part{dest.suffix}", dir=dest.parent)
    except OSError as e:
        raise InputError(dest, f"cannot write here ({e.strerror or e})") from None
    os.close(fd)
    tmp = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
