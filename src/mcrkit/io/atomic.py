"""Atomic file writes: a kill or a full disk never leaves a truncated file behind."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "temporary_path"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "note.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    tmp = temporary_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def temporary_path(path: str | os.PathLike[str]) -> Path:
    """The hidden name beside ``path`` that :func:`atomic_path` writes it under (left behind
    only by a process killed while writing).

    Examples
    --------
    >>> temporary_path("run/checkpoint.pt").as_posix()
    'run/.checkpoint.pt.tmp'
    """
    path = Path(path)
    return path.with_name(f".{path.name}.tmp")
