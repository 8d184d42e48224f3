"""blocky_mesh / smooth_mesh: analytic face counts, watertightness, outward normals, frame."""

from __future__ import annotations

import numpy as np
import pytest
from core_shapes import box_grid, chair_grid, sphere_grid

from voxstudio.core.meshing import SurfaceMesh, blocky_mesh, smooth_mesh


def _exposed_face_count(grid: np.ndarray) -> int:
    """Independent count: occupancy changes along each axis of the zero-padded grid."""
    padded = np.pad(grid.astype(np.int8), 1)
    return int(sum(np.abs(np.diff(padded, axis=a)).sum() for a in range(3)))


@pytest.mark.parametrize("dims", [(3, 4, 5), (1, 1, 1), (2, 7, 1), (6, 6, 6)])
def test_solid_box_matches_analytic_counts(dims: tuple[int, int, int]) -> None:
    a, b, c = dims
    grid = box_grid(10, (1, 2, 3), (1 + a, 2 + b, 3 + c))
    mesh = blocky_mesh(grid)
    assert mesh.faces.shape == (2 * 2 * (a * b + b * c + c * a), 3)  # 3x4x5: 94 quads = 188 triangles
    lattice_points = (a + 1) * (b + 1) * (c + 1) - max(a - 1, 0) * max(b - 1, 0) * max(c - 1, 0)
    assert mesh.vertices.shape == (lattice_points, 3)
    tm = mesh.to_trimesh()
    assert tm.is_watertight and tm.is_winding_consistent
    assert tm.euler_number == 2
    assert tm.volume == pytest.approx(a * b * c)  # positive volume: normals point outward
    np.testing.assert_array_equal(tm.bounds, [[1, 2, 3], [1 + a, 2 + b, 3 + c]])  # voxel (i,j,k) = [i,i+1]^3
    assert mesh.vertices.dtype == np.float32 and mesh.faces.dtype == np.int64


def test_random_shapes_face_count_volume_and_outward_normals() -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        grid = rng.random((12, 12, 12)) > 0.6
        mesh = blocky_mesh(grid)
        tm = mesh.to_trimesh()
        # two per face, plus two for each edge split where voxels touch along it (see _split_double_edges)
        assert 2 * _exposed_face_count(grid) <= mesh.faces.shape[0] <= 2 * _exposed_face_count(grid) + 100
        assert tm.area == pytest.approx(_exposed_face_count(grid))
        assert tm.volume == pytest.approx(grid.sum())
        # every triangle: a step along its normal leaves the solid, a step against it enters it
        centres = tm.triangles_center
        normals = tm.face_normals
        outside = np.floor(centres + 0.25 * normals).astype(int)
        inside = np.floor(centres - 0.25 * normals).astype(int)
        padded = np.pad(grid, 1)
        assert not padded[tuple((outside + 1).T)].any()
        assert padded[tuple((inside + 1).T)].all()


def _edge_uses(tm) -> np.ndarray:
    _, counts = np.unique(np.sort(tm.edges, axis=1), axis=0, return_counts=True)
    return counts


def _assert_print_ready(grid: np.ndarray, mesh: SurfaceMesh) -> None:
    """Closed 2-manifold (every edge in exactly two triangles), outward, exact volume and area."""
    tm = mesh.to_trimesh()
    assert (_edge_uses(tm) == 2).all()
    assert tm.is_watertight and tm.is_winding_consistent
    assert tm.volume == pytest.approx(grid.sum())
    assert tm.area == pytest.approx(_exposed_face_count(grid))  # unit faces: same surface, nothing more
    assert (tm.area_faces > 1e-6).all()  # no degenerate (collinear) triangles from the fans
    centres, normals = tm.triangles_center, tm.face_normals  # every triangle lies on an exposed face
    padded = np.pad(grid, 1)
    assert not padded[tuple((np.floor(centres + 0.25 * normals).astype(int) + 1).T)].any()
    assert padded[tuple((np.floor(centres - 0.25 * normals).astype(int) + 1).T)].all()


@pytest.mark.parametrize("merge", [False, True])
def test_diagonal_edge_contact_is_manifold(merge: bool) -> None:
    grid = np.zeros((4, 4, 4), bool)
    grid[1, 1, 1] = grid[2, 2, 1] = True  # touch along one edge only
    mesh = blocky_mesh(grid, merge=merge)
    assert len(mesh.faces) == 24
    _assert_print_ready(grid, mesh)
    assert len(mesh.vertices) == 16  # the two shared lattice points get a copy per cube
    assert mesh.to_trimesh().body_count == 2


