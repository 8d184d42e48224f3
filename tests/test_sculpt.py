"""Sculpting (core): pick -> voxel, brushes, grid edges, undo / redo."""

from __future__ import annotations

import numpy as np
import pytest

from voxstudio.core.meshing import blocky_mesh
from voxstudio.core.sculpt import (
    SculptModel,
    axis_normal,
    brush_cells,
    brush_offsets,
    clamp_to_cell,
    face_normal,
    picked_voxel,
    target_voxel,
)

R = 8


def _grid(*cells: tuple[int, int, int]) -> np.ndarray:
    grid = np.zeros((R, R, R), dtype=bool)
    for cell in cells:
        grid[cell] = True
    return grid


# -- pick -> voxel -------------------------------------------------------------------------
@pytest.mark.parametrize(("normal", "point", "clicked", "beyond"), [
    ((0, 0, 1), (3.5, 4.5, 3.0), (3, 4, 2), (3, 4, 3)),  # top face of (3,4,2)
    ((0, 0, -1), (3.5, 4.5, 2.0), (3, 4, 2), (3, 4, 1)),  # bottom face
    ((1, 0, 0), (4.0, 4.2, 2.7), (3, 4, 2), (4, 4, 2)),  # +x side
    ((-1, 0, 0), (3.0, 4.2, 2.7), (3, 4, 2), (2, 4, 2)),  # -x side
    ((0, 1, 0), (3.3, 5.0, 2.1), (3, 4, 2), (3, 5, 2)),  # +y (back)
    ((0, -1, 0), (3.3, 4.0, 2.1), (3, 4, 2), (3, 3, 2)),  # -y (front)
])
def test_a_face_maps_to_the_clicked_voxel_and_the_one_beyond(normal, point, clicked, beyond):
    shape = (R, R, R)
    assert picked_voxel(point, normal, shape) == clicked
    assert target_voxel(point, normal, shape, add=False) == clicked
    assert target_voxel(point, normal, shape, add=True) == beyond


def test_float_noise_on_the_face_plane_and_in_the_normal_is_absorbed():
    # VTK gives 2.9999997 for the plane z = 3 and a normal that is not exactly unit
    assert picked_voxel((3.5, 4.5, 2.9999997), (1e-7, -2e-7, 0.99), (R, R, R)) == (3, 4, 2)
    assert picked_voxel((3.5, 4.5, 3.0000004), (0, 0, 1), (R, R, R)) == (3, 4, 2)
    assert axis_normal((0.1, -0.9, 0.2)).tolist() == [0, -1, 0]


def test_bad_normals_are_refused():
    for bad in ((0, 0, 0), (np.nan, 0, 1), (1, 0)):
        with pytest.raises(ValueError):
            axis_normal(bad)


def test_grid_edges_adding_beyond_the_grid_does_nothing():
    shape = (R, R, R)
    # top face of a voxel in the top layer: the voxel beyond is outside
    assert target_voxel((1.5, 1.5, R), (0, 0, 1), shape, add=True) is None
    assert target_voxel((1.5, 1.5, R), (0, 0, 1), shape, add=False) == (1, 1, R - 1)
    # bottom face of the ground layer, -x face of x == 0
    assert target_voxel((1.5, 1.5, 0.0), (0, 0, -1), shape, add=True) is None
    assert target_voxel((0.0, 1.5, 1.5), (-1, 0, 0), shape, add=True) is None
    assert picked_voxel((0.0, 1.5, 1.5), (-1, 0, 0), shape) == (0, 1, 1)
    model = SculptModel(_grid((1, 1, R - 1)))
    assert model.stroke((1.5, 1.5, R), (0, 0, 1), add=True) is None
    assert not model.can_undo


def test_face_normal_faces_the_camera_whatever_the_winding():
    tri = [(3, 4, 3), (4, 4, 3), (4, 5, 3)]  # counter-clockwise from above: +z
    assert face_normal(tri).tolist() == [0, 0, 1]
    assert face_normal(tri, towards=(3, 4, 50)).tolist() == [0, 0, 1]
    assert face_normal(tri, towards=(3, 4, -50)).tolist() == [0, 0, -1]
    assert face_normal(tri[::-1], towards=(3, 4, 50)).tolist() == [0, 0, 1]


def test_clamping_moves_an_edge_click_into_the_picked_cell():
    # a click exactly on the edge x = 4 between the top faces of (3,4,2) and (4,4,2)
    edge = np.array([4.0, 4.5, 3.0])
    triangle = np.array([[3, 4, 3], [4, 4, 3], [4, 5, 3]], dtype=float)  # half of (3,4,2)'s top face
    assert picked_voxel(edge, (0, 0, 1), (R, R, R)) == (4, 4, 2)  # ambiguous without the clamp
    assert picked_voxel(clamp_to_cell(edge, triangle), (0, 0, 1), (R, R, R)) == (3, 4, 2)
    # the picker's tolerance put the point above the front face (-y) of (13,26,29): it stays that face's
    front = np.array([[13, 26, 29], [14, 26, 29], [14, 26, 30]], dtype=float)
    point = clamp_to_cell((13.8, 26.0, 30.037), front)
    assert 29 < point[2] < 30 and point[1] == 26.0
    assert picked_voxel(point, (0, -1, 0), (32, 32, 32)) == (13, 26, 29)


