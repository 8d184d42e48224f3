"""``voxstudio generate``: count, formats, seeds and sliders as in the GUI, clean-up toggle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_task import export_tiny_generator

from voxstudio.cli import main
from voxstudio.cli.generate_cmd import slider_values
from voxstudio.core.cleanup import clean_fragments, fill_pinholes
from voxstudio.core.grid import largest_component
from voxstudio.models.engine import VoxelEngine

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny trained-for-one-step generator exported like the shipped one, about half full."""
    return export_tiny_generator(tmp_path_factory.mktemp("weights"), bias=0.5)


def _run(weights: Path, out: Path, *extra: str) -> int:
    return main(["generate", "--weights", str(weights), "--device", "cpu", "--threads", "1", "--out", str(out),
                 *extra])


def test_writes_count_as_npy_reproducibly_by_seed(weights: Path, tmp_path: Path) -> None:
    assert _run(weights, tmp_path / "a", "--class", "table", "--count", "3", "--seed", "7") == 0
    files = sorted((tmp_path / "a").glob("*.npy"))
    assert [f.name for f in files] == ["table_seed7.npy", "table_seed8.npy", "table_seed9.npy"]
    engine = VoxelEngine.load(weights, device="cpu")
    for seed, path in zip((7, 8, 9), files):
        grid = np.load(path)
        assert grid.dtype == np.bool_ and grid.shape == (32, 32, 32)
        # the GUI's path: the seed's latent, one shape at a time, thresholded at 0.5
        np.testing.assert_array_equal(grid, engine.generate(engine.latent_for_seed(seed), 1) > 0.5)
    # same seed, same file; overlapping seed ranges agree shape by shape
    assert _run(weights, tmp_path / "b", "--class", "1", "--count", "2", "--seed", "8") == 0
    np.testing.assert_array_equal(np.load(tmp_path / "b" / "table_seed8.npy"), np.load(files[1]))
    assert (tmp_path / "b" / "table_seed8.npy").read_bytes() == files[1].read_bytes()


def test_sliders_match_the_engine_and_names(weights: Path, tmp_path: Path) -> None:
    assert _run(weights, tmp_path, "--class", "chair", "--seed", "3", "--slider", "Mode 2=1.5",
                "--slider", "mode_8=-9") == 0
    engine = VoxelEngine.load(weights, device="cpu")
    values = np.zeros(8, np.float32)
    values[1], values[7] = 1.5, -3.0  # clamped to the GUI's slider range
    expected = engine.generate(engine.latent_for_seed(3), 0, offset=engine.slider_offset(values)) > 0.5
    np.testing.assert_array_equal(np.load(tmp_path / "chair_seed3.npy"), expected)
    with pytest.raises(ValueError, match="unknown slider"):
        slider_values(["Mode 1"], [("Mode 9", 1.0)], 3.0)
    assert slider_values(["Mode 1", "Mode 2"], [("2", 0.5)], 3.0) == [0.0, 0.5]


@pytest.mark.parametrize("fmt", ["binvox", "vox", "stl", "glb"])
def test_other_formats_load_back(weights: Path, tmp_path: Path, fmt: str) -> None:
    from voxstudio.core.io import load_voxels

    assert _run(weights, tmp_path, "--class", "chair", "--count", "2", "--format", fmt) == 0
    files = sorted(tmp_path.glob(f"*.{fmt}"))
    assert len(files) == 2 and all(f.stat().st_size > 0 for f in files)
    if fmt in ("binvox", "vox"):
        engine = VoxelEngine.load(weights, device="cpu")
        expected = engine.generate(engine.latent_for_seed(0), 0) > 0.5
        np.testing.assert_array_equal(load_voxels(files[0]), expected)


def test_bad_class_and_slider_are_errors(weights: Path, tmp_path: Path, capsys) -> None:
    assert _run(weights, tmp_path, "--class", "sofa") == 2
    assert "unknown class" in capsys.readouterr().err
    assert _run(weights, tmp_path, "--class", "chair", "--slider", "Mode 99=1") == 2
    assert not list(tmp_path.iterdir())


def test_empty_shapes_are_skipped_for_meshes(weights: Path, tmp_path: Path, capsys) -> None:
    import shutil

    from voxstudio.models.weights import load_weights, save_weights

    state, config = load_weights(weights / "gan")
    state["to_voxels.bias"] = torch.full_like(state["to_voxels.bias"], -50.0)  # always empty
    save_weights(tmp_path / "w" / "gan", state, config)
    assert _run(tmp_path / "w", tmp_path / "o", "--class", "chair", "--count", "2", "--format", "stl") == 1
    assert "skipped seed 0" in capsys.readouterr().err
    assert _run(tmp_path / "w", tmp_path / "o", "--class", "chair", "--format", "npy") == 0
    assert not np.load(tmp_path / "o" / "chair_seed0.npy").any()
    shutil.rmtree(tmp_path / "w")


def test_clean_keeps_main_piece_and_fills_pinholes(weights: Path, tmp_path: Path) -> None:
    grid = np.zeros((16, 16, 16), bool)
    grid[2:9, 2:9, 2:9] = True
    grid[5, 5, 5] = False  # pinhole
    grid[12, 12, 12] = True  # fragment
    cleaned = clean_fragments(grid)
    assert cleaned[5, 5, 5] and not cleaned[12, 12, 12] and cleaned.sum() == 7**3
    box = np.zeros((16, 16, 16), bool)
    box[2:12, 2:12, 2:12] = True
    box[4:10, 4:10, 4:10] = False  # a large closed cavity is not a pinhole
    assert not fill_pinholes(box)[6, 6, 6]
    assert largest_component(np.zeros((4, 4, 4), bool)).sum() == 0
    assert _run(weights, tmp_path, "--class", "chair", "--clean") == 0
    engine = VoxelEngine.load(weights, device="cpu")
    raw = engine.generate(engine.latent_for_seed(0), 0)
    np.testing.assert_array_equal(np.load(tmp_path / "chair_seed0.npy"), clean_fragments(raw))


def test_voxel_size_default_per_class_and_explicit(weights: Path, tmp_path: Path) -> None:
    import trimesh

    from voxstudio.data.sizes import CLASS_SIZES

    assert _run(weights, tmp_path / "d", "--class", "chair", "--format", "stl") == 0
    mesh = trimesh.load(tmp_path / "d" / "chair_seed0.stl", force="mesh")
    assert max(mesh.extents) == pytest.approx(CLASS_SIZES["chair"].longest_m * 1000)  # STL in millimetres
    assert _run(weights, tmp_path / "e", "--class", "chair", "--format", "glb", "--voxel-size", "0.01") == 0
    engine = VoxelEngine.load(weights, device="cpu")
    grid = engine.generate(engine.latent_for_seed(0), 0) > 0.5
    cells = np.argwhere(grid)
    extent = (cells.max(axis=0) - cells.min(axis=0) + 1) * 0.01
    glb = trimesh.load(tmp_path / "e" / "chair_seed0.glb", force="mesh")
    np.testing.assert_allclose(sorted(glb.extents), sorted(extent), rtol=1e-5)  # metres (y up)
