"""The one load path for classification: any file framed exactly like the training data.

The networks were trained on solid shapes, z up, front -y, cropped to their
bounding box, longest side ``R - 2`` voxels, centred in x/y and standing on
``z == 0`` (:func:`voxstudio.core.grid.normalise`). Files made elsewhere keep
their own framing (a ShapeNet chair in one corner of a 128^3 grid), axes
(:mod:`voxstudio.core.orientation`) and fill (``.surface.binvox`` shells).
:func:`prepare_shape` undoes all three, for every format, and says what it did
(:attr:`PreparedShape.steps`), so the GUI, the CLI, the self-test and the
importers all see the same grid for the same file.

Voxel files are rotated exactly at their own size, then re-framed (max-pooled
down, so thin parts survive) and sealed cavities filled. Meshes are rotated as
vertices and voxelised straight into the frame
(:func:`voxstudio.core.io.meshes.mesh_to_voxels`, which fills as binvox does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.grid import fill_interior, normalise
from voxstudio.core.orientation import (
    Orientation,
    orientation_for,
    rotate_grid,
    turn_grid,
    upright_candidates,
)

__all__ = ["PreparedShape", "prepare_shape", "frame_grid", "turned"]


@dataclass
class PreparedShape:
    """A file ready for the classifier, and what was done to get it there.

    ``candidates`` holds one grid per upright pose when the file's convention is
    unknown (a bare .binvox under ``up="auto"``); ``grid`` is then the first of
    them until a caller picks (:meth:`choose`).
    """

    grid: np.ndarray
    source: str
    orientation: Orientation | None
    steps: list[str] = field(default_factory=list)
    candidates: list[tuple[Orientation, np.ndarray]] = field(default_factory=list)

    def describe(self) -> str:
        """One line for people, e.g. ``binvox 128³ → 32³ · y up, front -z (ShapeNet) → z up · re-framed``."""
        return " \u00b7 ".join([self.source, *self.steps])

    def choose(self, index: int, reason: str) -> None:
        """Settle an undecided pose on ``candidates[index]``."""
        orientation, grid = self.candidates[index]
        self.orientation = orientation
        self.grid = grid
        self.candidates = []
        self.steps.insert(0, f"{_orientation_step(orientation)} ({reason})")


def _orientation_step(orientation: Orientation) -> str:
    return "z up" if orientation.key == "z" else f"{orientation.label} \u2192 z up"


def frame_grid(grid: np.ndarray, resolution: int, fill: bool = True) -> np.ndarray:
    """Re-frame a z-up occupancy grid like the training data (and fill sealed cavities)."""
    framed = normalise(np.asarray(grid).astype(bool, copy=False), int(resolution), margin=1)
    return fill_interior(framed) if fill else framed


def turned(shape_grid: np.ndarray, axis: str, quarter_turns: int = 1) -> np.ndarray:
    """A shown grid rotated 90 degrees about ``axis`` and re-framed (the GUI's "Rotate 90°")."""
    return frame_grid(turn_grid(shape_grid, axis, quarter_turns), shape_grid.shape[0], fill=False)


def _size_text(shape: tuple[int, ...]) -> str:
    return f"{shape[0]}\u00b3" if len(set(shape)) == 1 else "\u00d7".join(str(n) for n in shape)


def prepare_shape(path: str | Path, resolution: int = 32, up: str = "auto") -> PreparedShape:
    """Load ``path`` (voxel file or mesh) as the classifier expects it. Raises :class:`VoxelFileError`."""
    from voxstudio.core.io.registry import MESH_EXTENSIONS, VOXEL_EXTENSIONS, read_voxel_file

    path = Path(path)
    resolution = int(resolution)
    if not 8 <= resolution <= 256:
        raise ValueError(f"resolution must be in 8..256, got {resolution}")
    suffix = path.suffix.lower()
    orientation = orientation_for(path, up)
    if suffix in MESH_EXTENSIONS:
        return _prepare_mesh(path, resolution, orientation)
    if suffix not in VOXEL_EXTENSIONS:
        known = ", ".join(VOXEL_EXTENSIONS + MESH_EXTENSIONS)
        raise VoxelFileError(path, f"unsupported file type {suffix or '(none)'!r}; supported: {known}")
    native = np.asarray(read_voxel_file(path)).astype(bool, copy=False)
    if not native.any():
        raise VoxelFileError(path, "the file holds no occupied voxels")
    source = f"{suffix.lstrip('.')} {_size_text(native.shape)}"
    steps = [f"{_size_text(native.shape)} \u2192 {resolution}\u00b3"] if native.shape != (resolution,) * 3 else []
    steps.append("re-framed")
    poses = [orientation] if orientation is not None else list(upright_candidates())
    framed = [frame_grid(rotate_grid(native, pose), resolution, fill=False) for pose in poses]
    candidates = [(pose, fill_interior(grid)) for pose, grid in zip(poses, framed)]
    if int(candidates[0][1].sum()) > int(framed[0].sum()):
        steps.append("cavities filled")
    if orientation is not None:
        steps.insert(0, _orientation_step(orientation))
        return PreparedShape(candidates[0][1], source, orientation, steps)
    return PreparedShape(candidates[0][1], source, None, steps, candidates)


def _prepare_mesh(path: Path, resolution: int, orientation: Orientation | None) -> PreparedShape:
    from voxstudio.core.io.registry import voxelise_mesh_file

    pose = orientation or upright_candidates()[0]
    grid = voxelise_mesh_file(path, resolution, pose)
    source = "mesh"
    steps = [_orientation_step(pose), f"voxelised at {resolution}\u00b3"]
    return PreparedShape(np.asarray(grid, dtype=bool), source, pose, steps)
