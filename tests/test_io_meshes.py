"""Mesh files voxelised: framing, up-axis rule, interior filling, bad meshes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from core_shapes import iou, sphere_grid

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.grid import bounding_box
from voxstudio.core.io import load_voxels
from voxstudio.core.io.meshes import mesh_to_voxels
from voxstudio.core.io.registry import resolve_up


def _box(lo, hi) -> trimesh.Trimesh:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    return trimesh.creation.box(bounds=np.stack([lo, hi]))


def test_box_is_scaled_centred_grounded_and_solid(tmp_path: Path) -> None:
    path = tmp_path / "box.stl"
    _box((5, 5, 5), (6, 7, 8)).export(path)  # 1 x 2 x 3, floating, off-centre
    grid = load_voxels(path, resolution=32)
    assert grid.shape == (32, 32, 32) and grid.dtype == np.bool_
    lo, hi = bounding_box(grid)
    assert (hi - lo).tolist() == [10, 20, 30]  # longest side R - 2, aspect kept
    assert lo[2] == 0  # grounded
    assert lo[0] == 11 and lo[1] == 6  # centred: (32 - 10) / 2, (32 - 20) / 2
    assert grid.sum() == 10 * 20 * 30  # closed mesh -> solid


def test_sphere_matches_analytic_ball(tmp_path: Path) -> None:
    path = tmp_path / "ball.ply"
    trimesh.creation.icosphere(subdivisions=4, radius=2.0).export(path)
    grid = load_voxels(path, resolution=64)
    ball = np.zeros_like(grid)
    ball[:, :, :62] = np.roll(sphere_grid(64, 31.0), -1, axis=2)[:, :, :62]  # grounded ball, radius 31
    assert iou(grid, ball) > 0.9


def test_inverted_winding_gives_the_same_solid(tmp_path: Path) -> None:
    mesh = trimesh.creation.icosphere(subdivisions=3)
    normal = mesh_to_voxels(mesh.vertices, mesh.faces, 32)
    inverted = mesh_to_voxels(mesh.vertices, mesh.faces[:, ::-1], 32)
    np.testing.assert_array_equal(normal, inverted)


def test_open_mesh_is_not_filled_closed_parts_are() -> None:
    cup = _box((0, 0, 0), (4, 4, 4))
    top = np.isclose(cup.triangles_center[:, 2], 4)
    cup = trimesh.Trimesh(cup.vertices, cup.faces[~top])  # no lid: open
    lid_free = mesh_to_voxels(cup.vertices, cup.faces, 16)
    lo, hi = bounding_box(lid_free)
    assert (hi - lo).tolist() == [14, 14, 14]
    assert not lid_free[7, 7, 7]  # hollow inside
    assert lid_free[7, 7, 0]  # bottom present
    # combined with a closed box beside it: the closed one is filled, the cup is not
    both = trimesh.util.concatenate([cup, _box((6, 0, 0), (8, 4, 4))])
    grid = mesh_to_voxels(both.vertices, both.faces, 32)
    # x: cup spans voxels 1..15, box 23..30; y: centred around 16; z: 0..14
    assert grid[27, 16, 8]  # inside the closed box
    assert not grid[8, 16, 8]  # inside the cup
    assert grid[8, 16, 0]  # the cup's bottom
    assert not mesh_to_voxels(both.vertices, both.faces, 32, fill=False)[27, 16, 8]


def test_fill_true_fills_everything_enclosed() -> None:
    shell = trimesh.util.concatenate(
        [_box((0, 0, 0), (4, 4, 4)), _box((1, 1, 1), (3, 3, 3))]  # a box inside a box
    )
    auto = mesh_to_voxels(shell.vertices, shell.faces, 16)
    assert auto[7, 7, 7]
    surface = mesh_to_voxels(shell.vertices, shell.faces, 16, fill=False)
    assert not surface[5, 5, 5] and surface[7, 7, 3]


def test_y_up_obj_is_stood_upright_with_front_to_minus_y(tmp_path: Path) -> None:
    # In y-up: a tall post (y is up) and a low block in front of it (+z is front, as in ShapeNet).
    post = _box((0, 0, 0), (1, 3, 1))
    block = _box((0, 0, 1), (1, 0.5, 2))
    path = tmp_path / "thing.obj"
    trimesh.util.concatenate([post, block]).export(path)
    assert resolve_up(path) == "y"
    grid = load_voxels(path, resolution=32)
    occupied = np.argwhere(grid)
    lo, hi = occupied.min(0), occupied.max(0)
    assert hi[2] - lo[2] + 1 == 30  # tall axis is now z
    tall_part = occupied[occupied[:, 2] > 10]
    low_part = occupied[occupied[:, 2] < 4]
    # the block (front) has smaller y than the post
    assert low_part[:, 1].min() < tall_part[:, 1].min()
    assert tall_part[:, 1].min() > low_part[:, 1].min() + 5
    # forcing z-up leaves it lying along y
    lying = np.argwhere(load_voxels(path, resolution=32, up="z"))
    assert np.ptp(lying[:, 1]) + 1 == 30


def test_modelnet_off_header_quirk_and_quads(tmp_path: Path) -> None:
    # ModelNet files sometimes glue the counts to the magic: "OFF8 6 0"
    vertices = "\n".join(f"{x} {y} {z}" for x in (0, 2) for y in (0, 1) for z in (0, 4))
    # vertex index = 4x + 2y + z (x, y, z in {0, 1})
    quads = ["4 0 1 3 2", "4 4 6 7 5", "4 0 4 5 1", "4 2 3 7 6", "4 0 2 6 4", "4 1 5 7 3"]
    path = tmp_path / "m.off"
    path.write_text(f"OFF8 6 0\n{vertices}\n" + "\n".join(quads) + "\n")
    assert resolve_up(path) == "z"
    grid = load_voxels(path, resolution=16)
    lo, hi = bounding_box(grid)
    assert (hi - lo).tolist() == [7, 4, 14]  # 2 x 1 x 4, longest side 14, aspect kept (7, 3.5 -> 4)
    assert grid.sum() == 7 * 4 * 14


def test_glb_scene_with_node_transforms(tmp_path: Path) -> None:
    scene = trimesh.Scene()
    scene.add_geometry(_box((0, 0, 0), (1, 1, 1)), node_name="a")
    scene.add_geometry(_box((0, 0, 0), (1, 1, 1)), node_name="b", transform=trimesh.transformations.translation_matrix([3, 0, 0]))
    path = tmp_path / "scene.glb"
    scene.export(path)
    grid = load_voxels(path, resolution=32)
    columns = grid.any(axis=(1, 2))
    runs = np.diff(np.concatenate(([0], columns.astype(int), [0])))
    assert (runs == 1).sum() == 2  # two separate blocks along x


def test_gltf_with_external_buffer(tmp_path: Path) -> None:
    files = trimesh.Scene(_box((0, 0, 0), (1, 2, 1))).export(file_type="gltf")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    grid = load_voxels(tmp_path / "model.gltf", resolution=16)
    lo, hi = bounding_box(grid)
    assert hi[2] - lo[2] == 14  # the y extent 2 became the height
    # the same file without its buffer is a clean error
    for name in files:
        if name != "model.gltf":
            (tmp_path / name).unlink()
    with pytest.raises(VoxelFileError):
        load_voxels(tmp_path / "model.gltf")
    json.loads(files["model.gltf"])  # sanity: it was a real glTF


OFF_TRIANGLE = "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n"


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("empty.obj", b"", "empty"),
        ("verts_only.off", b"OFF\n3 0 0\n0 0 0\n1 0 0\n0 1 0\n", "no triangle faces"),
        ("nan.off", b"OFF\n3 1 0\n0 0 0\nnan 0 0\n0 1 0\n3 0 1 2\n", "NaN"),
        ("inf.off", b"OFF\n3 1 0\n0 0 0\ninf 0 0\n0 1 0\n3 0 1 2\n", "NaN or infinite"),
        ("point.off", b"OFF\n3 1 0\n1 1 1\n1 1 1\n1 1 1\n3 0 1 2\n", "zero extent"),
        ("index.off", b"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n", "vertex that does not exist"),
        ("short.off", b"OFF\n30 10 0\n0 0 0\n", "truncated"),
        ("billion.off", b"OFF\n3 1000000000 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n", "over the limit of 1,000,000"),
        ("cut.off", b"OFF\n4 2 0\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n3 0 1 2\n3 0", "does not hold the 3"),
        ("extra.off", b"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n3 0 1 2\n", "more than the 4"),
        ("shortface.off", b"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n4 0 1 2\n", "does not hold"),
        ("nomagic.off", b"3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n", "missing 'OFF'"),
        ("garbage.stl", bytes(range(256)) * 3, "mesh"),
        ("text.glb", b"hello, not a glb at all", "cannot read mesh"),
        ("text.ply", b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nend_header\n1\n2\n", "cannot read mesh"),
        ("nofaces.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no triangle faces"),
        ("broken.gltf", b'{"asset": {"version": "2.0"}, "meshes": [{"primitives": [{"attributes": {"POSITION": 9}}]}]}', "cannot read mesh"),
    ],
    ids=lambda value: value if isinstance(value, str) and "." in value else "",
)
def test_bad_meshes_raise_voxel_file_error(name: str, content: bytes, fragment: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VoxelFileError) as info:
        load_voxels(path)
    assert str(info.value).startswith(str(path)) and str(info.value).count(str(path)) == 1
    assert fragment in str(info.value), str(info.value)


def test_point_cloud_ply_has_no_faces(tmp_path: Path) -> None:
    path = tmp_path / "cloud.ply"
    trimesh.PointCloud(np.random.default_rng(0).random((50, 3))).export(path)
    with pytest.raises(VoxelFileError, match="no triangle faces"):
        load_voxels(path)


def test_valid_triangle_and_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "tri.off"
    path.write_text(OFF_TRIANGLE)
    grid = load_voxels(path, resolution=8)
    assert grid.any() and grid[:, :, 0].any()  # a flat triangle lies on the ground
    other = tmp_path / "model.fbx"
    other.write_text("x")
    with pytest.raises(VoxelFileError, match="unsupported file type"):
        load_voxels(other)


def test_parts_sharing_edges_are_filled_solid() -> None:
    # A headboard flush with a bed base: shared vertices make edges used by four
    # faces, which real ModelNet meshes have all the time. Both parts must be solid.
    base = _box((0, 0, 0), (1, 1, 0.4))
    headboard = _box((0, 0.9, 0), (1, 1, 1))
    bed = trimesh.util.concatenate([base, headboard])
    grid = mesh_to_voxels(bed.vertices, bed.faces, 32)
    surface = mesh_to_voxels(bed.vertices, bed.faces, 32, fill=False)
    assert grid[16, 16, 5]  # inside the base
    assert not surface[16, 16, 5]
    # 30 voxels per unit: base 30x30x12 plus the headboard's 30x3x18 above it.
    assert grid.sum() > 0.9 * (30 * 30 * 12 + 30 * 3 * 18)


def test_longest_horizontal_side_keeps_one_voxel_margin() -> None:
    rng = np.random.default_rng(7)
    for length, depth in zip(rng.uniform(1.0, 9.0, 60), rng.uniform(0.1, 0.9, 60)):
        box = _box((0, 0, 0), (length, depth, 0.2))
        grid = mesh_to_voxels(box.vertices, box.faces, 32)
        occupied_x = np.flatnonzero(grid.any(axis=(1, 2)))
        assert occupied_x[0] == 1 and occupied_x[-1] == 30, (length, occupied_x[[0, -1]])


def test_gltf_triangle_count_survives_fields_of_the_wrong_type() -> None:
    """A glTF whose accessors / meshes / nodes are not lists (found by the fuzz test) counts 0, never raises."""
    from voxstudio.core.io.meshes import _gltf_triangles

    primitive = {"indices": 0, "mode": 4}
    assert _gltf_triangles({"accessors": {"": None}, "meshes": [{"primitives": [primitive]}]}) == 0
    assert _gltf_triangles({"accessors": [{"count": 36}], "meshes": "box", "nodes": {"mesh": 0}}) == 0
    assert _gltf_triangles({"accessors": [{"count": 36}], "meshes": [{"primitives": [primitive]}], "nodes": 7}) == 12
