"""Named sliders: procedural attributes, the slider file, the engine and ``voxstudio generate``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_task import export_tiny_generator

from voxstudio.cli import main
from voxstudio.data.attributes import (
    CLASS_ATTRIBUTES,
    load_attributes,
    measure_extents,
    shape_attributes,
)
from voxstudio.data.procedural import CLASSES, generate_shape
from voxstudio.models.engine import VoxelEngine, WeightsError
from voxstudio.models.sliders import (
    SLIDERS_FILE,
    NamedSlider,
    SliderSet,
    load_sliders,
    save_sliders,
    sliders_for_weights,
)

torch.set_num_threads(1)


# ----------------------------------------------------------------------------- attributes


@pytest.mark.parametrize("class_name", CLASSES)
def test_attributes_are_recorded_and_match_the_grid(class_name: str) -> None:
    for seed in range(6):
        values = shape_attributes(class_name, seed)
        assert list(values) == list(CLASS_ATTRIBUTES[class_name])
        grid = generate_shape(class_name, seed)
        # the framed extents are the grid's bounding box (conservative voxelisation: up to one voxel more)
        measured = measure_extents(grid)
        expected = np.array([values["height"], values["width"], values["depth"]])
        assert np.all(np.abs(measured - expected) <= 1.0 + 1e-4), (seed, measured, expected)
        assert max(expected) == pytest.approx(30.0, abs=0.01)  # longest side spans R - 2
        for name, value in values.items():
            if not np.isnan(value):
                assert value >= 0.0, (name, value)


def test_attributes_are_plausible_furniture() -> None:
    chairs = [shape_attributes("chair", s) for s in range(40)]
    for a in chairs:
        assert 0 < a["seat_height"] < a["height"]  # the seat sits between the floor and the top of the back
        assert a["armrests"] in (0.0, 1.0)
        assert a["legs"] in (0.0, 4.0, 5.0)
        assert a["seat_height"] + a["backrest"] * 0.9 <= a["height"] + 1.5  # the back rises above the seat
        if a["armrests"]:
            assert a["seat_height"] < a["arm_height"] < a["height"] + 1
        else:
            assert np.isnan(a["arm_height"])
    assert 0.05 < np.mean([a["armrests"] for a in chairs]) < 0.6
    dressers = [shape_attributes("dresser", s) for s in range(30)]
    assert all(a["drawers"] >= a["drawer_rows"] >= 2 for a in dressers)
    wardrobes = [shape_attributes("wardrobe", s) for s in range(30)]
    assert all(1 <= a["doors"] <= 4 for a in wardrobes)
    assert all(a["height"] == pytest.approx(30.0) for a in wardrobes)  # taller than wide: height is the long side


def test_dataset_build_stores_an_aligned_table_and_old_sets_still_load(tmp_path: Path) -> None:
    from voxstudio.data.dataset import build_procedural, load_split

    build_procedural(tmp_path, per_class=5, workers=1, progress=False, classes=["chair", "wardrobe"])
    for split in ("train", "test"):
        data = load_split(tmp_path, split)
        table = load_attributes(tmp_path, split)
        assert table is not None and table.values.shape[0] == len(data.labels)
        heights = table.column("height")
        assert np.all(np.abs(measure_extents(data.voxels)[:, 0] - heights) <= 1.0 + 1e-4)
        doors = table.column("doors")
        assert np.all(np.isnan(doors[data.labels == 0])) and np.all(doors[data.labels == 1] >= 1)
    (tmp_path / "attributes_train.npz").unlink()  # a data set built before attributes were stored
    assert load_attributes(tmp_path, "train") is None
    assert len(load_split(tmp_path, "train").labels) == 8


# ----------------------------------------------------------------------------- slider file


def _toy_sliders(latent_dim: int, sha: str | None, classes: dict[str, list[str]]) -> SliderSet:
    rng = np.random.default_rng(0)
    made = {}
    for class_name, names in classes.items():
        rows = []
        for name in names:
            d = rng.standard_normal(latent_dim).astype(np.float32)
            rows.append(NamedSlider(name, name.lower(), f"{name}: a tooltip.", d / np.linalg.norm(d), -2.0, 2.5))
        made[class_name] = tuple(rows)
    return SliderSet(latent_dim=latent_dim, classes=made, generator_sha256=sha)


def test_slider_file_round_trip_and_validation(tmp_path: Path) -> None:
    path = save_sliders(tmp_path / "sliders.json", _toy_sliders(8, None, {"chair": ["Height", "Backrest"]}))
    loaded = load_sliders(path, latent_dim=8)
    assert loaded.names("chair") == ["Height", "Backrest"] and loaded.names("bed") == []
    assert loaded.find("chair", "back rest").name == "Backrest"
    from dataclasses import replace

    aliased = replace(loaded, classes={"sofa": (replace(loaded.find("chair", "Height"), aliases=("Backrest",)),)})
    assert aliased.find("sofa", "backrest").name == "Height"  # a sofa's back top is its height
    assert load_sliders(save_sliders(tmp_path / "aliased.json", aliased)).find("sofa", "Backrest").name == "Height"
    with pytest.raises(KeyError, match="valid names: Height, Backrest"):
        loaded.find("chair", "Armrests")
    z = np.zeros(8, np.float32)
    moved = loaded.apply(z, "chair", {"Height": 9.0})  # clamped to the range's high end
    np.testing.assert_allclose(moved, 2.5 * loaded.find("chair", "Height").direction, rtol=1e-5)
    with pytest.raises(WeightsError, match="latent"):
        load_sliders(path, latent_dim=16)
    data = json.loads(path.read_text())
    data["classes"]["chair"][0]["range"] = [1.0, 2.0]  # must straddle 0
    path.write_text(json.dumps(data))
    with pytest.raises(WeightsError, match="range"):
        load_sliders(path)
    path.write_text("{not json")
    with pytest.raises(WeightsError):
        load_sliders(path)


def test_stale_slider_file_is_refused_with_a_reason(tmp_path: Path) -> None:
    save_sliders(tmp_path / SLIDERS_FILE, _toy_sliders(8, "a" * 64, {"chair": ["Height"]}))
    sliders, problem = sliders_for_weights(tmp_path, {"weights_file": {"sha256": "b" * 64}}, 8)
    assert sliders is None and "another generator" in str(problem)
    sliders, problem = sliders_for_weights(tmp_path, {"weights_file": {"sha256": "a" * 64}}, 8)
    assert sliders is not None and problem is None
    sliders, problem = sliders_for_weights(tmp_path / "nowhere", None, 8)
    assert sliders is None and "missing" in str(problem)


# ----------------------------------------------------------------------------- CLI on a tiny generator


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny generator exported like the shipped one, with a slider file for it."""
    out = export_tiny_generator(tmp_path_factory.mktemp("weights"))
    sha = json.loads((out / "gan.json").read_text())["weights_file"]["sha256"]
    save_sliders(out / SLIDERS_FILE, _toy_sliders(16, sha, {"chair": ["Seat height", "Backrest"], "table": ["Legs"]}))
    return out


