"""Load / save voxel grids by file extension.

``load_voxels`` returns a bool ``(R, R, R)`` grid in our convention (x, y, z; z up)
for every supported format:

* voxel files (``.binvox .vox .npy``) keep their framing: a cubic grid is only
  rotated (if asked) and resampled to ``R`` (max-pool down / nearest up); a
  non-cubic grid is framed with :func:`~voxstudio.core.grid.normalise` so its
  aspect ratio survives. ``resolution=None`` keeps a cubic file's own size.
* mesh files are voxelised (see :mod:`voxstudio.core.io.meshes`).

Axes follow the file's convention (:func:`voxstudio.core.orientation.orientation_for`):
``.off`` (ModelNet), ``.stl``, ``.ply``, ``.vox``, ``.npy`` z up; ShapeNetCore files
y up, front -z; ``.glb`` / ``.gltf`` and other OBJ y up, front +z. ``up="y"`` or
``"z"`` forces the up axis. A bare ``.binvox`` under ``up="auto"`` is taken as z up
here (conversion keeps files as they are); the classification load path
(:mod:`voxstudio.core.io.prepare`) lets the classifier choose instead.

Dispatch is one format table (trimesh's ``loaders`` pattern): every format module
exports its ``voxel_loaders`` / ``voxel_savers`` (or ``mesh_loaders``) dict of
``{extension: function}``, and they are merged here; the extension lists are the
tables' keys, so a new format is one module plus one line below.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.grid import normalise, resize
from voxstudio.core.io import binvox, meshes, npy, vox
from voxstudio.core.orientation import Z_UP, Orientation, orientation_for, rotate_grid, rotate_points

__all__ = [
    "VOXEL_EXTENSIONS",
    "MESH_EXTENSIONS",
    "VOXEL_LOADERS",
    "VOXEL_SAVERS",
    "MESH_LOADERS",
    "load_voxels",
    "save_voxels",
    "resolve_up",
    "read_voxel_file",
    "voxelise_mesh_file",
]

#: ``{".binvox": read, ...}``: a voxel file's own grid (bool, native size, file's axes).
VOXEL_LOADERS: dict[str, Callable[[str | Path], np.ndarray]] = {
    **binvox.voxel_loaders, **vox.voxel_loaders, **npy.voxel_loaders,
}
#: ``{".binvox": write, ...}``: write a grid atomically (float grids thresholded at 0.5).
VOXEL_SAVERS: dict[str, Callable[[str | Path, np.ndarray], None]] = {
    **binvox.voxel_savers, **vox.voxel_savers, **npy.voxel_savers,
}
#: ``{".off": load, ...}``: ``(vertices, faces)`` of a mesh file, validated.
MESH_LOADERS: dict[str, Callable[[str | Path], tuple[np.ndarray, np.ndarray]]] = dict(meshes.mesh_loaders)

VOXEL_EXTENSIONS: tuple[str, ...] = tuple(VOXEL_LOADERS)
MESH_EXTENSIONS: tuple[str, ...] = tuple(MESH_LOADERS)
Up = Literal["auto", "z", "y"]


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def resolve_up(path: str | Path, up: str = "auto") -> Literal["z", "y"]:
    """The up axis of a file under the rule in the module docstring."""
    return "z" if (orientation_for(path, up) or Z_UP) is Z_UP else "y"


def voxelise_mesh_file(path: Path, resolution: int, orientation: Orientation, fill: bool = True) -> np.ndarray:
    """Load a mesh file, turn it into our axes and voxelise it framed (raises :class:`VoxelFileError`)."""
    load = MESH_LOADERS.get(_suffix(path))
    if load is None:
        raise VoxelFileError(path, f"not a mesh file type ({', '.join(MESH_EXTENSIONS)})")
    vertices, faces = load(path)
    try:
        return meshes.mesh_to_voxels(rotate_points(vertices, orientation), faces, resolution, up="z", fill=fill)
    except MemoryError:
        raise VoxelFileError(path, "mesh too large to voxelise") from None


def read_voxel_file(path: str | Path) -> np.ndarray:
    """A voxel file's own grid (bool, native size, file's axes) without resampling."""
    path = Path(path)
    load = VOXEL_LOADERS.get(_suffix(path))
    if load is None:
        raise VoxelFileError(path, f"not a voxel file type ({', '.join(VOXEL_EXTENSIONS)})")
    return load(path)


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
    orientation = orientation_for(path, up) or Z_UP
    if resolution is not None and not 1 <= int(resolution) <= 1024:
        raise ValueError(f"resolution must be in 1..1024, got {resolution}")
    if suffix in MESH_EXTENSIONS:
        return voxelise_mesh_file(path, 32 if resolution is None else int(resolution), orientation, fill)
    if suffix not in VOXEL_EXTENSIONS:
        known = ", ".join(VOXEL_EXTENSIONS + MESH_EXTENSIONS)
        raise VoxelFileError(path, f"unsupported file type {suffix or '(none)'!r}; supported: {known}")
    grid = rotate_grid(read_voxel_file(path), orientation)
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
    save = VOXEL_SAVERS.get(suffix)
    if save is None:
        raise VoxelFileError(path, f"cannot save voxels as {suffix or '(none)'!r}; use {', '.join(VOXEL_SAVERS)}")
    save(path, grid)