@pytest.mark.parametrize("merge", [False, True])
def test_every_2x2x2_configuration_is_manifold(merge: bool) -> None:
    """Edge contacts, corner contacts and their complements (notches) in every combination."""
    bits = (np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1
    for config in range(1, 256):
        grid = np.zeros((4, 4, 4), bool)
        grid[1:3, 1:3, 1:3] = bits[config].reshape(2, 2, 2).astype(bool)
        _assert_print_ready(grid, blocky_mesh(grid, merge=merge))


def test_notch_between_full_layers_is_manifold() -> None:
    """Two empty cells touching along an edge, closed above and below: the edge's ends are shared."""
    grid = np.zeros((4, 4, 5), bool)
    grid[1:3, 1:3, 1:4] = True
    grid[1, 2, 2] = grid[2, 1, 2] = False
    for merge in (False, True):
        _assert_print_ready(grid, blocky_mesh(grid, merge=merge))


@pytest.mark.parametrize("merge", [False, True])
def test_random_noise_is_manifold(merge: bool) -> None:
    rng = np.random.default_rng(3)
    for density in (0.3, 0.5, 0.7):
        grid = rng.random((10, 10, 10)) < density
        _assert_print_ready(grid, blocky_mesh(grid, merge=merge))


def test_merged_faces_need_fewer_triangles() -> None:
    block = np.ones((32, 32, 32), bool)
    assert len(blocky_mesh(block).faces) == 12288
    assert len(blocky_mesh(block, merge=True).faces) == 12  # one rectangle per side
    chair = chair_grid(32)
    merged = blocky_mesh(chair, merge=True)
    assert len(merged.faces) < len(blocky_mesh(chair).faces) / 10
    _assert_print_ready(chair, merged)
    _assert_print_ready(sphere_grid(16, 6.5), blocky_mesh(sphere_grid(16, 6.5), merge=True))


def test_face_connected_shapes_are_watertight() -> None:
    for grid in (chair_grid(32), sphere_grid(16, 6.5)):
        tm = blocky_mesh(grid).to_trimesh()
        assert tm.is_watertight and tm.is_winding_consistent
        assert tm.volume == pytest.approx(grid.sum())


def test_empty_and_full_grids() -> None:
    assert blocky_mesh(np.zeros((5, 5, 5), bool)).is_empty
    assert smooth_mesh(np.zeros((5, 5, 5), np.float32)).is_empty
    full = np.ones((4, 4, 4), bool)
    assert blocky_mesh(full).to_trimesh().is_watertight
    smooth = smooth_mesh(full).to_trimesh()  # padding closes the surface at the border
    assert smooth.is_watertight and smooth.volume > 0


def test_blocky_thresholds_float_grids() -> None:
    grid = np.zeros((4, 4, 4), np.float32)
    grid[1, 1, 1] = 0.9
    grid[2, 2, 2] = 0.4
    assert blocky_mesh(grid).faces.shape[0] == 12


def test_smooth_mesh_frame_watertight_and_outward() -> None:
    grid = box_grid(10, (1, 2, 3), (4, 6, 8))
    tm = smooth_mesh(grid).to_trimesh()
    assert tm.is_watertight and tm.volume > 0
    # flat faces of a bool grid at level 0.5 lie exactly on the blocky faces
    np.testing.assert_allclose(tm.bounds, [[1, 2, 3], [4, 6, 8]], atol=1e-5)
    ball = sphere_grid(32, 12.0)
    mesh = smooth_mesh(ball)
    assert mesh.to_trimesh().is_watertight
    assert mesh.to_trimesh().volume == pytest.approx(4 / 3 * np.pi * 12.0**3, rel=0.05)


def test_smooth_mesh_of_probabilities_and_level() -> None:
    x, y, z = np.meshgrid(*(np.arange(16) + 0.5,) * 3, indexing="ij")
    field = np.clip(1.0 - np.sqrt((x - 8) ** 2 + (y - 8) ** 2 + (z - 8) ** 2) / 10.0, 0, 1).astype(np.float32)
    small = smooth_mesh(field, level=0.7).to_trimesh()  # radius 3
    large = smooth_mesh(field, level=0.3).to_trimesh()  # radius 7
    assert small.volume == pytest.approx(4 / 3 * np.pi * 27, rel=0.1)
    assert large.volume == pytest.approx(4 / 3 * np.pi * 343, rel=0.1)
    np.testing.assert_allclose(small.centroid, [8, 8, 8], atol=0.05)  # centre value at i + 0.5


def test_taubin_smoothing_keeps_shape_closed() -> None:
    grid = chair_grid(32)
    raw = smooth_mesh(grid)
    smoothed = smooth_mesh(grid, smoothing_iterations=10)
    assert smoothed.faces.shape == raw.faces.shape
    assert not np.allclose(smoothed.vertices, raw.vertices)
    tm = smoothed.to_trimesh()
    assert tm.is_watertight
    assert tm.volume == pytest.approx(raw.to_trimesh().volume, rel=0.1)


def test_to_polydata_builds_vtk_cells() -> None:
    mesh = blocky_mesh(box_grid(6, (1, 1, 1), (3, 4, 5)))
    poly = mesh.to_polydata()
    assert poly.n_points == mesh.vertices.shape[0]
    assert poly.n_cells == mesh.faces.shape[0]
    assert poly.is_all_triangles
    cells = np.asarray(poly.faces).reshape(-1, 4)
    assert (cells[:, 0] == 3).all()
    np.testing.assert_array_equal(cells[:, 1:], mesh.faces)
    assert SurfaceMesh().to_polydata().n_points == 0


def test_surface_mesh_coerces_types() -> None:
    mesh = SurfaceMesh(vertices=np.zeros((3, 3), np.float64), faces=[[0, 1, 2]])
    assert mesh.vertices.dtype == np.float32 and mesh.faces.dtype == np.int64 and not mesh.is_empty
