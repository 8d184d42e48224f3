"""Voxel sculpting: a click on the surface adds or removes voxels, with undo/redo.

Why a Qt-free module: the GUI tool (``voxstudio.gui.sculpt``) only turns a VTK
pick (a point on the blocky surface and that face's normal) into a call here, so
the geometry that decides *which* voxel changes -- the part that is easy to get
off by one -- is a pure function with unit tests.

Frame (docs/architecture.md): voxel ``(i, j, k)`` spans ``[i, i+1] x [j, j+1] x
[k, k+1]`` in mesh coordinates, so every exposed face of the blocky mesh lies on
an integer plane and its outward normal is a unit axis vector. The voxel behind
a face (the one clicked) is half a voxel *against* the normal, the voxel beyond
it (where an added voxel goes, as in Liu et al. 2017, "Interactive 3D modeling
with a GAN") half a voxel *along* it.

Brush ``size`` n paints every cell within ``n - 1`` voxels of the centre: 1 is a
single voxel, 2 a 3x3x3 cube (or a 7-voxel "plus" sphere), 3 a 5x5x5 cube (or a
33-voxel sphere). Cells outside the grid are clipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "BRUSHES",
    "MAX_BRUSH_SIZE",
    "SculptModel",
    "VoxelEdit",
    "axis_normal",
    "brush_cells",
    "brush_offsets",
    "face_normal",
    "clamp_to_cell",
    "picked_voxel",
    "target_voxel",
]

Brush = Literal["cube", "sphere"]
BRUSHES: tuple[Brush, ...] = ("cube", "sphere")
MAX_BRUSH_SIZE = 5
DEFAULT_UNDO_LIMIT = 500


def axis_normal(normal: Sequence[float] | np.ndarray) -> np.ndarray:
    """The unit axis vector (int, e.g. ``[0, 0, -1]``) closest to ``normal``.

    Blocky faces are axis-aligned; rounding to the dominant axis absorbs float
    noise from VTK. A zero or non-finite normal is an error (no face to act on).
    """
    n = np.asarray(normal, dtype=np.float64).reshape(-1)
    if n.shape != (3,) or not np.all(np.isfinite(n)) or not np.any(n):
        raise ValueError(f"a face normal must be a finite, non-zero 3-vector, got {normal!r}")
    axis = int(np.argmax(np.abs(n)))
    out = np.zeros(3, dtype=np.int64)
    out[axis] = 1 if n[axis] > 0 else -1
    return out


def face_normal(triangle: Sequence[Sequence[float]] | np.ndarray,
                towards: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """Axis normal of a picked triangle, turned to face the point ``towards`` (the camera).

    The visible side of a face is the one the camera looks at, whatever the
    mesh's winding: so the normal is flipped when it points away from ``towards``.
    """
    tri = np.asarray(triangle, dtype=np.float64)
    if tri.shape[0] < 3 or tri.shape[1] != 3:
        raise ValueError(f"expected at least three 3-D points, got shape {tri.shape}")
    n = np.cross(tri[1] - tri[0], tri[2] - tri[0])
    normal = axis_normal(n)
    if towards is not None:
        to_eye = np.asarray(towards, dtype=np.float64) - tri[:3].mean(axis=0)
        if float(normal @ to_eye) < 0:
            normal = -normal
    return normal


def clamp_to_cell(point: Sequence[float] | np.ndarray, corners: Sequence[Sequence[float]] | np.ndarray,
                  margin: float = 0.01) -> np.ndarray:
    """``point`` moved just inside the bounding box of the picked cell's ``corners``.

    A picker reports a point on or near the cell it hit, but a click on the edge
    between two voxel faces, or the picker's tolerance, can put it a hair on the
    other side (``floor`` would then name the neighbouring voxel). Clamped
    ``margin`` inside the face, the point belongs to the face that was picked.
    """
    p = np.asarray(point, dtype=np.float64).reshape(3)
    c = np.asarray(corners, dtype=np.float64).reshape(-1, 3)
    low, high = c.min(axis=0), c.max(axis=0)
    inner = (high - low) > 2 * margin
    out = p.copy()
    out[inner] = np.clip(p[inner], low[inner] + margin, high[inner] - margin)
    flat = ~inner
    out[flat] = (low[flat] + high[flat]) / 2  # the face's own plane
    return out


def _in_grid(cell: np.ndarray, shape: Sequence[int]) -> bool:
    return bool(np.all(cell >= 0) and np.all(cell < np.asarray(shape[:3])))


def picked_voxel(point: Sequence[float] | np.ndarray, normal: Sequence[float] | np.ndarray,
                 shape: Sequence[int]) -> tuple[int, int, int] | None:
    """The voxel whose face holds ``point`` (its outward normal ``normal``); None outside the grid.

    Along the normal's axis the face sits on an integer plane (rounded, so float
    noise on the plane does not matter); the voxel is the one behind it. The
    other two coordinates are floored.
    """
    n = axis_normal(normal)
    p = np.asarray(point, dtype=np.float64).reshape(3)
    cell = np.floor(p).astype(np.int64)
    axis = int(np.flatnonzero(n)[0])
    plane = int(np.rint(p[axis]))
    cell[axis] = plane - 1 if n[axis] > 0 else plane
    return tuple(int(v) for v in cell) if _in_grid(cell, shape) else None  # type: ignore[return-value]


def target_voxel(point: Sequence[float] | np.ndarray, normal: Sequence[float] | np.ndarray,
                 shape: Sequence[int], add: bool) -> tuple[int, int, int] | None:
    """Where a click acts: the voxel beyond the face (``add``) or the clicked voxel (remove).

    None when that voxel is outside the grid (adding beyond the grid's edge).
    """
    n = axis_normal(normal)
    p = np.asarray(point, dtype=np.float64).reshape(3)
    axis = int(np.flatnonzero(n)[0])
    cell = np.floor(p).astype(np.int64)
    plane = int(np.rint(p[axis]))
    behind = plane - 1 if n[axis] > 0 else plane
    cell[axis] = behind + (int(n[axis]) if add else 0)
    return tuple(int(v) for v in cell) if _in_grid(cell, shape) else None  # type: ignore[return-value]


def brush_offsets(size: int, brush: Brush = "cube") -> np.ndarray:
    """``(N, 3)`` integer offsets of a brush: all cells within ``size - 1`` (Chebyshev for a
    cube, Euclidean for a sphere) of the centre."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= MAX_BRUSH_SIZE:
        raise ValueError(f"brush size must be an integer 1..{MAX_BRUSH_SIZE}, got {size!r}")
    if brush not in BRUSHES:
        raise ValueError(f"brush must be one of {BRUSHES}, got {brush!r}")
    r = int(size) - 1
    axis = np.arange(-r, r + 1)
    offsets = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    if brush == "sphere":
        offsets = offsets[(offsets**2).sum(axis=1) <= r * r]
    return offsets.astype(np.int64)


def brush_cells(centre: Sequence[int], size: int, brush: Brush, shape: Sequence[int]) -> np.ndarray:
    """``(N, 3)`` cells the brush covers around ``centre``, clipped to a grid of ``shape``."""
    cells = np.asarray(centre, dtype=np.int64).reshape(1, 3) + brush_offsets(size, brush)
    inside = np.all((cells >= 0) & (cells < np.asarray(shape[:3], dtype=np.int64)), axis=1)
    return cells[inside]


@dataclass(frozen=True)
class VoxelEdit:
    """One brush stroke: the cells it changed and what they were before (so it can be undone)."""

    cells: np.ndarray  # (N, 3) int64, only cells whose value changed
    add: bool  # the value the cells were set to

    @property
    def count(self) -> int:
        return int(len(self.cells))

    def apply(self, grid: np.ndarray) -> None:
        grid[tuple(self.cells.T)] = self.add

    def revert(self, grid: np.ndarray) -> None:
        grid[tuple(self.cells.T)] = not self.add


class SculptModel:
    """An occupancy grid being sculpted, with an undo/redo stack of :class:`VoxelEdit`.

    Only cells that actually change are recorded, so undo restores exactly the
    grid before the stroke, and a stroke that changes nothing is not an edit.
    """

    def __init__(self, grid: np.ndarray, undo_limit: int = DEFAULT_UNDO_LIMIT) -> None:
        self.undo_limit = int(undo_limit)
        self.reset(grid)

    def reset(self, grid: np.ndarray) -> None:
        """Start over from ``grid`` (a 3-D bool grid; probabilities must be thresholded first)."""
        array = np.asarray(grid)
        if array.ndim != 3 or min(array.shape) < 1:
            raise ValueError(f"expected a 3-D voxel grid, got shape {array.shape}")
        if array.dtype != bool:
            raise ValueError(f"expected a boolean occupancy grid, got {array.dtype} (threshold it first)")
        self._original = array.copy()
        self._grid = array.copy()
        self._undo: list[VoxelEdit] = []
        self._redo: list[VoxelEdit] = []

    # -- state ----------------------------------------------------------------------------
    @property
    def grid(self) -> np.ndarray:
        """A copy of the current grid (callers may hand it to another thread)."""
        return self._grid.copy()

    @property
    def original(self) -> np.ndarray:
        return self._original.copy()

    @property
    def shape(self) -> tuple[int, int, int]:
        return self._grid.shape

    def occupied(self, cell: Sequence[int]) -> bool:
        return bool(self._grid[tuple(int(v) for v in cell)])

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def edit_count(self) -> int:
        """Strokes applied and not undone."""
        return len(self._undo)

    def changed_voxels(self) -> int:
        """How many voxels differ from the grid sculpting started from."""
        return int(np.count_nonzero(self._grid != self._original))

    # -- edits ----------------------------------------------------------------------------
    def paint(self, centre: Sequence[int], add: bool, size: int = 1, brush: Brush = "cube") -> VoxelEdit | None:
        """Set the brush's cells around ``centre`` to ``add``; None when nothing changed."""
        cells = brush_cells(centre, size, brush, self._grid.shape)
        if len(cells):
            cells = cells[self._grid[tuple(cells.T)] != bool(add)]
        if not len(cells):
            return None
        edit = VoxelEdit(cells, bool(add))
        edit.apply(self._grid)
        self._undo.append(edit)
        del self._undo[:-self.undo_limit]
        self._redo.clear()
        return edit

    def stroke(self, point: Sequence[float] | np.ndarray, normal: Sequence[float] | np.ndarray, add: bool,
               size: int = 1, brush: Brush = "cube") -> VoxelEdit | None:
        """A click on a face: add beyond it or remove the clicked voxel (see :func:`target_voxel`)."""
        centre = target_voxel(point, normal, self._grid.shape, add)
        if centre is None:
            return None
        return self.paint(centre, add, size, brush)

    def undo(self) -> VoxelEdit | None:
        if not self._undo:
            return None
        edit = self._undo.pop()
        edit.revert(self._grid)
        self._redo.append(edit)
        return edit

    def redo(self) -> VoxelEdit | None:
        if not self._redo:
            return None
        edit = self._redo.pop()
        edit.apply(self._grid)
        self._undo.append(edit)
        return edit
