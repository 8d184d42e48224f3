"""``.npy`` voxel grids: a 3-D bool / integer / float array, never pickled objects.

The header is parsed first with numpy's own reader (which caps the header size),
the shape, dtype and file length are checked, and only then is the data mapped
with ``mmap_mode="r"``, so a lying header cannot make us allocate anything big.
Float arrays are thresholded at 0.5, integer arrays by ``!= 0``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io.common import (
    MAX_GRID_DIM,
    as_grid_for_writing,
    check_dims,
    check_readable,
    check_voxel_budget,
    open_regular,
    write_bytes,
)

__all__ = ["read_npy", "voxel_loaders", "voxel_savers", "write_npy"]

_MAX_HEADER_BYTES = 10_000


def _check_header_length(handle, path: Path) -> None:
    """Reject an absurd header length from its 2/4 length bytes.

    numpy's own reader calls ``read(header_len)`` (allocating up to 4 GB for a v2
    header) *before* applying its size cap, so we look first and rewind.
    """
    prefix = handle.read(12)
    handle.seek(0)
    if len(prefix) < 10 or not prefix.startswith(b"\x93NUMPY"):
        raise VoxelFileError(path, "not a .npy file (missing '\\x93NUMPY' magic)")
    major = prefix[6]
    if major == 1:
        length = int.from_bytes(prefix[8:10], "little")
    elif major in (2, 3) and len(prefix) == 12:
        length = int.from_bytes(prefix[8:12], "little")
    else:
        raise VoxelFileError(path, f"unsupported or truncated .npy header (version byte {major})")
    if length > _MAX_HEADER_BYTES:
        raise VoxelFileError(path, f".npy header claims {length} bytes; more than {_MAX_HEADER_BYTES} is not a voxel grid")


def _read_header(handle, path: Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    _check_header_length(handle, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a mangled header dict can make literal_eval warn
        return _parse_header(handle, path)


def _parse_header(handle, path: Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    try:
        version = npformat.read_magic(handle)
        if version == (1, 0):
            return npformat.read_array_header_1_0(handle, max_header_size=_MAX_HEADER_BYTES)
        if version in ((2, 0), (3, 0)):
            return npformat.read_array_header_2_0(handle, max_header_size=_MAX_HEADER_BYTES)
    except Exception as error:  # noqa: BLE001 - numpy's header parser raises ValueError, SyntaxError, TokenError...
        raise VoxelFileError(path, f"not a valid .npy file ({error})") from None
    raise VoxelFileError(path, f"unsupported .npy format version {version}")


def read_npy(path: str | Path) -> np.ndarray:
    """Read a 3-D grid from ``.npy`` as bool ``(X, Y, Z)``. Raises :class:`VoxelFileError`."""
    path = Path(path)
    size = check_readable(path)
    try:
        with open_regular(path) as handle:
            shape, fortran, dtype = _read_header(handle, path)
            offset = handle.tell()
    except OSError as error:
        raise VoxelFileError(path, f"cannot read file ({error.strerror or error})") from None
    if dtype.hasobject or dtype.kind not in "biuf" or dtype.subdtype is not None or dtype.names:
        raise VoxelFileError(path, f".npy dtype {dtype} is not a plain bool / integer / float array")
    if len(shape) != 3:
        raise VoxelFileError(path, f".npy array has shape {shape}; a voxel grid needs 3 dimensions")
    check_dims(path, tuple(int(d) for d in shape), MAX_GRID_DIM, what=".npy grid")
    check_voxel_budget(path, tuple(int(d) for d in shape), what=".npy grid")
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size - offset < nbytes:
        raise VoxelFileError(path, f".npy data truncated: {size - offset} of {nbytes} bytes present")
    try:
        array = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")
    except (OSError, ValueError) as error:
        raise VoxelFileError(path, f"cannot map .npy data ({error})") from None
    if dtype.kind == "b":
        # Bytes other than 0/1 in a bool array are corrupt data; normalise them.
        grid = np.asarray(array).view(np.uint8) != 0 if dtype.itemsize == 1 else np.array(array, dtype=bool)
    elif dtype.kind == "f":
        grid = np.asarray(array) > 0.5
    else:
        grid = np.asarray(array) != 0
    del array
    return np.ascontiguousarray(grid)


def write_npy(path: str | Path, grid: np.ndarray) -> None:
    """Write a grid as a bool ``.npy`` atomically (float grids thresholded at 0.5)."""
    path = Path(path)
    occupancy = as_grid_for_writing(path, grid)
    buffer = io.BytesIO()
    np.save(buffer, occupancy, allow_pickle=False)
    write_bytes(path, buffer.getvalue())


#: This module's entries in :mod:`voxstudio.core.io.registry`'s format table.
voxel_loaders: dict[str, Callable[[str | Path], np.ndarray]] = {".npy": read_npy}
voxel_savers: dict[str, Callable[[str | Path, np.ndarray], None]] = {".npy": write_npy}
