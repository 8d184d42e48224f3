"""Real-file conventions and the classification load path (core: no networks here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from core_shapes import chair_grid, iou

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.grid import normalise
from voxstudio.core.io import save_voxels
from voxstudio.core.io.binvox import write_binvox
from voxstudio.core.io.prepare import frame_grid, prepare_shape, turned
from voxstudio.core.orientation import (
    GLTF,
    SHAPENET,
    Z_UP,
    Orientation,
    is_shapenet_file,
    orientation_for,
    rotate_grid,
    rotate_points,
    turn_grid,
)


def _inverse(orientation: Orientation) -> Orientation:
    """The rotation from our frame into a file convention (M^T of a signed permutation)."""
    matrix = tuple(tuple(int(v) for v in row) for row in orientation.as_array().T)
    return Orientation(f"{orientation.key}-inverse", "inverse", matrix)


def _chair() -> np.ndarray:
    """Our convention: z up, front -y, so the backrest is at high y."""
    return frame_grid(chair_grid(32), 32, fill=False)


def _backrest_side(grid: np.ndarray) -> str:
    """Which y half holds the top of the shape (the backrest)."""
    top = np.argwhere(grid[:, :, grid.any(axis=(0, 1)).nonzero()[0].max()])
    return "+y" if top[:, 1].mean() > grid.shape[1] / 2 else "-y"


@pytest.mark.parametrize("orientation", [Z_UP, SHAPENET, GLTF])
def test_conventions_are_proper_rotations(orientation: Orientation) -> None:
    matrix = orientation.as_array()
    assert round(float(np.linalg.det(matrix))) == 1  # never a mirror
    assert (matrix @ matrix.T == np.eye(3)).all()


def test_each_convention_maps_its_up_and_front_to_ours() -> None:
    up, front = np.array([[0, 1, 0]]), np.array([[0, 0, -1]])
    assert rotate_points(up, SHAPENET).tolist() == [[0, 0, 1]]
    assert rotate_points(front, SHAPENET).tolist() == [[0, -1, 0]]
    assert rotate_points(up, GLTF).tolist() == [[0, 0, 1]]
    assert rotate_points(-front, GLTF).tolist() == [[0, -1, 0]]  # glTF's front is +z


@pytest.mark.parametrize("orientation", [SHAPENET, GLTF])
def test_grid_rotation_agrees_with_point_rotation(orientation: Orientation) -> None:
    grid = np.zeros((3, 4, 5), dtype=bool)
    grid[2, 1, 4] = True
    rotated = rotate_grid(grid, orientation)
    # Voxel centres, taken about the grid centre, rotate like points.
    centre = (np.array(grid.shape) - 1) / 2
    expected = rotate_points(np.array([[2, 1, 4]]) - centre, orientation)[0]
    new_centre = (np.array(rotated.shape) - 1) / 2
    assert np.argwhere(rotated).tolist() == [list((expected + new_centre).round().astype(int))]


def test_orientation_rules_by_file_type(tmp_path: Path) -> None:
    assert orientation_for("a.off") is Z_UP and orientation_for("a.stl") is Z_UP and orientation_for("a.vox") is Z_UP
    assert orientation_for("a.glb") is GLTF and orientation_for("a.gltf") is GLTF and orientation_for("a.obj") is GLTF
    assert orientation_for("model_normalized.obj") is SHAPENET
    assert orientation_for("x/model_normalized.solid.binvox") is SHAPENET
    assert orientation_for("bare.binvox") is None  # decided by a pose search
    assert orientation_for("bare.binvox", "y") is SHAPENET and orientation_for("bare.binvox", "z") is Z_UP
    assert orientation_for("a.glb", "y") is GLTF and orientation_for("a.off", "y") is GLTF
    renamed = tmp_path / "chair.obj"  # a ShapeNet OBJ under another name still says where it came from
    renamed.write_text("# assimp\n\nmtllib model_normalized.mtl\n\nv 0 0 0\n")
    assert is_shapenet_file(renamed) and orientation_for(renamed) is SHAPENET
    with pytest.raises(ValueError):
        orientation_for("a.off", "x")


def test_turn_grid_is_right_handed() -> None:
    grid = np.zeros((4, 4, 4), dtype=bool)
    grid[3, 0, 0] = True  # on +x
    assert np.argwhere(turn_grid(grid, "z")).tolist() == [[3, 3, 0]]  # +x -> +y about z
    assert np.argwhere(turn_grid(grid, "z", 4)).tolist() == [[3, 0, 0]]
    with pytest.raises(ValueError):
        turn_grid(grid, "w")


def test_corner_binvox_is_reframed_like_training_data(tmp_path: Path) -> None:
    """The reported case: a chair in one corner of its 32^3 grid comes out framed like training shapes."""
    corner = np.zeros((32, 32, 32), dtype=bool)
    corner[:16, :16, 16:] = _chair()[::2, ::2, ::2]
    path = tmp_path / "corner.binvox"
    write_binvox(path, corner)
    prepared = prepare_shape(path, 32, up="z")
    framed = prepared.grid
    assert framed[:, :, 0].any()  # on the ground
    occupied = np.argwhere(framed)
    extent = occupied.max(axis=0) - occupied.min(axis=0) + 1
    assert extent.max() == 30  # longest side R - 2
    assert abs((occupied[:, 0].min() + occupied[:, 0].max()) / 2 - 15.5) <= 1  # centred in x
    assert "re-framed" in prepared.describe()


def test_shapenet_convention_binvox_opens_upright_facing_minus_y(tmp_path: Path) -> None:
    chair = _chair()
    stored = rotate_grid(chair, _inverse(SHAPENET))  # what ShapeNet would store: y up, front -z
    big = np.repeat(np.repeat(np.repeat(stored, 4, 0), 4, 1), 4, 2)  # 128^3 like ShapeNet's files
    path = tmp_path / "model_normalized.solid.binvox"
    write_binvox(path, big)
    prepared = prepare_shape(path, 32)
    assert prepared.orientation is SHAPENET
    np.testing.assert_array_equal(prepared.grid, frame_grid(chair, 32))
    assert _backrest_side(prepared.grid) == "+y"  # faces -y
    assert prepared.describe().startswith("binvox 128\u00b3 \u00b7 y up, front -z (ShapeNet)")
    assert "128\u00b3 \u2192 32\u00b3" in prepared.describe()


def test_gltf_convention_mesh_opens_upright_facing_minus_y(tmp_path: Path) -> None:
    import trimesh

    chair = _chair()
    mesh = trimesh.voxel.VoxelGrid(chair).as_boxes()
    mesh.vertices = rotate_points(mesh.vertices, _inverse(GLTF))  # y up, front +z, as glTF stores it
    path = tmp_path / "chair.glb"
    mesh.export(path)
    prepared = prepare_shape(path, 32)
    assert prepared.orientation is GLTF
    assert _backrest_side(prepared.grid) == "+y"
    # Box faces on voxel boundaries voxelise a voxel thicker; a wrong pose would overlap far less.
    assert iou(prepared.grid, frame_grid(chair, 32)) > 0.55


def test_bare_binvox_offers_both_upright_poses(tmp_path: Path) -> None:
    path = tmp_path / "bare.binvox"
    write_binvox(path, _chair())
    prepared = prepare_shape(path, 32)
    assert prepared.orientation is None
    assert [pose for pose, _ in prepared.candidates] == [Z_UP, SHAPENET]
    prepared.choose(0, "test")
    assert prepared.orientation is Z_UP and not prepared.candidates
    assert "z up (test)" in prepared.describe()


def test_hollow_shell_is_filled_and_said(tmp_path: Path) -> None:
    solid = np.zeros((32, 32, 32), dtype=bool)
    solid[4:28, 8:24, 0:20] = True
    shell = solid.copy()
    shell[5:27, 9:23, 1:19] = False
    path = tmp_path / "shell.npy"
    save_voxels(path, shell)
    prepared = prepare_shape(path, 32)
    np.testing.assert_array_equal(prepared.grid, frame_grid(solid, 32))
    assert "cavities filled" in prepared.describe()


def test_rotate_90_reframes_on_the_ground() -> None:
    chair = frame_grid(_chair(), 32)
    lying = turned(chair, "x")
    assert lying[:, :, 0].any() and lying.shape == (32, 32, 32)
    np.testing.assert_array_equal(turned(turned(turned(lying, "x"), "x"), "x"), chair)


def test_prepare_refuses_empty_and_unknown_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.npy"
    save_voxels(empty, np.zeros((8, 8, 8), dtype=bool))
    with pytest.raises(VoxelFileError, match="no occupied voxels"):
        prepare_shape(empty)
    with pytest.raises(VoxelFileError, match="unsupported"):
        prepare_shape(tmp_path / "x.txt")


def test_frame_grid_matches_normalise() -> None:
    grid = np.zeros((40, 20, 10), dtype=bool)
    grid[5:30, 2:8, 3:9] = True
    np.testing.assert_array_equal(frame_grid(grid, 32, fill=False), normalise(grid, 32, margin=1))
