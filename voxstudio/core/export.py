"""Export a grid to any supported file, chosen by extension, always atomically.

* Mesh formats (:data:`MESH_EXPORT_EXTENSIONS`): the grid is meshed with
  :func:`~voxstudio.core.meshing.blocky_mesh` or
  :func:`~voxstudio.core.meshing.smooth_mesh` and written with trimesh's exporters.
  Units are voxels (the model spans ``[0, R]``). STL and PLY are written z-up (our
  frame, the 3D-printing convention); OBJ and GLB are written **y-up** (glTF
  mandates +Y up and OBJ tools assume it), rotated ``(x, y, z) -> (x, z, -y)`` so
  the front (-y) faces +z. :func:`voxstudio.core.io.load_voxels` with
  ``up="auto"`` applies the inverse, so exported files load back upright.
* Voxel formats (``.binvox``, ``.vox``, ``.npy``): thresholded occupancy through
  :func:`voxstudio.core.io.save_voxels`.

Every file goes through :func:`~voxstudio.core.atomic.atomic_write`: an error
mid-write leaves any previous file untouched and no temporary file behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.grid import to_occupancy
from voxstudio.core.io.common import write_bytes
from voxstudio.core.io.registry import VOXEL_EXTENSIONS, save_voxels
from voxstudio.core.meshing import SurfaceMesh, blocky_mesh, smooth_mesh

__all__ = ["MESH_EXPORT_EXTENSIONS", "EXPORT_EXTENSIONS", "export", "grid_to_mesh", "write_mesh"]

MESH_EXPORT_EXTENSIONS: tuple[str, ...] = (".stl", ".obj", ".ply", ".glb")
EXPORT_EXTENSIONS: tuple[str, ...] = MESH_EXPORT_EXTENSIONS + VOXEL_EXTENSIONS
_Y_UP_EXPORTS = (".obj", ".glb")

Surface = Literal["blocky", "smooth"]


def grid_to_mesh(grid: np.ndarray, surface: Surface = "blocky", threshold: float = 0.5) -> SurfaceMesh:
    """Mesh a grid the way :func:`export` does (smooth meshes use ``threshold`` as iso-level)."""
    array = np.asarray(grid)
    if surface == "blocky":
        return blocky_mesh(to_occupancy(array, threshold))
    if surface == "smooth":
        if array.dtype == np.bool_:
            return smooth_mesh(array, level=0.5)
        return smooth_mesh(array.astype(np.float32), level=threshold)
    raise ValueError(f"surface must be 'blocky' or 'smooth', got {surface!r}")


def write_mesh(path: str | Path, mesh: SurfaceMesh) -> Path:
    """Write a :class:`SurfaceMesh` (our z-up frame) to STL/OBJ/PLY/GLB atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_EXPORT_EXTENSIONS:
        raise VoxelFileError(path, f"not a mesh export type ({', '.join(MESH_EXPORT_EXTENSIONS)})")
    if mesh.is_empty:
        raise VoxelFileError(path, "nothing to export: the grid has no occupied voxels")
    vertices = mesh.vertices
    if suffix in _Y_UP_EXPORTS:
        vertices = np.stack([vertices[:, 0], vertices[:, 2], -vertices[:, 1]], axis=1)
    tm = SurfaceMesh(vertices=vertices, faces=mesh.faces).to_trimesh()
    payload = tm.export(file_type=suffix.lstrip("."))
    data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    write_bytes(path, data)
    return path


def export(
    path: str | Path,
    grid: np.ndarray,
    surface: Surface = "blocky",
    threshold: float = 0.5,
) -> Path:
    """Write ``grid`` to ``path`` in the format named by its extension; returns the path.

    Raises :class:`VoxelFileError` for an unknown extension, an empty grid (mesh
    formats) or a write failure.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    array = np.asarray(grid)
    if array.ndim != 3:
        raise VoxelFileError(path, f"cannot export an array of shape {array.shape}: need a 3-D grid")
    if suffix in VOXEL_EXTENSIONS:
        save_voxels(path, to_occupancy(array, threshold))
        return path
    if suffix in MESH_EXPORT_EXTENSIONS:
        return write_mesh(path, grid_to_mesh(array, surface, threshold))
    raise VoxelFileError(path, f"cannot export {suffix or '(no extension)'!r}; supported: {', '.join(EXPORT_EXTENSIONS)}")