def _generate(weights: Path, *extra: str) -> int:
    return main(["generate", "--weights", str(weights), "--device", "cpu", "--threads", "1", *extra])


def test_list_sliders_prints_one_name_per_line(weights: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _generate(weights, "--class", "chair", "--list-sliders") == 0
    assert capsys.readouterr().out.splitlines() == ["Seat height", "Backrest"]
    assert _generate(weights, "--class", "table", "--list-sliders") == 0
    assert capsys.readouterr().out.splitlines() == ["Legs"]


def test_named_slider_moves_the_latent_like_the_engine(weights: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert _generate(weights, "--class", "chair", "--seed", "4", "--out", str(tmp_path),
                     "--slider", "backrest=1.5", "--slider", "Mode 2=1", "--slider", "seat_height=-7") == 0
    assert "clamped to -2" in capsys.readouterr().err
    engine = VoxelEngine.load(weights, device="cpu")
    modes = np.zeros(len(engine.directions), np.float32)
    modes[1] = 1.0
    named = engine.named_slider_offset(0, {"Backrest": 1.5, "Seat height": -2.0})
    expected = engine.generate(engine.latent_for_seed(4), 0, offset=engine.slider_offset(modes) + named) > 0.5
    np.testing.assert_array_equal(np.load(tmp_path / "chair_seed4.npy"), expected)
    # the named sliders moved the shape by exactly their (clamped) directions
    assert engine.named_sliders is not None
    sliders = engine.named_sliders
    np.testing.assert_allclose(named, 1.5 * sliders.find("chair", "Backrest").direction
                               - 2.0 * sliders.find("chair", "Seat height").direction, atol=1e-5)


def test_unknown_slider_name_lists_the_valid_ones(weights: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert _generate(weights, "--class", "chair", "--out", str(tmp_path), "--slider", "Armrests=1") == 2
    err = capsys.readouterr().err
    assert "unknown slider 'Armrests' for chair" in err and "Seat height, Backrest" in err and "Mode 1" in err
    assert not list(tmp_path.iterdir())
    # a slider of another class is not one of this class's
    assert _generate(weights, "--class", "table", "--out", str(tmp_path), "--slider", "Backrest=1") == 2
    assert "named sliders: Legs" in capsys.readouterr().err


def test_list_sliders_without_a_slider_file_says_why(weights: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("gan.json", "gan.safetensors"):
        (bare / name).write_bytes((weights / name).read_bytes())
    assert _generate(bare, "--class", "chair", "--list-sliders") == 2
    assert "sliders.json is missing" in capsys.readouterr().err
    assert _generate(bare, "--class", "chair", "--out", str(tmp_path / "o"), "--slider", "Mode 1=1") == 0
