"""MagicaVoxel ``.vox`` reader / writer.

Format (little-endian, RIFF-like): ``"VOX "`` + int32 version, then a ``MAIN``
chunk whose children are ``[PACK] SIZE XYZI [SIZE XYZI ...] [RGBA]`` plus scene
and material chunks (``nTRN``, ``nGRP``, ``nSHP``, ``MATL``, ``LAYR``...). Every
chunk is ``id (4 bytes) | content bytes (int32) | children bytes (int32) | content | children``.

* ``SIZE``: int32 x, y, z (each 1..256 per the format).
* ``XYZI``: int32 N, then N records of 4 bytes ``x, y, z, colour index (1..255)``.
* ``RGBA``: 256 x RGBA bytes; chunk entry ``i`` is the colour of index ``i + 1``.
  Without it the MagicaVoxel default palette applies.

MagicaVoxel is z-up like us, so its ``(x, y, z)`` maps straight to our axes. We
read the first model of a file (scene-graph transforms of multi-model files are
ignored). Palettes here are ``(256, 4)`` uint8 arrays indexed *by colour index*
(row 0 is unused / transparent), which hides the off-by-one of the RGBA chunk.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io.common import (
    as_grid_for_writing,
    check_dims,
    read_bytes,
    write_bytes,
)

__all__ = [
    "DEFAULT_PALETTE",
    "HEIGHT_COLOURS",
    "MAX_VOX_DIM",
    "VoxModel",
    "encode_vox",
    "height_colours",
    "parse_vox",
    "read_vox",
    "solid_colour",
    "voxel_loaders",
    "voxel_savers",
    "write_vox",
]

MAX_VOX_DIM = 256
_VERSION = 150


def _default_palette() -> np.ndarray:
    """MagicaVoxel's built-in palette, generated from its pattern.

    Indices 1..215 are a 6x6x6 colour cube (levels ff, cc, 99, 66, 33, 00; blue
    fastest, red slowest, black omitted); 216..255 are ten-step red, green, blue and
    grey ramps (ee, dd, bb, aa, 88, 77, 55, 44, 22, 11).
    """
    levels = [0xFF, 0xCC, 0x99, 0x66, 0x33, 0x00]
    cube = [(r, g, b, 255) for r in levels for g in levels for b in levels][:215]
    ramp = [0xEE, 0xDD, 0xBB, 0xAA, 0x88, 0x77, 0x55, 0x44, 0x22, 0x11]
    ramps = (
        [(v, 0, 0, 255) for v in ramp]
        + [(0, v, 0, 255) for v in ramp]
        + [(0, 0, v, 255) for v in ramp]
        + [(v, v, v, 255) for v in ramp]
    )
    palette = np.array([(0, 0, 0, 0)] + cube + ramps, dtype=np.uint8)
    assert palette.shape == (256, 4)
    palette.setflags(write=False)
    return palette


DEFAULT_PALETTE: np.ndarray = _default_palette()


@dataclass
class VoxModel:
    """One MagicaVoxel model.

    ``occupancy``: bool ``(X, Y, Z)``; ``colors``: uint8 ``(X, Y, Z)`` colour index
    per voxel (0 = empty); ``palette``: uint8 ``(256, 4)`` RGBA indexed by colour
    index.
    """

    occupancy: np.ndarray
    colors: np.ndarray
    palette: np.ndarray


def _chunks(data: bytes, start: int, end: int, path: Path | None) -> Iterator[tuple[bytes, int, int, int]]:
    """Yield ``(id, content_start, content_end, children_bytes)`` for the chunks in ``data[start:end]``.

    Every size is checked against the enclosing range, so a lying size field is an
    error, never an out-of-range read.
    """
    pos = start
    while pos < end:
        if end - pos < 12:
            raise VoxelFileError(path, "vox chunk header truncated")
        chunk_id = data[pos : pos + 4]
        content, children = struct.unpack_from("<ii", data, pos + 4)
        if content < 0 or children < 0:
            raise VoxelFileError(path, f"vox chunk {chunk_id!r} has a negative size (corrupt)")
        body = pos + 12
        if body + content + children > end:
            raise VoxelFileError(path, f"vox chunk {chunk_id!r} runs past the end of its parent (truncated)")
        yield chunk_id, body, body + content, children
        pos = body + content + children


def parse_vox(data: bytes, path: Path | None = None) -> VoxModel:
    """Decode ``.vox`` bytes (first model only)."""
    if len(data) < 8 or data[:4] != b"VOX ":
        raise VoxelFileError(path, "not a MagicaVoxel file (missing 'VOX ' magic)")
    main = list(_chunks(data, 8, len(data), path))
    if not main or main[0][0] != b"MAIN":
        raise VoxelFileError(path, "vox file has no MAIN chunk")
    _, _, main_content_end, main_children = main[0]  # MAIN has no content of its own in practice
    size: tuple[int, int, int] | None = None
    model: np.ndarray | None = None
    palette = DEFAULT_PALETTE.copy()
    children_start = main_content_end
    for chunk_id, begin, finish, _ in _chunks(data, children_start, children_start + main_children, path):
        length = finish - begin
        if chunk_id == b"SIZE" and size is None:
            if length < 12:
                raise VoxelFileError(path, "vox SIZE chunk truncated")
            dims = struct.unpack_from("<iii", data, begin)
            check_dims(path, dims, MAX_VOX_DIM, what="vox model")
            size = (dims[0], dims[1], dims[2])
        elif chunk_id == b"XYZI" and model is None:
            if size is None:
                raise VoxelFileError(path, "vox XYZI chunk before its SIZE chunk")
            if length < 4:
                raise VoxelFileError(path, "vox XYZI chunk truncated")
            (count,) = struct.unpack_from("<i", data, begin)
            if count < 0 or 4 + 4 * count > length:
                raise VoxelFileError(path, f"vox XYZI chunk claims {count} voxels but holds fewer (truncated)")
            records = np.frombuffer(data, dtype=np.uint8, count=4 * count, offset=begin + 4).reshape(count, 4)
            xyz = records[:, :3].astype(np.int64)
            if count and (xyz >= np.array(size)).any():
                raise VoxelFileError(path, f"vox voxel coordinate outside the model size {size} (corrupt)")
            model = np.zeros(size, dtype=np.uint8)
            model[xyz[:, 0], xyz[:, 1], xyz[:, 2]] = records[:, 3]
        elif chunk_id == b"RGBA":
            if length < 1024:
                raise VoxelFileError(path, "vox RGBA chunk truncated")
            rgba = np.frombuffer(data, dtype=np.uint8, count=1024, offset=begin).reshape(256, 4)
            palette = np.zeros((256, 4), dtype=np.uint8)
            palette[1:] = rgba[:255]
    if model is None:
        raise VoxelFileError(path, "vox file has no voxel model (SIZE/XYZI chunks missing)")
    return VoxModel(occupancy=model != 0, colors=model, palette=palette)


def read_vox(path: str | Path) -> VoxModel:
    """Read the first model of a ``.vox`` file. Raises :class:`VoxelFileError`."""
    path = Path(path)
    return parse_vox(read_bytes(path), path)


def _chunk(chunk_id: bytes, content: bytes, children: bytes = b"") -> bytes:
    return chunk_id + struct.pack("<ii", len(content), len(children)) + content + children


def encode_vox(
    grid: np.ndarray,
    colors: np.ndarray | None = None,
    palette: np.ndarray | None = None,
    path: Path | None = None,
) -> bytes:
    """Encode a grid (max 256 per side) as ``.vox`` bytes.

    ``colors`` (uint8 colour index per voxel, 1..255 where occupied) defaults to
    index 1 everywhere; ``palette`` (``(K, 3|4)`` uint8, K <= 256, row = colour index)
    adds an RGBA chunk, otherwise readers use the default palette.
    """
    where = path or Path("<memory>")
    occupancy = as_grid_for_writing(where, grid, MAX_VOX_DIM)
    if colors is None:
        indices = np.ones(occupancy.shape, dtype=np.uint8)
    else:
        indices = np.asarray(colors)
        if indices.shape != occupancy.shape:
            raise VoxelFileError(where, f"colour indices shape {indices.shape} != grid shape {occupancy.shape}")
        if indices.min(initial=0) < 0 or indices.max(initial=0) > 255:
            raise VoxelFileError(where, "colour indices must be in 0..255")
        indices = indices.astype(np.uint8)
        if (indices[occupancy] == 0).any():
            raise VoxelFileError(where, "occupied voxels need a colour index in 1..255 (0 means empty)")
    xyz = np.argwhere(occupancy)
    records = np.empty((xyz.shape[0], 4), dtype=np.uint8)
    records[:, :3] = xyz
    records[:, 3] = indices[occupancy]
    size = _chunk(b"SIZE", struct.pack("<iii", *occupancy.shape))
    xyzi = _chunk(b"XYZI", struct.pack("<i", xyz.shape[0]) + records.tobytes())
    children = size + xyzi
    if palette is not None:
        table = np.asarray(palette)
        if table.ndim != 2 or table.shape[1] not in (3, 4) or not 1 <= table.shape[0] <= 256:
            raise VoxelFileError(where, f"palette must be (K<=256, 3|4) colours, got shape {table.shape}")
        full = np.zeros((256, 4), dtype=np.uint8)
        full[:, 3] = 255
        full[: table.shape[0], : table.shape[1]] = table.astype(np.uint8)
        rgba = np.zeros((256, 4), dtype=np.uint8)
        rgba[:255] = full[1:]
        children += _chunk(b"RGBA", rgba.tobytes())
    return b"VOX " + struct.pack("<i", _VERSION) + _chunk(b"MAIN", b"", children)


def write_vox(
    path: str | Path,
    grid: np.ndarray,
    colors: np.ndarray | None = None,
    palette: np.ndarray | None = None,
) -> None:
    """Write a ``.vox`` file atomically. See :func:`encode_vox`."""
    path = Path(path)
    payload = encode_vox(grid, colors, palette, path)
    write_bytes(path, payload)


HEIGHT_COLOURS = 255
"""Palette entries used by :func:`height_colours` (indices 1..255, bottom to top)."""
# Viridis at 0, 1/4, 1/2, 3/4, 1: the viewport's height colour map, so the .vox looks like the window.
_VIRIDIS_STOPS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64)


def height_colours(occupancy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Colour indices and an RGBA palette that colour voxels by height, like the viewport.

    Without an RGBA chunk MagicaVoxel shows every voxel in palette colour 1
    (white), so exports carry their own palette. The occupied layers from the
    lowest to the highest map onto indices 1..255 of a viridis ramp. Returns
    ``(colors, palette)`` for :func:`encode_vox`.
    """
    occ = np.asarray(occupancy, dtype=bool)
    ramp = np.linspace(0.0, 1.0, HEIGHT_COLOURS)
    stops = np.linspace(0.0, 1.0, _VIRIDIS_STOPS.shape[0])
    palette = np.zeros((256, 4), dtype=np.uint8)
    palette[1:, :3] = np.stack([np.interp(ramp, stops, _VIRIDIS_STOPS[:, c]) for c in range(3)], axis=1).round()
    palette[1:, 3] = 255
    layers = np.flatnonzero(occ.any(axis=(0, 1)))
    colors = np.zeros(occ.shape, dtype=np.uint8)
    if layers.size:
        low, high = layers[0], layers[-1]
        z = np.arange(occ.shape[2])
        fraction = (z - low) / max(high - low, 1)
        index = (1 + np.clip(np.round(fraction * (HEIGHT_COLOURS - 1)), 0, HEIGHT_COLOURS - 1)).astype(np.uint8)
        colors = np.where(occ, index[None, None, :], 0).astype(np.uint8)
    return colors, palette


def solid_colour(occupancy: np.ndarray, rgb: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Every voxel in one colour: index 1 of a palette whose entry 1 is ``rgb``."""
    if len(rgb) != 3 or any(not 0 <= int(c) <= 255 for c in rgb):
        raise ValueError(f"colour must be three values in 0..255, got {rgb!r}")
    palette = DEFAULT_PALETTE.copy()
    palette[1] = (*(int(c) for c in rgb), 255)
    return np.asarray(occupancy, dtype=bool).astype(np.uint8), palette


def _load_grid(path: str | Path) -> np.ndarray:
    return read_vox(path).occupancy


def _save_grid(path: str | Path, grid: np.ndarray) -> None:
    write_vox(path, grid)


#: This module's entries in :mod:`voxstudio.core.io.registry`'s format table.
voxel_loaders: dict[str, Callable[[str | Path], np.ndarray]] = {".vox": _load_grid}
voxel_savers: dict[str, Callable[[str | Path, np.ndarray], None]] = {".vox": _save_grid}
