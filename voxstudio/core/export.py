"""Export a grid to any supported file, chosen by extension, always atomically.

* Mesh formats (:data:`MESH_EXPORT_EXTENSIONS`): the grid is meshed with
  :func:`~voxstudio.core.meshing.blocky_mesh` (coplanar faces merged, a closed
  2-manifold: what slicers call watertight) or
  :func:`~voxstudio.core.meshing.smooth_mesh` and written with trimesh's exporters.
  Units: with ``ExportOptions.voxel_size`` (metres per voxel) files are written at
  physical size in each format's customary unit -- **STL in millimetres** (what
  slicers assume), **glTF/GLB, OBJ and PLY in metres** (glTF's unit; Blender's
  default). Without it, one unit per voxel (the model spans ``[0, R]``). STL and PLY are written z-up (our
  frame, the 3D-printing convention); OBJ and GLB are written **y-up** (glTF
  mandates +Y up and OBJ tools assume it), rotated ``(x, y, z) -> (x, z, -y)`` so
  the front (-y) faces +z. :func:`voxstudio.core.io.load_voxels` with
  ``up="auto"`` applies the inverse, so exported files load back upright.
* Voxel formats (``.binvox``, ``.vox``, ``.npy``): thresholded occupancy through
  :func:`voxstudio.core.io.save_voxels`; ``.vox`` carries an RGBA palette (colour
  by height, or one chosen colour) so MagicaVoxel shows colours.
* ``ExportOptions.keep_main_piece`` drops everything but the largest 26-connected
  piece first (floating fragments print as loose debris).

Every file goes through :func:`~voxstudio.core.atomic.atomic_write`: an error
mid-write leaves any previous file untouched and no temporary file behind.

Budget: a mesh export is refused up front when the grid's exposed voxel faces
would make more than :data:`MAX_EXPORT_TRIANGLES` triangles (a 512^3 grid of
random noise would need ~400M and tens of GB); the faces are counted slab by
slab, without building anything the size of the grid. A smooth (marching cubes)
export also needs the object's bounding box within :data:`MAX_SMOOTH_CELLS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.grid import largest_component, to_occupancy
from voxstudio.core.io.common import write_bytes
from voxstudio.core.io.registry import VOXEL_EXTENSIONS, save_voxels
from voxstudio.core.meshing import SurfaceMesh, blocky_mesh, smooth_mesh

__all__ = [
    "EXPORT_EXTENSIONS",
    "MAX_EXPORT_TRIANGLES",
    "MAX_SMOOTH_CELLS",
    "MESH_EXPORT_EXTENSIONS",
    "UNIT_SCALE",
    "ExportOptions",
    "export",
    "exposed_faces",
    "grid_to_mesh",
    "unit_of",
    "write_mesh",
]

MAX_EXPORT_TRIANGLES = 2_000_000
"""Most triangles a mesh export may have (2 per exposed voxel face; about 100 MB as STL)."""
MAX_SMOOTH_CELLS = 2**25
"""Largest occupied bounding box (cells) meshed with marching cubes (``surface="smooth"``; ~322^3)."""
_SLAB = 16

MESH_EXPORT_EXTENSIONS: tuple[str, ...] = (".stl", ".obj", ".ply", ".glb")
EXPORT_EXTENSIONS: tuple[str, ...] = MESH_EXPORT_EXTENSIONS + VOXEL_EXTENSIONS
_Y_UP_EXPORTS = (".obj", ".glb")

Surface = Literal["blocky", "smooth"]

UNIT_SCALE: dict[str, float] = {".stl": 1000.0, ".glb": 1.0, ".obj": 1.0, ".ply": 1.0}
"""File units per metre for physical-size exports: STL in millimetres, the others in metres."""


def unit_of(suffix: str) -> str:
    """``"mm"`` or ``"m"``: the unit a physical-size mesh export of ``suffix`` is written in."""
    return "mm" if UNIT_SCALE.get(suffix.lower(), 1.0) == 1000.0 else "m"


@dataclass(frozen=True)
class ExportOptions:
    """How :func:`export` writes a grid, beyond the format.

    ``voxel_size``: metres per voxel edge (None: one file unit per voxel, no
    physical size). ``keep_main_piece``: keep only the largest 26-connected piece.
    ``vox_colour``: ``.vox`` colouring, None for colour by height or an ``(r, g, b)``
    colour for every voxel. ``merge_faces``: blocky meshes with coplanar faces
    merged (fewer triangles, same shape).
    """

    voxel_size: float | None = None
    keep_main_piece: bool = False
    vox_colour: tuple[int, int, int] | None = None
    merge_faces: bool = True

    def __post_init__(self) -> None:
        if self.voxel_size is not None and not (np.isfinite(self.voxel_size) and 0 < self.voxel_size <= 100):
            raise ValueError(f"voxel size must be a positive number of metres (at most 100), got {self.voxel_size!r}")


def grid_to_mesh(grid: np.ndarray, surface: Surface = "blocky", threshold: float = 0.5, merge: bool = False) -> SurfaceMesh:
    """Mesh a grid (smooth meshes use ``threshold`` as iso-level; ``merge``: merged blocky faces)."""
    array = np.asarray(grid)
    if surface == "blocky":
        return blocky_mesh(to_occupancy(array, threshold), merge=merge)
    if surface == "smooth":
        if array.dtype == np.bool_:
            return smooth_mesh(array, level=0.5)
        return smooth_mesh(array.astype(np.float32), level=threshold)
    raise ValueError(f"surface must be 'blocky' or 'smooth', got {surface!r}")


def exposed_faces(occupancy: np.ndarray) -> int:
    """Number of voxel faces between an occupied and an empty cell (grid border counts as empty).

    Counted in slabs of a few x-slices, so the temporaries stay small for any grid.
    """
    occupancy = np.asarray(occupancy, dtype=bool)
    total = 0
    nx = occupancy.shape[0]
    previous = np.zeros(occupancy.shape[1:], dtype=bool)
    for start in range(0, nx, _SLAB):
        slab = occupancy[start : start + _SLAB]
        total += int(np.count_nonzero(slab[0] != previous))  # x faces against the slab before
        total += int(np.count_nonzero(slab[1:] != slab[:-1]))
        for axis in (1, 2):
            total += int(np.count_nonzero(np.diff(slab, axis=axis)))
            total += int(np.count_nonzero(np.take(slab, 0, axis=axis)))
            total += int(np.count_nonzero(np.take(slab, -1, axis=axis)))
        previous = slab[-1]
    return total + int(np.count_nonzero(previous))  # the last slice's +x faces


def write_mesh(path: str | Path, mesh: SurfaceMesh, voxel_size: float | None = None) -> Path:
    """Write a :class:`SurfaceMesh` (our z-up frame) to STL/OBJ/PLY/GLB atomically.

    ``voxel_size`` (metres per voxel) scales it to physical size in the format's
    unit (:data:`UNIT_SCALE`); None keeps voxel units.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_EXPORT_EXTENSIONS:
        raise VoxelFileError(path, f"not a mesh export type ({', '.join(MESH_EXPORT_EXTENSIONS)})")
    if mesh.is_empty:
        raise VoxelFileError(path, "nothing to export: the grid has no occupied voxels")
    vertices = mesh.vertices.astype(np.float64)
    if voxel_size is not None:
        vertices = vertices * (float(voxel_size) * UNIT_SCALE[suffix])
    if suffix in _Y_UP_EXPORTS:
        vertices = np.stack([vertices[:, 0], vertices[:, 2], -vertices[:, 1]], axis=1)
    import trimesh

    tm = trimesh.Trimesh(vertices=vertices, faces=mesh.faces, process=False)  # float64: mm stay exact
    payload = tm.export(file_type=suffix.lstrip("."))
    data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    write_bytes(path, data)
    return path


