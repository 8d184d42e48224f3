"""Limits and checks shared by every loader.

All size checks happen *before* anything big is allocated: a hostile header that
claims a 100000^3 grid is rejected from its numbers, not after trying to build it.
Every read goes through :func:`read_bytes` (or :func:`check_readable` for readers
that map a file): regular files only -- a FIFO, device or socket is refused from
its ``stat`` and opened non-blocking, so it can never hang a loader -- and the size
is counted against a limit before anything is read. JSON (glTF, dataset
``meta.json``, weights configs) goes through :func:`read_json` / :func:`parse_json`,
which add size and nesting-depth limits. The limits are tabled in
``docs/architecture.md``.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np

from voxstudio.core.atomic import atomic_write
from voxstudio.core.errors import VoxelFileError

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest file any loader opens (512 MB)."""

MAX_GRID_DIM = 1024
"""Largest voxel-grid side accepted from a file header."""

MAX_GRID_VOXELS = 512**3
"""Voxel budget of a grid read from a file (134M voxels, 128 MB as bool).

Counted as the cube of the longest side -- what :func:`~voxstudio.core.io.load_voxels`
frames a non-cubic grid into -- from the header, before anything is allocated."""

MAX_JSON_BYTES = 64 * 1024 * 1024
"""Largest JSON text read (a .gltf may embed its buffers as base64)."""

MAX_JSON_DEPTH = 64
"""Deepest nesting of JSON arrays / objects accepted (real files need fewer than 10)."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _mb(size: int) -> str:
    if size < 2**20:
        return f"{size} bytes"
    return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"


def _file_kind(mode: int) -> str | None:
    """None for a regular file, else what the path is instead."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def check_voxel_budget(path: Path | None, dims: tuple[int, ...], what: str = "grid") -> None:
    """Refuse a grid whose framing cube (longest side cubed) exceeds :data:`MAX_GRID_VOXELS`."""
    side = max(int(d) for d in dims)
    if side**3 > MAX_GRID_VOXELS:
        limit = round(MAX_GRID_VOXELS ** (1 / 3))
        raise VoxelFileError(
            path,
            f"{what} dimensions {tuple(int(d) for d in dims)} need a {side}^3 grid ({side**3:,} voxels), "
            f"over the limit of {MAX_GRID_VOXELS:,} voxels ({limit}^3)",
        )


def check_readable(path: Path, max_bytes: int | None = None) -> int:
    """Raise :class:`VoxelFileError` unless ``path`` is a non-empty regular file within the size limit.

    ``max_bytes`` defaults to :data:`MAX_FILE_BYTES` (looked up at call time).
    Returns the file size in bytes.
    """
    if max_bytes is None:
        max_bytes = MAX_FILE_BYTES
    try:
        info = path.stat()
    except FileNotFoundError:
        raise VoxelFileError(path, "file not found") from None
    except OSError as error:
        raise VoxelFileError(path, f"cannot access file ({error.strerror or error})") from None
    _check_stat(path, info, max_bytes)
    if not os.access(path, os.R_OK):
        raise VoxelFileError(path, "file is not readable (permission denied)")
    return int(info.st_size)


def _check_stat(path: Path, info: os.stat_result, max_bytes: int) -> None:
    kind = _file_kind(info.st_mode)
    if kind is not None:
        raise VoxelFileError(path, kind)
    if info.st_size == 0:
        raise VoxelFileError(path, "file is empty")
    if info.st_size > max_bytes:
        raise VoxelFileError(path, f"file is {_mb(info.st_size)}, over the {_mb(max_bytes)} limit")