def test_every_face_of_a_real_blocky_mesh_maps_back_to_its_voxel():
    """Each triangle of ``blocky_mesh`` (the viewport's surface): centroid + normal -> the voxel it bounds."""
    grid = _grid((2, 2, 0), (2, 2, 1), (3, 2, 1), (5, 5, 5))
    mesh = blocky_mesh(grid)
    for face in mesh.faces:
        tri = mesh.vertices[face].astype(np.float64)
        normal = face_normal(tri)  # the mesh's own winding is outward
        centre = tri.mean(axis=0)
        clicked = picked_voxel(centre, normal, grid.shape)
        assert clicked is not None and grid[clicked], (tri, normal)
        beyond = target_voxel(centre, normal, grid.shape, add=True)
        assert beyond is None or not grid[beyond]  # exposed face: the voxel beyond is empty


# -- brushes ---------------------------------------------------------------------------------
def test_brush_sizes():
    assert brush_offsets(1).tolist() == [[0, 0, 0]]
    assert len(brush_offsets(2, "cube")) == 27 and len(brush_offsets(3, "cube")) == 125
    assert len(brush_offsets(2, "sphere")) == 7 and len(brush_offsets(3, "sphere")) == 33
    assert np.abs(brush_offsets(3, "cube")).max() == 2
    for bad in (0, 6, 1.5, True):
        with pytest.raises(ValueError):
            brush_offsets(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        brush_offsets(2, "blob")  # type: ignore[arg-type]


def test_brush_is_clipped_at_the_corner_of_the_grid():
    cells = brush_cells((0, 0, 0), 2, "cube", (R, R, R))
    assert len(cells) == 8 and cells.min() == 0 and cells.max() == 1
    cells = brush_cells((R - 1, R - 1, R - 1), 3, "cube", (R, R, R))
    assert len(cells) == 27 and cells.min() == R - 3


def test_add_with_brushes_around_the_voxel_beyond():
    grid = _grid((4, 4, 0))
    model = SculptModel(grid)
    edit = model.stroke((4.5, 4.5, 1.0), (0, 0, 1), add=True, size=2, brush="cube")
    assert edit is not None and edit.add
    # a 3x3x3 cube around (4,4,1) clipped at z = 0..2; (4,4,0) was already there
    expected = np.zeros_like(grid)
    expected[3:6, 3:6, 0:3] = True
    np.testing.assert_array_equal(model.grid, expected)
    assert edit.count == 27 - 1 and model.changed_voxels() == 26

    sphere = SculptModel(grid)
    sphere.stroke((4.5, 4.5, 1.0), (0, 0, 1), add=True, size=2, brush="sphere")
    added = np.argwhere(sphere.grid & ~grid)
    assert sorted(map(tuple, added)) == sorted([(4, 4, 1), (3, 4, 1), (5, 4, 1), (4, 3, 1), (4, 5, 1), (4, 4, 2)])


def test_single_voxel_add_and_remove_on_the_clicked_face():
    model = SculptModel(_grid((3, 4, 2)))
    model.stroke((4.0, 4.5, 2.5), (1, 0, 0), add=True)  # +x face
    assert model.occupied((4, 4, 2)) and int(model.grid.sum()) == 2
    model.stroke((4.5, 4.5, 3.0), (0, 0, 1), add=False)  # shift-click the new voxel's top
    assert not model.occupied((4, 4, 2)) and model.occupied((3, 4, 2))
    assert model.stroke((4.5, 4.5, 3.0), (0, 0, 1), add=False) is None  # already empty: no edit
    assert model.edit_count == 2


def test_remove_with_a_brush():
    grid = np.zeros((R, R, R), dtype=bool)
    grid[1:7, 1:7, 0:4] = True
    model = SculptModel(grid)
    model.stroke((3.5, 3.5, 4.0), (0, 0, 1), add=False, size=2)  # centre (3,3,3)
    expected = grid.copy()
    expected[2:5, 2:5, 2:4] = False
    np.testing.assert_array_equal(model.grid, expected)


# -- undo / redo -------------------------------------------------------------------------------
def test_undo_redo_restore_exact_grids():
    rng = np.random.default_rng(0)
    start = rng.random((R, R, R)) < 0.3
    model = SculptModel(start)
    states = [model.grid]
    for i in range(6):
        centre = tuple(int(v) for v in rng.integers(0, R, 3))
        if model.paint(centre, add=bool(i % 2 == 0), size=1 + i % 3, brush="sphere" if i % 2 else "cube"):
            states.append(model.grid)
    assert model.edit_count == len(states) - 1 >= 4
    for expected in reversed(states[:-1]):
        assert model.undo() is not None
        np.testing.assert_array_equal(model.grid, expected)
    assert model.undo() is None and not model.can_undo and model.can_redo
    np.testing.assert_array_equal(model.grid, start)
    for expected in states[1:]:
        assert model.redo() is not None
        np.testing.assert_array_equal(model.grid, expected)
    assert model.redo() is None


def test_a_new_edit_clears_redo_and_the_stack_is_bounded():
    model = SculptModel(_grid(), undo_limit=3)
    for x in range(5):
        model.paint((x, 0, 0), add=True)
    assert model.edit_count == 3
    model.undo()
    assert model.can_redo
    model.paint((0, 5, 0), add=True)
    assert not model.can_redo


def test_the_model_owns_its_grid():
    grid = _grid((1, 1, 1))
    model = SculptModel(grid)
    model.paint((2, 2, 2), add=True)
    assert not grid[2, 2, 2]  # the caller's array is untouched
    copy = model.grid
    copy[:] = False
    assert model.occupied((2, 2, 2))  # and callers cannot change the model's


def test_probability_grids_must_be_thresholded_first():
    with pytest.raises(ValueError, match="threshold"):
        SculptModel(np.zeros((R, R, R), dtype=np.float32))
    with pytest.raises(ValueError, match="3-D"):
        SculptModel(np.zeros((R, R), dtype=bool))
