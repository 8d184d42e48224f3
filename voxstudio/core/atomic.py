"""Atomic file writes: a crash or error mid-write never leaves a half-written file.

Data goes to a temporary file in the target's directory (same file system, so the
final :func:`os.replace` is atomic), is flushed and fsync'ed, then renamed over the
target. On any exception the temporary file is removed and an existing target is
left untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["SHARED_FILE_MODE", "atomic_write"]

SHARED_FILE_MODE = 0o644
"""``rw-r--r--`` whatever the umask: for files meant to be shared (weights, checkpoints)."""


def _final_mode(target: Path) -> int:
    """Permissions for the new file: the old file's, else the usual umask default.

    ``mkstemp`` creates files 0600, which would make every export private.
    """
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "wb", *, permissions: int | None = None, **open_kwargs: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; on success it replaces ``path``.

    ``mode`` must be a write mode (``"wb"`` or ``"w"``); extra keyword arguments
    (``encoding``, ``newline``) go to :func:`open`.  ``permissions`` fixes the new
    file's mode (e.g. ``0o644`` for weights meant to be shared); by default it
    keeps the old file's mode, else the umask default.
    """
    if not mode.startswith("w"):
        raise ValueError(f"atomic_write needs a write mode, got {mode!r}")
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, _final_mode(target) if permissions is None else permissions)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    # Persist the rename itself (best effort: not every platform can open a directory).
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