def export(
    path: str | Path,
    grid: np.ndarray,
    surface: Surface = "blocky",
    threshold: float = 0.5,
    options: ExportOptions | None = None,
) -> Path:
    """Write ``grid`` to ``path`` in the format named by its extension; returns the path.

    Raises :class:`VoxelFileError` for an unknown extension, an empty grid (mesh
    formats) or a write failure.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    options = options or ExportOptions()
    array = np.asarray(grid)
    if array.ndim != 3:
        raise VoxelFileError(path, f"cannot export an array of shape {array.shape}: need a 3-D grid")
    if options.keep_main_piece:
        array = largest_component(to_occupancy(array, threshold))
    if suffix == ".vox":
        from voxstudio.core.io.vox import height_colours, solid_colour, write_vox

        occupancy = to_occupancy(array, threshold)
        if options.vox_colour is None:
            colours, palette = height_colours(occupancy)
        else:
            colours, palette = solid_colour(occupancy, options.vox_colour)
        write_vox(path, occupancy, colours, palette)
        return path
    if suffix in VOXEL_EXTENSIONS:
        save_voxels(path, to_occupancy(array, threshold))
        return path
    if suffix in MESH_EXPORT_EXTENSIONS:
        triangles = 2 * exposed_faces(to_occupancy(array, threshold))
        if triangles > MAX_EXPORT_TRIANGLES:
            raise VoxelFileError(
                path, f"this grid's surface needs about {triangles:,} triangles, over the export limit of "
                f"{MAX_EXPORT_TRIANGLES:,} (export a voxel format, or a lower resolution)"
            )
        if surface == "smooth":
            from voxstudio.core.grid import bounding_box

            box = bounding_box(to_occupancy(array, threshold))
            cells = 0 if box is None else int(np.prod(box[1] - box[0] + 2))
            if box is not None and cells > MAX_SMOOTH_CELLS:
                raise VoxelFileError(
                    path, f"a smooth surface of this {'x'.join(map(str, box[1] - box[0]))} object needs "
                    f"{cells:,} cells of marching cubes, over the limit of {MAX_SMOOTH_CELLS:,}; "
                    "export it blocky, or at a lower resolution"
                )
        mesh = grid_to_mesh(array, surface, threshold, merge=options.merge_faces)
        return write_mesh(path, mesh, options.voxel_size)
    raise VoxelFileError(path, f"cannot export {suffix or '(no extension)'!r}; supported: {', '.join(EXPORT_EXTENSIONS)}")
