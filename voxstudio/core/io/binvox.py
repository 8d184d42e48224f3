"""binvox reader / writer (the format of ShapeNet's voxelisations).

File layout (ASCII header, then binary run-length data)::

    #binvox 1
    dim D0 D1 D2
    translate tx ty tz
    scale s
    data
    <value byte><count byte> <value byte><count byte> ...

Each pair is a run of ``count`` (1..255) voxels of ``value`` (0 or 1).

Axis mapping (the same as binvox-rw-py's ``read_as_3d_array(fix_coords=True)``):
the runs enumerate voxels with **y fastest, then z, then x** (binvox's "xzy"
order). We reshape the decoded run to the header dims ``(D0, D1, D2)``, read as
``(x, z, y)``, and transpose axes ``(0, 2, 1)`` to get our ``(x, y, z)`` array, so
``ours[x, y, z] == flat[x * D1 * D2 + z * D2 + y]``. The writer does the exact
inverse and writes the header dims of the ``(x, z, y)`` array, i.e.
``dim nx nz ny``. For cubic grids (every real binvox file) this is byte-for-byte
what binvox-rw-py writes and reads.

Up axis: binvox stores whatever frame the voxelised mesh had. ShapeNet models are
y-up, so the ShapeNet importer asks for ``up="y"``; ``up="auto"`` treats binvox as
z-up (no rotation). See :mod:`voxstudio.core.io.registry`.

Header lines may carry ``#`` comments (whole lines or after a value) and extra
blank lines or tabs, as some writers produce; they are ignored.

Robustness: the header is parsed within a small byte budget, dims over 1024 and
grids over the voxel budget (:data:`~voxstudio.core.io.common.MAX_GRID_VOXELS`,
counted as the cube of the longest side, which is what a non-cubic grid is framed
into) are rejected before allocating, and the run counts must add up to exactly
``D0*D1*D2`` (fewer means truncated, more means RLE overrun) before the output is
allocated. Decoding works in bounded chunks so a hostile file never triggers a
temporary allocation larger than the final grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io.common import (
    MAX_GRID_DIM,
    as_grid_for_writing,
    check_dims,
    check_voxel_budget,
    read_bytes,
    write_bytes,
)

__all__ = [
    "BinvoxMeta", "read_binvox", "parse_binvox", "write_binvox", "encode_binvox", "voxel_loaders", "voxel_savers",
]

_MAX_HEADER_BYTES = 1024
_MAX_LINE_BYTES = 256
_DECODE_CHUNK_PAIRS = 1 << 18  # 256k pairs -> at most 64 MB of temporary run output


@dataclass(frozen=True)
class BinvoxMeta:
    """Header values kept when reading, so they can be written back.

    ``dims`` is the header's ``dim`` line as written in the file (x, z, y order);
    ``translate`` and ``scale`` place the voxel grid in the original model's frame
    (model coordinate = translate + scale * (index + 0.5) / dim).
    """

    dims: tuple[int, int, int]
    translate: tuple[float, float, float] = (0.0, 0.0, 0.0)
    scale: float = 1.0


def _parse_header(data: bytes, path: Path | None) -> tuple[BinvoxMeta, int]:
    """Parse the ASCII header; returns the metadata and the offset of the run data."""
    if not data.startswith(b"#binvox"):
        raise VoxelFileError(path, "not a binvox file (missing '#binvox' magic)")
    pos = 0
    first = True
    dims: tuple[int, int, int] | None = None
    translate = (0.0, 0.0, 0.0)
    scale = 1.0
    while True:
        if pos >= _MAX_HEADER_BYTES:
            raise VoxelFileError(path, "binvox header too long or missing 'data' line")
        end = data.find(b"\n", pos, pos + _MAX_LINE_BYTES)
        if end < 0:
            raise VoxelFileError(path, "binvox header truncated or malformed (no line end)")
        line = data[pos:end].split(b"#", 1)[0].strip() if not first else b""
        pos = end + 1
        if first:
            first = False
            continue  # '#binvox <version>'
        if not line:
            continue  # blank line, or a '#' comment (some writers add them; trimesh's fixtures do)
        try:
            words = line.decode("ascii").split()
        except UnicodeDecodeError:
            raise VoxelFileError(path, "binvox header contains non-ASCII bytes") from None
        key, values = words[0], words[1:]
        try:
            if key == "dim":
                if len(values) != 3:
                    raise ValueError("dim needs 3 numbers")
                dims_list = [int(v) for v in values]
                check_dims(path, tuple(dims_list), MAX_GRID_DIM, what="binvox grid")
                check_voxel_budget(path, tuple(dims_list), what="binvox grid")
                dims = (dims_list[0], dims_list[1], dims_list[2])
            elif key == "translate":
                if len(values) != 3:
                    raise ValueError("translate needs 3 numbers")
                t = [float(v) for v in values]
                if not all(math.isfinite(v) for v in t):
                    raise ValueError("translate is not finite")
                translate = (t[0], t[1], t[2])
            elif key == "scale":
                if len(values) != 1:
                    raise ValueError("scale needs 1 number")
                scale = float(values[0])
                if not math.isfinite(scale):
                    raise ValueError("scale is not finite")
            elif key == "data":
                break
            else:
                raise ValueError(f"unknown header line {key!r}")
        except VoxelFileError:
            raise
        except ValueError as error:
            raise VoxelFileError(path, f"bad binvox header: {error}") from None
    if dims is None:
        raise VoxelFileError(path, "binvox header has no 'dim' line")
    return BinvoxMeta(dims=dims, translate=translate, scale=scale), pos


def parse_binvox(data: bytes, path: Path | None = None) -> tuple[np.ndarray, BinvoxMeta]:
    """Decode binvox bytes into a bool ``(x, y, z)`` grid and its header metadata.

    The result may be a transposed (non C-contiguous) view of the decoded buffer;
    copying it would double the peak memory of a large grid.
    """
    meta, offset = _parse_header(data, path)
    raw = np.frombuffer(data, dtype=np.uint8, offset=offset) if offset < len(data) else np.empty(0, np.uint8)
    if raw.size == 0:
        raise VoxelFileError(path, "binvox file has no voxel data (truncated)")
    if raw.size % 2:
        raise VoxelFileError(path, "binvox run data has an odd number of bytes (truncated or corrupt)")
    values = raw[0::2]
    counts = raw[1::2]
    if int(values.max()) > 1:
        raise VoxelFileError(path, f"binvox run value {int(values.max())} is not 0 or 1 (corrupt data)")
    expected = int(np.prod(meta.dims, dtype=np.int64))
    total = int(counts.sum(dtype=np.int64))
    if total < expected:
        raise VoxelFileError(path, f"binvox data truncated: runs cover {total} of {expected} voxels")
    if total > expected:
        raise VoxelFileError(path, f"binvox run-length overrun: runs cover {total} voxels, grid has {expected}")
    flat = np.zeros(expected, dtype=np.bool_)
    bools = values.view(np.bool_)
    position = 0
    for start in range(0, counts.size, _DECODE_CHUNK_PAIRS):
        run = np.repeat(bools[start : start + _DECODE_CHUNK_PAIRS], counts[start : start + _DECODE_CHUNK_PAIRS])
        flat[position : position + run.size] = run
        position += run.size
    grid = flat.reshape(meta.dims).transpose(0, 2, 1)
    return grid, meta


def read_binvox(path: str | Path) -> tuple[np.ndarray, BinvoxMeta]:
    """Read a ``.binvox`` file: ``(bool grid (x, y, z), BinvoxMeta)``.

    Raises :class:`VoxelFileError` for any problem with the file.
    """
    path = Path(path)
    return parse_binvox(read_bytes(path), path)


def encode_binvox(
    grid: np.ndarray,
    translate: tuple[float, float, float] = (0.0, 0.0, 0.0),
    scale: float = 1.0,
    path: Path | None = None,
) -> bytes:
    """Encode a bool ``(x, y, z)`` grid as binvox bytes (runs capped at 255)."""
    occupancy = as_grid_for_writing(path or Path("<memory>"), grid)
    xzy = np.ascontiguousarray(occupancy.transpose(0, 2, 1))
    flat = xzy.ravel()
    starts = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    lengths = np.diff(np.concatenate((starts, [flat.size])))
    pieces = (lengths + 254) // 255  # runs longer than 255 are split
    run_values = np.repeat(flat[starts].astype(np.uint8), pieces)
    run_counts = np.full(int(pieces.sum()), 255, dtype=np.int64)
    run_counts[np.cumsum(pieces) - 1] = lengths - 255 * (pieces - 1)
    body = np.empty(2 * run_values.size, dtype=np.uint8)
    body[0::2] = run_values
    body[1::2] = run_counts.astype(np.uint8)
    d0, d1, d2 = xzy.shape
    header = (
        "#binvox 1\n"
        f"dim {d0} {d1} {d2}\n"
        f"translate {' '.join(repr(float(t)) for t in translate)}\n"
        f"scale {float(scale)!r}\n"
        "data\n"
    ).encode("ascii")
    return header + body.tobytes()


def write_binvox(
    path: str | Path,
    grid: np.ndarray,
    translate: tuple[float, float, float] = (0.0, 0.0, 0.0),
    scale: float = 1.0,
) -> None:
    """Write a grid to ``path`` atomically (float grids are thresholded at 0.5)."""
    path = Path(path)
    payload = encode_binvox(grid, translate, scale, path)
    write_bytes(path, payload)


def _load_grid(path: str | Path) -> np.ndarray:
    return read_binvox(path)[0]


def _save_grid(path: str | Path, grid: np.ndarray) -> None:
    write_binvox(path, grid)


#: This module's entries in :mod:`voxstudio.core.io.registry`'s format table.
voxel_loaders: dict[str, Callable[[str | Path], np.ndarray]] = {".binvox": _load_grid}
voxel_savers: dict[str, Callable[[str | Path, np.ndarray], None]] = {".binvox": _save_grid}
