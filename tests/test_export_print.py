"""Print-ready export: physical units per format, keep the main piece, .vox palettes, class sizes,
and the ``--voxel-size`` / ``--keep-main-piece`` / ``--vox-colour`` options of ``voxstudio convert``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from core_shapes import chair_grid

from voxstudio import cli
from voxstudio.core.export import ExportOptions, export
from voxstudio.core.grid import largest_component
from voxstudio.core.io import load_voxels, save_voxels
from voxstudio.core.io.vox import DEFAULT_PALETTE, read_vox
from voxstudio.data.sizes import CLASS_SIZES, default_voxel_size, physical_extent


def _chair_with_fragment() -> np.ndarray:
    grid = chair_grid(32)
    grid[1, 1, 25] = grid[2, 1, 25] = True  # a two-voxel speck floating by the backrest
    return grid


def _load(path: Path) -> trimesh.Trimesh:
    return trimesh.load(path, force="mesh")


def test_stl_is_millimetres_and_glb_obj_ply_are_metres(tmp_path: Path) -> None:
    grid = chair_grid(32)  # 16 x 16 x 30 voxels
    size = 0.03
    stl = _load(export(tmp_path / "c.stl", grid, options=ExportOptions(voxel_size=size)))
    np.testing.assert_allclose(stl.extents, [16 * 30.0, 16 * 30.0, 30 * 30.0])  # mm, z up
    assert stl.is_watertight and stl.is_winding_consistent
    assert stl.volume == pytest.approx(grid.sum() * 30.0**3)
    for suffix in (".glb", ".obj"):  # y up
        mesh = _load(export(tmp_path / f"c{suffix}", grid, options=ExportOptions(voxel_size=size)))
        np.testing.assert_allclose(mesh.extents, [16 * size, 30 * size, 16 * size], rtol=1e-5)
    ply = _load(export(tmp_path / "c.ply", grid, options=ExportOptions(voxel_size=size)))
    np.testing.assert_allclose(ply.extents, [16 * size, 16 * size, 30 * size], rtol=1e-5)
    # without a size: one unit per voxel, as before
    np.testing.assert_allclose(_load(export(tmp_path / "v.stl", grid)).extents, [16, 16, 30])


def test_physical_size_files_still_load_back_as_the_same_grid(tmp_path: Path) -> None:
    grid = chair_grid(32)
    for suffix in (".stl", ".glb"):
        path = export(tmp_path / f"c{suffix}", grid, options=ExportOptions(voxel_size=0.031))
        back = load_voxels(path, resolution=32)
        assert (back & grid).sum() / (back | grid).sum() == 1.0


def test_exported_blocky_mesh_is_merged_and_manifold(tmp_path: Path) -> None:
    block = np.zeros((34, 34, 34), bool)
    block[1:33, 1:33, 1:33] = True
    assert len(_load(export(tmp_path / "b.stl", block)).faces) == 12
    edge_contact = np.zeros((4, 4, 4), bool)
    edge_contact[1, 1, 1] = edge_contact[2, 2, 1] = True
    ply = trimesh.load(export(tmp_path / "e.ply", edge_contact), process=False)  # PLY keeps vertex indices
    _, uses = np.unique(np.sort(ply.edges, axis=1), axis=0, return_counts=True)
    assert (uses == 2).all() and ply.is_watertight
    unmerged = export(tmp_path / "u.stl", block, options=ExportOptions(merge_faces=False))
    assert len(_load(unmerged).faces) == 2 * 6 * 32 * 32


def test_keep_main_piece(tmp_path: Path) -> None:
    grid = _chair_with_fragment()
    np.testing.assert_array_equal(largest_component(grid), chair_grid(32))
    export(tmp_path / "kept.npy", grid, options=ExportOptions(keep_main_piece=True))
    np.testing.assert_array_equal(np.load(tmp_path / "kept.npy"), chair_grid(32))
    assert _load(export(tmp_path / "all.stl", grid)).body_count == 2
    assert _load(export(tmp_path / "one.stl", grid, options=ExportOptions(keep_main_piece=True))).body_count == 1
    diagonal = np.zeros((5, 5, 5), bool)
    diagonal[1, 1, 1] = diagonal[2, 2, 2] = diagonal[3, 3, 3] = True  # corner contacts join (26-connected)
    np.testing.assert_array_equal(largest_component(diagonal), diagonal)
    assert not largest_component(np.zeros((3, 3, 3), bool)).any()


def test_vox_palette_by_height_and_by_colour(tmp_path: Path) -> None:
    grid = chair_grid(32)
    model = read_vox(export(tmp_path / "h.vox", grid))
    np.testing.assert_array_equal(model.occupancy, grid)
    assert not np.array_equal(model.palette, DEFAULT_PALETTE)  # the file carries its own palette
    z = np.argwhere(grid)[:, 2]
    index = model.colors[grid]
    assert index[z == z.min()].max() == 1 and index[z == z.max()].min() == 255  # bottom to top
    assert (np.diff([index[z == level].mean() for level in np.unique(z)]) > 0).all()
    bottom, top = model.palette[1], model.palette[255]
    np.testing.assert_array_equal(bottom, [68, 1, 84, 255])  # viridis, like the viewport
    np.testing.assert_array_equal(top, [253, 231, 37, 255])
    solid = read_vox(export(tmp_path / "s.vox", grid, options=ExportOptions(vox_colour=(200, 120, 40))))
    assert set(np.unique(solid.colors[grid])) == {1}
    np.testing.assert_array_equal(solid.palette[1], [200, 120, 40, 255])


def test_export_options_refuse_bad_sizes() -> None:
    for bad in (0.0, -1.0, float("nan"), float("inf"), 1000.0):
        with pytest.raises(ValueError, match="voxel size"):
            ExportOptions(voxel_size=bad)


def test_class_size_table_matches_the_procedural_generators() -> None:
    from voxstudio.data.procedural import CLASSES, build_parts
    from voxstudio.data.procedural.primitives import object_bounds

    assert set(CLASS_SIZES) == set(CLASSES)
    for name in CLASSES:
        extents = np.array([np.subtract(*object_bounds(build_parts(name, seed)[0])[::-1]) for seed in range(15)])
        assert np.median(extents[:, 2]) == pytest.approx(CLASS_SIZES[name].height_m, rel=0.15), name
        assert np.median(extents.max(axis=1)) == pytest.approx(CLASS_SIZES[name].longest_m, rel=0.15), name


def test_default_voxel_size_gives_a_chair_about_a_metre_tall() -> None:
    grid = chair_grid(32)  # 30 voxels tall: longest side
    size = default_voxel_size("chair", grid)
    assert physical_extent(grid, size)[2] == pytest.approx(0.96)
    assert 0.85 <= physical_extent(grid, size)[2] <= 1.0
    assert physical_extent(grid, default_voxel_size(None, grid))[2] == pytest.approx(1.0)  # unknown: 1 m
    assert physical_extent(np.zeros((4, 4, 4), bool), 0.1) == (0.0, 0.0, 0.0)


@pytest.fixture
def only_convert(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("convert_cmd",))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_convert_voxel_size_keep_main_piece_and_vox_colour(tmp_path: Path, capsys, only_convert) -> None:
    source = tmp_path / "chair.npy"
    save_voxels(source, _chair_with_fragment())
    code, out, _ = _run(["convert", str(source), str(tmp_path / "c.stl"), "--voxel-size", "0.02", "--keep-main-piece"],
                        capsys)
    assert code == 0, out
    stl = _load(tmp_path / "c.stl")
    np.testing.assert_allclose(stl.extents, [320, 320, 600])  # mm
    assert stl.body_count == 1 and stl.is_watertight
    assert "0.32 x 0.32 x 0.6 m at 20 mm per voxel, in mm" in out
    code, out, _ = _run(["convert", str(source), str(tmp_path / "c.glb")], capsys)  # default: longest side 1 m
    assert code == 0 and max(_load(tmp_path / "c.glb").extents) == pytest.approx(1.0)
    code, _, _ = _run(["convert", str(source), str(tmp_path / "c.vox"), "--vox-colour", "#ff8000"], capsys)
    assert code == 0
    np.testing.assert_array_equal(read_vox(tmp_path / "c.vox").palette[1], [255, 128, 0, 255])
    for bad in (["--voxel-size", "0"], ["--voxel-size", "abc"], ["--vox-colour", "red"]):
        code, _, err = _run(["convert", str(source), str(tmp_path / "x.stl"), *bad], capsys)
        assert (code == 2 and "voxel-size" in err) or "vox-colour" in err
