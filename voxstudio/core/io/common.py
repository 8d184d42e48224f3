"""Limits and checks shared by every loader.

All size checks happen *before* anything big is allocated: a hostile header that
claims a 100000^3 grid is rejected from its numbers, not after trying to build it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from voxstudio.core.atomic import atomic_write
from voxstudio.core.errors import VoxelFileError

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest file any loader opens (512 MB)."""

MAX_GRID_DIM = 1024
"""Largest voxel-grid side accepted from a file header."""


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
    if path.is_dir():
        raise VoxelFileError(path, "is a directory, not a file")
    if info.st_size == 0:
        raise VoxelFileError(path, "file is empty")
    if info.st_size > max_bytes:
        raise VoxelFileError(
            path, f"file is {info.st_size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit"
        )
    if not os.access(path, os.R_OK):
        raise VoxelFileError(path, "file is not readable (permission denied)")
    return int(info.st_size)


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """Whole file contents after :func:`check_readable`; OS errors become VoxelFileError."""
    if max_bytes is None:
        max_bytes = MAX_FILE_BYTES
    size = check_readable(path, max_bytes)
    try:
        with open(path, "rb") as handle:
            # read(n) pre-allocates n bytes, so ask for what stat reported (+1 to notice growth)
            data = handle.read(min(size, max_bytes) + 1)
    except OSError as error:
        raise VoxelFileError(path, f"cannot read file ({error.strerror or error})") from None
    if len(data) > max_bytes:  # grew while we looked
        raise VoxelFileError(path, f"file is over the {max_bytes / 2**20:.0f} MB limit")
    if not data:
        raise VoxelFileError(path, "file is empty")
    return data


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