def open_regular(path: Path, max_bytes: int | None = None):  # noqa: ANN201 - a binary file object
    """Open a regular file for reading after :func:`check_readable`, without ever blocking.

    The open is non-blocking and what was opened is checked again with ``fstat``,
    so a path swapped for a FIFO between the check and the open cannot hang us.
    """
    if max_bytes is None:
        max_bytes = MAX_FILE_BYTES
    check_readable(path, max_bytes)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise VoxelFileError(path, f"cannot open file ({error.strerror or error})") from None
    handle = os.fdopen(fd, "rb")
    try:
        _check_stat(path, os.fstat(handle.fileno()), max_bytes)
    except BaseException:
        handle.close()
        raise
    return handle


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """Whole file contents after :func:`check_readable`; OS errors become VoxelFileError."""
    if max_bytes is None:
        max_bytes = MAX_FILE_BYTES
    try:
        with open_regular(path, max_bytes) as handle:
            # read(n) pre-allocates n bytes, so ask for what stat reported (+1 to notice growth)
            data = handle.read(int(os.fstat(handle.fileno()).st_size) + 1)
    except OSError as error:
        raise VoxelFileError(path, f"cannot read file ({error.strerror or error})") from None
    if len(data) > max_bytes:  # grew while we looked
        raise VoxelFileError(path, f"file is over the {_mb(max_bytes)} limit")
    if not data:
        raise VoxelFileError(path, "file is empty")
    return data


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, iteratively (no recursion on hostile input)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_json(data: bytes | str, path: Path | None, max_depth: int = MAX_JSON_DEPTH, what: str = "JSON") -> Any:
    """Parse JSON text with a nesting-depth limit; any problem is a :class:`VoxelFileError`.

    Python's parser recurses per nesting level, so ``[`` x 200,000 would raise
    ``RecursionError``; that and anything nested deeper than ``max_depth`` is refused.
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        value = json.loads(text)
    except UnicodeDecodeError:
        raise VoxelFileError(path, f"{what} is not valid JSON (not UTF-8 text)") from None
    except RecursionError:
        raise VoxelFileError(path, f"{what} is nested deeper than the limit of {max_depth} levels") from None
    except ValueError as error:  # JSONDecodeError, and int parsing limits
        raise VoxelFileError(path, f"{what} is not valid JSON ({error})") from None
    if _depth(value) > max_depth:
        raise VoxelFileError(path, f"{what} is nested deeper than the limit of {max_depth} levels")
    return value


def read_json(
    path: str | os.PathLike[str],
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
    what: str = "JSON",
) -> Any:
    """Read and parse a JSON file within size and depth limits (regular files only)."""
    path = Path(path)
    return parse_json(read_bytes(path, max_bytes), path, max_depth, what)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; OS errors become VoxelFileError.

    The one write path for every voxel / mesh writer, so a failed write always
    reads the same and never leaves half a file.
    """
    try:
        with atomic_write(path) as handle:
            handle.write(data)
    except OSError as error:
        raise VoxelFileError(path, f"cannot write file ({error.strerror or error})") from None


def check_dims(path: Path | None, dims: tuple[int, ...], max_dim: int = MAX_GRID_DIM, what: str = "grid") -> None:
    """Reject non-positive or absurd dimensions before allocating anything."""
    if len(dims) != 3:
        raise VoxelFileError(path, f"{what} must have 3 dimensions, got {len(dims)}")
    for d in dims:
        if d < 1:
            raise VoxelFileError(path, f"{what} dimensions {tuple(dims)} must be positive")
        if d > max_dim:
            raise VoxelFileError(path, f"{what} dimensions {tuple(dims)} exceed the limit of {max_dim} per side")


def as_grid_for_writing(path: Path, grid: np.ndarray, max_dim: int = MAX_GRID_DIM) -> np.ndarray:
    """Validate a grid passed to a writer and return it as a C-contiguous bool array.

    Float grids are thresholded at 0.5.
    """
    array = np.asarray(grid)
    if array.ndim != 3:
        raise VoxelFileError(path, f"cannot save a grid of shape {array.shape}: need 3 dimensions")
    check_dims(path, tuple(int(d) for d in array.shape), max_dim)
    if array.dtype != np.bool_:
        if not (np.issubdtype(array.dtype, np.number)):
            raise VoxelFileError(path, f"cannot save a grid of dtype {array.dtype}")
        array = array > 0.5
    return np.ascontiguousarray(array)
