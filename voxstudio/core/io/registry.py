"""Load / save voxel grids by file extension.

``load_voxels`` returns a bool ``(R, R, R)`` grid in our convention (x, y, z; z up)
for every supported format:

* voxel files (``.binvox .vox .npy``) keep their framing: a cubic grid is only
  rotated (if asked) and resampled to ``R`` (max-pool down / nearest up); a
  non-cubic grid is framed with :func:`~voxstudio.core.grid.normalise` so its
  aspect ratio survives. ``resolution=None`` keeps a cubic file's own size.
* mesh files are voxelised (see :mod:`voxstudio.core.io.meshes`).

Up axis rule for ``up="auto"``: ``.obj``, ``.glb`` and ``.gltf`` are y-up (the
glTF spec, and OBJ as exported by ShapeNet and most DCC tools); ``.off``
(ModelNet), ``.stl``, ``.ply`` and all voxel formats (``.binvox``, ``.vox``,
``.npy``) are z-up. ShapeNet's ``.binvox`` files are y-up, so pass ``up="y"`` for
them (the ShapeNet importer does). y-up data is rotated ``(x, y, z) -> (x, -z, y)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.grid import normalise, resize

__all__ = [
    "VOXEL_EXTENSIONS",
    "MESH_EXTENSIONS",
    "load_voxels",
    "save_voxels",
    "resolve_up",
    "read_voxel_file",
    "rotate_y_up_to_z_up",
]

VOXEL_EXTENSIONS: tuple[str, ...] = (".binvox", ".vox", ".npy")
MESH_EXTENSIONS: tuple[str, ...] = (".off", ".obj", ".stl", ".ply", ".glb", ".gltf")
_Y_UP_EXTENSIONS = (".obj", ".glb", ".gltf")

Up = Literal["auto", "z", "y"]


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def resolve_up(path: str | Path, up: str = "auto") -> Literal["z", "y"]:
    """The up axis of a file under the rule in the module docstring."""
    if up in ("z", "y"):
        return up  # type: ignore[return-value]
    if up != "auto":
        raise ValueError(f"up must be 'auto', 'z' or 'y', got {up!r}")
    return "y" if _suffix(Path(path)) in _Y_UP_EXTENSIONS else "z"


def rotate_y_up_to_z_up(grid: np.ndarray) -> np.ndarray:
    """Rotate a y-up grid to z-up: ``new[x, y, z] = old[x, z, Y-1-y]`` (the mesh rule on voxels)."""
    return np.ascontiguousarray(np.transpose(grid, (0, 2, 1))[:, ::-1, :])


def read_voxel_file(path: str | Path) -> np.ndarray:
    """A voxel file's own grid (bool, native size, file's axes) without resampling."""
    path = Path(path)
    suffix = _suffix(path)
    if suffix == ".binvox":
        from voxstudio.core.io.binvox import read_binvox

        return read_binvox(path)[0]
    if suffix == ".vox":
        from voxstudio.core.io.vox import read_vox

        return read_vox(path).occupancy
    if suffix == ".npy":
        from voxstudio.core.io.npy import read_npy

        return read_npy(path)
    raise VoxelFileError(path, f"not a voxel file type ({', '.join(VOXEL_EXTENSIONS)})")


def load_voxels(
    path: str | Path,
    resolution: int | None = 32,
    up: Up = "auto",
    *,
    fill: bool = True,
) -> np.ndarray:
    """Load any supported file as a bool ``(R, R, R)`` grid. Raises :class:`VoxelFileError`.

    ``fill`` only applies to meshes (True: fill sealed cavities, as binvox; see
    :func:`~voxstudio.core.io.meshes.mesh_to_voxels`). ``resolution=None`` keeps a
    cubic voxel file's size and uses 32 for meshes.
    """
    path = Path(path)
    suffix = _suffix(path)
    axis = resolve_up(path, up)
    if resolution is not None and not 1 <= int(resolution) <= 1024:
        raise ValueError(f"resolution must be in 1..1024, got {resolution}")
    if suffix in MESH_EXTENSIONS:
        from voxstudio.core.io.meshes import read_mesh_voxels

        return read_mesh_voxels(path, 32 if resolution is None else int(resolution), axis, fill)
    if suffix not in VOXEL_EXTENSIONS:
        known = ", ".join(VOXEL_EXTENSIONS + MESH_EXTENSIONS)
        raise VoxelFileError(path, f"unsupported file type {suffix or '(none)'!r}; supported: {known}")
    grid = read_voxel_file(path)
    if axis == "y":
        grid = rotate_y_up_to_z_up(grid)
    if len(set(grid.shape)) != 1:
        size = int(resolution) if resolution is not None else int(max(grid.shape))
        return normalise(grid, size, margin=0).astype(bool, copy=False)
    if resolution is None or grid.shape[0] == int(resolution):
        return np.ascontiguousarray(grid, dtype=bool)
    return resize(grid, int(resolution)).astype(bool, copy=False)


def save_voxels(path: str | Path, grid: np.ndarray) -> None:
    """Save a grid as ``.binvox``, ``.vox`` or ``.npy`` (by extension), atomically.

    Float grids are thresholded at 0.5. Raises :class:`VoxelFileError`.
    """
    path = Path(path)
    suffix = _suffix(path)
    if suffix == ".binvox":
        from voxstudio.core.io.binvox import write_binvox

        write_binvox(path, grid)
    elif suffix == ".vox":
        from voxstudio.core.io.vox import write_vox

        write_vox(path, grid)
    elif suffix == ".npy":
        from voxstudio.core.io.npy import write_npy

        write_npy(path, grid)
    else:
        raise VoxelFileError(path, f"cannot save voxels as {suffix or '(none)'!r}; use {', '.join(VOXEL_EXTENSIONS)}")
