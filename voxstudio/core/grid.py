"""Voxel grid helpers: resampling, framing and occupancy.

Conventions (see docs/architecture.md): a grid is indexed ``(x, y, z)`` with z up;
objects stand on the ground plane (lowest occupied layer ``z == 0``), centred in
x/y, longest side about ``R - 2`` voxels. All functions are vectorised numpy; none
loops over voxels in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# scipy.ndimage is imported in the two functions that use it: importing scipy costs ~0.3 s of
# CPU, and this module is on the GUI's start-up path (export, meshing) where neither is needed.

__all__ = ["bounding_box", "fill_interior", "largest_component", "normalise", "resize", "resize_to_shape", "to_occupancy"]


def _resample_axis(array: np.ndarray, axis: int, size: int) -> np.ndarray:
    """Resample one axis to ``size`` cells.

    Down-sampling takes the maximum over each block of source cells, so a one-voxel
    thin chair leg survives (any occupancy wins). Blocks partition the source exactly
    (block ``i`` covers ``[floor(i*S/size), floor((i+1)*S/size))``), which also works
    for non-integer ratios. Up-sampling repeats the nearest source cell.
    """
    source = array.shape[axis]
    if size == source:
        return array
    if size < source:
        starts = (np.arange(size, dtype=np.int64) * source) // size
        return np.maximum.reduceat(array, starts, axis=axis)
    # Nearest neighbour: destination cell centre (i + 0.5) mapped into the source.
    index = np.minimum(((np.arange(size) + 0.5) * source / size).astype(np.int64), source - 1)
    return np.take(array, index, axis=axis)


def resize_to_shape(grid: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Resample ``grid`` independently per axis to ``shape`` (no aspect preservation).

    Keeps the dtype. Used by :func:`resize` and :func:`normalise`.
    """
    if grid.ndim != 3 or len(shape) != 3:
        raise ValueError(f"expected a 3-D grid and a 3-D shape, got {grid.shape} -> {tuple(shape)}")
    if min(shape) < 1 or min(grid.shape) < 1:
        raise ValueError(f"cannot resample {grid.shape} to {tuple(shape)}")
    out = grid
    # Down-sample axes first so the intermediate arrays stay small.
    order = sorted(range(3), key=lambda a: shape[a] - grid.shape[a])
    for axis in order:
        out = _resample_axis(out, axis, int(shape[axis]))
    if out is grid:
        out = grid.copy()
    return np.ascontiguousarray(out, dtype=grid.dtype)


def resize(grid: np.ndarray, resolution: int) -> np.ndarray:
    """Resample a grid to ``(resolution,)*3``.

    Down-sampling is max-pooling (any occupancy / highest probability wins, so thin
    parts survive); up-sampling is nearest neighbour. The dtype is kept. Non-cubic
    input is stretched per axis; use :func:`normalise` to keep the aspect ratio.
    """
    resolution = int(resolution)
    if resolution < 1:
        raise ValueError(f"resolution must be positive, got {resolution}")
    return resize_to_shape(grid, (resolution,) * 3)


def bounding_box(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(lo, hi)`` inclusive-exclusive index bounds of the non-zero voxels, or None if empty."""
    occupied = grid.astype(bool, copy=False)
    bounds = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hits = np.flatnonzero(occupied.any(axis=other))
        if hits.size == 0:
            return None
        bounds.append((hits[0], hits[-1] + 1))
    lo = np.array([b[0] for b in bounds], dtype=np.int64)
    hi = np.array([b[1] for b in bounds], dtype=np.int64)
    return lo, hi


def normalise(grid: np.ndarray, resolution: int | None = None, margin: int = 1) -> np.ndarray:
    """Re-frame a shape: crop to its bounding box, scale, centre and ground it.

    The longest side is scaled to ``resolution - 2 * margin`` voxels with the aspect
    ratio kept (down-sampling max-pools so thin parts survive), x and y are centred
    and the lowest occupied layer is put at ``z == 0`` so the object stands on the
    ground plane. ``resolution`` defaults to the largest input dimension. The dtype
    is kept; an empty grid gives an empty grid.
    """
    if grid.ndim != 3:
        raise ValueError(f"expected a 3-D grid, got shape {grid.shape}")
    size = int(resolution) if resolution is not None else int(max(grid.shape))
    usable = size - 2 * int(margin)
    if usable < 1:
        raise ValueError(f"resolution {size} too small for margin {margin}")
    out = np.zeros((size,) * 3, dtype=grid.dtype)
    box = bounding_box(grid)
    if box is None:
        return out
    lo, hi = box
    cropped = grid[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    extent = hi - lo
    scale = usable / float(extent.max())
    target = np.clip(np.round(extent * scale).astype(np.int64), 1, usable)
    scaled = resize_to_shape(cropped, tuple(int(t) for t in target))
    x0 = (size - target[0]) // 2
    y0 = (size - target[1]) // 2
    out[x0 : x0 + target[0], y0 : y0 + target[1], 0 : target[2]] = scaled
    return out


def fill_interior(grid: np.ndarray) -> np.ndarray:
    """Fill enclosed cavities (a voxelised closed surface becomes a solid).

    Uses :func:`scipy.ndimage.binary_fill_holes`, which fills background not
    6-connected to the outside; open shapes (a cup) are left as they are.
    """
    from scipy import ndimage

    return ndimage.binary_fill_holes(np.asarray(grid).astype(bool, copy=False))


def to_occupancy(grid: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Boolean occupancy: ``grid > threshold`` (a bool grid is returned as a copy).

    NaN counts as empty.
    """
    grid = np.asarray(grid)
    if grid.dtype == np.bool_:
        return grid.copy()
    return grid > threshold


def largest_component(occupancy: np.ndarray) -> np.ndarray:
    """The largest 26-connected piece of a boolean grid ("keep the main piece" on export).

    26-connectivity (voxels touching at an edge or corner count as joined) is the
    one the generator's one-piece metric uses, so a chair whose leg meets the seat
    only diagonally keeps the leg. A grid with at most one piece is returned as a
    copy; ties go to the piece with the lowest label (found first in x, y, z order).
    """
    from scipy import ndimage

    occ = np.asarray(occupancy, dtype=bool)
    labels, count = ndimage.label(occ, structure=np.ones((3, 3, 3), dtype=bool))
    if count <= 1:
        return occ.copy()
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(sizes.argmax())
