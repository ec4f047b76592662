"""Files: input errors, atomic output, safe loading, video listing and row tables.

A bad input raises :class:`InputError` whose message names the file and the problem in
one line; the command line prints it and exits non-zero. Every output file is written
under a temporary name beside its destination and renamed only when complete, so a
failure never leaves a partial file behind; running out of space while writing is one
such line too. Files saved by torch load as tensors and plain data only, so a file from
anywhere cannot run code when loaded. Tables of rows (score curves, segments) are written
as CSV or JSON by their file name.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import pickle
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

VIDEO_SUFFIXES = (
    ".mp4",
    ".webm",
    ".mkv",
    ".avi",
    ".mov",
    ".mpg",
    ".mpeg",
    ".m4v",
    ".flv",
    ".wmv",
)
OUT_OF_SPACE = {
    errno.ENOSPC,
    errno.EFBIG,
    errno.EDQUOT,
}  # disk full, file-size limit, quota


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
    extension (PyAV, pandas) still work. A full disk or file-size limit while the body
    writes raises :class:`InputError` naming ``dest`` (also when a nested ``atomic_path``
    wrote into this one's temporary file).
    """
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{dest.stem}.", suffix=f".part{dest.suffix}", dir=dest.parent
        )
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
    except OSError as e:
        if e.errno not in OUT_OF_SPACE:
            raise
        raise InputError(
            dest, f"out of space ({e.strerror}); nothing written"
        ) from None
    except InputError as e:
        if e.path != str(tmp):
            raise
        raise InputError(dest, e.problem) from None
    finally:
        tmp.unlink(missing_ok=True)


def load_data_only(path: str | os.PathLike, map_location="cpu"):
    """``torch.load`` that unpickles tensors and plain data (numbers, strings, lists, tuples,
    dicts) and nothing else, so loading cannot run code. A file that holds other objects
    raises :class:`InputError` naming what loading it would have called; any other failure
    is torch's own exception, for the caller to word.
    """
    import torch  # here: the command line imports this module before it knows it needs torch

    try:
        # torch warns of a plain pickle's protocol before refusing it
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Detected pickle protocol")
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except Exception:  # not a zip file written by torch.save: nothing to name
            unsafe = []
        if unsafe:
            raise InputError(
                path,
                f"refused: it holds Python objects ({', '.join(unsafe)}), and loading those could run code; "
                "only tensors and plain data load",
            ) from None
        raise


def list_videos(root: str | Path) -> list[Path]:
    """Every video file under ``root`` (recursively), sorted; ``root`` may be a file."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
    )


def format_rows(rows: list[dict], fmt: str, columns: list[str]) -> str:
    """Rows as CSV (header ``columns``, even with no rows) or as a JSON list."""
    if fmt == "json":
        return json.dumps(rows, indent=1) + "\n"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def table_format(path: str | Path) -> str:
    """``"csv"`` or ``"json"`` from the file name; anything else is an InputError."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in ("csv", "json"):
        raise InputError(path, "output must end in .csv or .json")
    return fmt


def write_rows(rows: list[dict], path: str | Path, columns: list[str]) -> None:
    """Write rows to ``path`` atomically: JSON for ``.json``, CSV for ``.csv``."""
    text = format_rows(rows, table_format(path), columns)
    with atomic_path(path) as tmp:
        tmp.write_text(text)
