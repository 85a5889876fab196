"""Atomic file writes: the one way mlatlas writes a file that must never be half-written.

Model files, run records, figures and checkpoint pointers are written to a temporary
file in the target's folder, flushed to disk and renamed over the target
(``os.replace`` is atomic on one file system).  An interrupted write leaves the old
file, or none, never a truncated one.
"""

from __future__ import annotations

import os
import tempfile
from typing import IO, Callable

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> str:
    """Call ``write(handle)`` on a temporary binary file, then rename it to ``path``.

    Parameters
    ----------
    path : path-like
        The target; its folder must exist.
    write : callable
        Writes the content to the open binary handle it is given.

    Returns
    -------
    str
        ``path``.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> _ = atomic_write(target, lambda handle: handle.write(b"done"))
    >>> open(target, "rb").read()
    b'done'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
