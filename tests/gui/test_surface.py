"""grid -> display surface (runs on the worker; no window needed)."""

from __future__ import annotations

import numpy as np
import pytest

from voxstudio.core.meshing import blocky_mesh, smooth_mesh
from voxstudio.gui.requests import ViewParams
from voxstudio.gui.surface import HEIGHT_ARRAY, grid_to_polydata

pytestmark = pytest.mark.gui


def _box(resolution: int = 16) -> np.ndarray:
    grid = np.zeros((resolution,) * 3, np.float32)
    grid[4:10, 5:9, 0:7] = 0.9
    return grid


def test_blocky_surface_matches_core_mesh_and_carries_height():
    grid = _box()
    poly = grid_to_polydata(grid, ViewParams("blocky", 0.5))
    assert poly.n_cells == len(blocky_mesh(grid >= 0.5).faces)
    np.testing.assert_allclose(poly.point_data[HEIGHT_ARRAY], poly.points[:, 2])
    assert poly.bounds[4] == 0.0 and poly.bounds[5] == 7.0  # voxel k spans [k, k+1]


def test_threshold_decides_occupancy():
    grid = _box()
    grid[4:10, 5:9, 7] = 0.4  # a faint extra layer on top
    assert grid_to_polydata(grid, ViewParams("blocky", 0.5)).bounds[5] == 7.0
    assert grid_to_polydata(grid, ViewParams("blocky", 0.3)).bounds[5] == 8.0


def test_smooth_surface_has_normals_and_uses_the_threshold_as_level():
    grid = _box()
    poly = grid_to_polydata(grid, ViewParams("smooth", 0.5))
    assert poly.n_cells == len(smooth_mesh(grid, level=0.5).faces)
    assert "Normals" in poly.point_data


def test_empty_grid_gives_empty_surface():
    assert grid_to_polydata(np.zeros((8, 8, 8), np.float32), ViewParams()).n_points == 0
    assert grid_to_polydata(np.full((8, 8, 8), 0.2, np.float32), ViewParams("smooth", 0.5)).n_points == 0


def test_frame_resolution_scales_into_the_other_views_frame():
    poly = grid_to_polydata(_box(16), ViewParams(), frame_resolution=32)
    assert poly.bounds == pytest.approx((8.0, 20.0, 10.0, 18.0, 0.0, 14.0))
    assert poly.point_data[HEIGHT_ARRAY].max() == pytest.approx(14.0)
