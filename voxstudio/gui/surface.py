"""Grid -> display surface (pyvista PolyData), run on the worker thread.

The GUI thread only uploads what this returns: thresholding, meshing, normals and
the per-point "height" scalars used for colouring are all computed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from voxstudio.core.meshing import blocky_mesh, smooth_mesh
from voxstudio.gui.requests import ViewParams

if TYPE_CHECKING:  # imported when first used: the window shows before pyvista is loaded
    import pyvista as pv

HEIGHT_ARRAY = "height"


def occupancy(grid: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean occupancy of a boolean or probability grid."""
    if grid.dtype == bool:
        return grid
    return grid >= threshold


def grid_to_polydata(grid: np.ndarray, view: ViewParams, frame_resolution: int | None = None) -> pv.PolyData:
    """Surface of ``grid`` in voxel coordinates (voxel (i,j,k) spans [i,i+1]...).

    Blocky: exposed voxel faces of the thresholded grid (flat shaded by the GPU).
    Smooth: marching cubes at the threshold (0.5 for boolean grids) with point
    normals for smooth shading. An empty grid gives an empty PolyData.
    ``frame_resolution`` scales the mesh into a grid of that size, so that e.g. a
    32^3 reconstruction sits in the same frame as the 64^3 shape beside it.
    """
    import pyvista as pv

    occ = occupancy(grid, view.threshold)
    if not occ.any():
        return pv.PolyData()
    if view.surface == "smooth":
        if grid.dtype == bool:
            field, level = grid.astype(np.float32), 0.5
        else:
            field, level = grid.astype(np.float32, copy=False), float(view.threshold)
            # marching cubes needs the level strictly inside the data range
            if not (float(field.min()) < level < float(field.max())):
                field, level = occ.astype(np.float32), 0.5
        poly = smooth_mesh(field, level=level).to_polydata()
        if poly.n_points:
            poly = poly.compute_normals(
                cell_normals=False, point_normals=True, split_vertices=False, auto_orient_normals=False
            )
    else:
        poly = blocky_mesh(occ).to_polydata()
    if poly.n_points and frame_resolution and frame_resolution != grid.shape[0]:
        poly.points = poly.points * (float(frame_resolution) / grid.shape[0])
    if poly.n_points:
        poly.point_data[HEIGHT_ARRAY] = np.ascontiguousarray(poly.points[:, 2], dtype=np.float32)
    return poly
