"""Axis conventions of real files, and exact 90-degree rotations into ours.

Our frame (docs/architecture.md): z up, front toward -y. Files made elsewhere
follow other conventions, and a file read in the wrong one lies on its side or
faces backwards:

* **z up** -- ModelNet ``.off``, STL and PLY from CAD / 3D printing, MagicaVoxel
  ``.vox``, our own ``.npy``. Taken as is.
* **ShapeNet** -- ShapeNetCore ``model_normalized.obj`` and its ``.solid`` /
  ``.surface.binvox`` voxelisations: y up, front toward **-z**.
* **glTF** -- ``.glb`` / ``.gltf`` (the glTF 2.0 spec) and OBJ exported by
  Blender and most game tools: y up, front toward **+z**.

Each convention is a signed permutation matrix ``M`` (a proper rotation: det +1,
never a mirror) taking file coordinates to ours, ``ours = M @ file``; the same
matrix turns vertices (:func:`rotate_points`) and voxel grids
(:func:`rotate_grid`, exact: transposes and flips, no resampling).

A bare ``.binvox`` names no convention (ShapeNet's are y up, ModelNet-derived
ones z up): :func:`orientation_for` returns ``None`` for it under ``up="auto"``
and :func:`upright_candidates` lists the poses a caller may choose among
(``voxstudio.models.pose_search`` does, with the classifier).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "Orientation",
    "Z_UP",
    "SHAPENET",
    "GLTF",
    "UP_CHOICES",
    "orientation_for",
    "upright_candidates",
    "is_shapenet_file",
    "rotate_points",
    "rotate_grid",
    "turn_grid",
]

#: What a user may ask for: the file type's convention, or z / y up.
UP_CHOICES: tuple[str, ...] = ("auto", "z", "y")


@dataclass(frozen=True)
class Orientation:
    """A file convention: its name for people and the rotation into our frame."""

    key: str
    label: str
    matrix: tuple[tuple[int, int, int], ...]

    def as_array(self) -> np.ndarray:
        return np.array(self.matrix, dtype=np.int64)


Z_UP = Orientation("z", "z up", ((1, 0, 0), (0, 1, 0), (0, 0, 1)))
#: ShapeNet: y up, front -z.  (x, y, z) -> (-x, z, y): up y -> z, front -z -> -y.
SHAPENET = Orientation("y-shapenet", "y up, front -z (ShapeNet)", ((-1, 0, 0), (0, 0, 1), (0, 1, 0)))
#: glTF: y up, front +z.  (x, y, z) -> (x, -z, y): up y -> z, front +z -> -y.
GLTF = Orientation("y-gltf", "y up, front +z (glTF)", ((1, 0, 0), (0, 0, -1), (0, 1, 0)))

_Z_UP_SUFFIXES = (".off", ".stl", ".ply", ".vox", ".npy")
_GLTF_SUFFIXES = (".glb", ".gltf")
_SNIFF_BYTES = 4096


def is_shapenet_file(path: str | Path) -> bool:
    """A ShapeNetCore file: by its name (``model_normalized.obj``, ``model_normalized.solid.binvox``...)
    or, for a renamed OBJ, by the ``mtllib model_normalized.mtl`` line ShapeNet writes near its top."""
    path = Path(path)
    if path.name.lower().startswith("model_normalized"):
        return True
    if path.suffix.lower() != ".obj":
        return False
    try:
        with open(path, "rb") as handle:  # the first few KB only; a missing file is the loader's to report
            head = handle.read(_SNIFF_BYTES) if path.is_file() else b""
    except OSError:
        return False
    return b"mtllib model_normalized.mtl" in head


def orientation_for(path: str | Path, up: str = "auto") -> Orientation | None:
    """The convention a file is read in; ``None`` when ``up="auto"`` cannot tell (a bare .binvox).

    ``up="z"`` is z up; ``up="y"`` is y up with the front the file type implies
    (ShapeNet's -z for .binvox and ShapeNet-named files, glTF's +z otherwise).
    """
    if up not in UP_CHOICES:
        raise ValueError(f"up must be one of {', '.join(UP_CHOICES)}, got {up!r}")
    suffix = Path(path).suffix.lower()
    shapenet = is_shapenet_file(path) or suffix == ".binvox"
    if up == "z":
        return Z_UP
    if up == "y":
        return SHAPENET if shapenet else GLTF
    if suffix in _Z_UP_SUFFIXES:
        return Z_UP
    if suffix in _GLTF_SUFFIXES:
        return GLTF
    if suffix == ".obj":
        return SHAPENET if is_shapenet_file(path) else GLTF
    if suffix == ".binvox":
        return SHAPENET if is_shapenet_file(path) else None
    return Z_UP


def upright_candidates() -> tuple[Orientation, ...]:
    """The conventions a bare voxel file may follow (z up first: it is also ours)."""
    return (Z_UP, SHAPENET)


def rotate_points(points: np.ndarray, orientation: Orientation) -> np.ndarray:
    """``(N, 3)`` points in file coordinates -> ours."""
    return np.asarray(points, dtype=np.float64) @ orientation.as_array().T


def rotate_grid(grid: np.ndarray, orientation: Orientation) -> np.ndarray:
    """An ``(X, Y, Z)`` grid indexed in file axes -> our axes, exactly (no resampling).

    Output axis ``a`` reads the source axis ``s`` with ``M[a, s] = +-1``, flipped
    when the sign is negative.
    """
    matrix = orientation.as_array()
    source_axes = [int(np.flatnonzero(row)[0]) for row in matrix]
    out = np.transpose(np.asarray(grid), source_axes)
    for axis, row in enumerate(matrix):
        if row[source_axes[axis]] < 0:
            out = np.flip(out, axis=axis)
    return np.ascontiguousarray(out)


def turn_grid(grid: np.ndarray, axis: str, quarter_turns: int = 1) -> np.ndarray:
    """Rotate a grid by ``quarter_turns`` x 90 degrees about ``axis`` ("x", "y" or "z"), right-handed."""
    planes = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}
    if axis not in planes:
        raise ValueError(f"axis must be 'x', 'y' or 'z', got {axis!r}")
    return np.ascontiguousarray(np.rot90(np.asarray(grid), int(quarter_turns) % 4, axes=planes[axis]))
