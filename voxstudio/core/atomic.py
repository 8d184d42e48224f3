"""Atomic file writes: a crash or error mid-write never leaves a half-written file.

Data goes to a temporary file in the target's directory (same file system, so the
final :func:`os.replace` is atomic), is flushed and fsync'ed, then renamed over the
target. On any exception the temporary file is removed and an existing target is
left untouched.

Leftovers: a writer killed outright (SIGKILL, power loss) cannot remove its
hidden ``.NAME.XXXXXXXX.tmp`` file. Every writer holds an exclusive ``flock`` on
its temporary file while it writes, so the next :func:`atomic_write` into the same
folder removes every such file whose lock it can take -- its writer is gone --
and never touches one that a live writer (any process) still holds. Where
``flock`` does not exist (Windows) only temporary files older than a day go.

Symbolic links: writing to a path that is a symlink **writes through** it. The
link stays, and the file it points to is replaced atomically (the temporary file
is made in the *target's* folder); a dangling link gets its target created. The
link is never replaced by a regular file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["SHARED_FILE_MODE", "atomic_write", "remove_stale_temp_files"]

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

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


_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # what mkstemp(prefix=".NAME.", suffix=".tmp") makes
_STALE_WITHOUT_LOCKS_S = 24 * 3600


def _lock(fd: int) -> bool:
    """Take an exclusive non-blocking flock on ``fd``; False if another process holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_stale_temp_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of killed :func:`atomic_write` calls in ``directory``.

    A file qualifies when its name has the ``.NAME.XXXXXXXX.tmp`` form, it is a
    regular file (not a link) and no live writer holds its lock. Returns what was
    removed; errors (a file vanishing, no permission) are ignored.
    """
    removed: list[Path] = []
    try:
        names = [entry.name for entry in os.scandir(directory) if _TEMP_NAME.match(entry.name)]
    except OSError:
        return removed
    for name in names:
        path = Path(directory) / name
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue  # gone, a link, or not ours to read
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                continue
            if fcntl is None and time.time() - info.st_mtime < _STALE_WITHOUT_LOCKS_S:
                continue
            if _lock(fd):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
        finally:
            os.close(fd)
    return removed


def _write_target(path: Path) -> Path:
    """Where the data really goes: through symlinks (see the module docstring)."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


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
    target = _write_target(Path(path))
    directory = target.parent if str(target.parent) else Path(".")
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    temp = Path(temp_name)
    try:
        _lock(fd)  # held until the file is closed: marks it as live for remove_stale_temp_files
        remove_stale_temp_files(directory)
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
