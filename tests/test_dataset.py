"""Dataset folders: procedural build, load round trip, ModelNet / ShapeNet import, errors, CLI."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from voxstudio.cli import dataset_cmd
from voxstudio.cli.dataset_cmd import info
from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io import save_voxels
from voxstudio.data.dataset import (
    MAX_PER_CLASS,
    VoxelDataset,
    build_procedural,
    load_split,
    read_meta,
)
from voxstudio.data.importers import import_modelnet, import_shapenet
from voxstudio.data.procedural import CLASSES, generate_shape

PER_CLASS = 3


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("proc")
    return build_procedural(out, per_class=PER_CLASS, resolution=16, test_fraction=0.34, seed=4, workers=1,
                            progress=False)


def test_build_writes_meta_and_splits(built):
    # the split files, their metadata and (since the slider attributes) each split's attribute table
    assert {p.name for p in built.iterdir()} == {"meta.json", "train.npz", "test.npz",
                                                 "attributes_train.npz", "attributes_test.npz"}
    meta = json.loads((built / "meta.json").read_text())
    assert meta["classes"] == list(CLASSES)
    assert meta["resolution"] == 16 and meta["seed"] == 4 and meta["source"] == "procedural"
    assert meta["counts"]["test"] == dict.fromkeys(CLASSES, 1)
    assert meta["counts"]["train"] == dict.fromkeys(CLASSES, 2)
    with np.load(built / "train.npz") as archive:
        assert archive["voxels"].dtype == np.uint8 and archive["voxels"].shape == (24, 16**3 // 8)
        assert archive["labels"].dtype == np.int64


def test_load_round_trip_matches_generator(built):
    train = load_split(built, "train")
    test = load_split(built, "test")
    assert isinstance(train, VoxelDataset)
    assert train.voxels.shape == (24, 16, 16, 16) and train.voxels.dtype == bool
    assert len(test) == 12 and test.resolution == 16 and test.classes == list(CLASSES)
    assert np.array_equal(np.bincount(train.labels), [2] * 12)
    # index 0 of each class is the test shape, indices 1..2 train (shape seed = seed * 1e6 + index)
    for k, name in enumerate(CLASSES):
        assert np.array_equal(test.voxels[k], generate_shape(name, 4 * MAX_PER_CLASS, 16))
        assert np.array_equal(train.voxels[2 * k + 1], generate_shape(name, 4 * MAX_PER_CLASS + 2, 16))
    assert train.class_counts()["laptop"] == 2


@pytest.mark.slow
def test_parallel_build_is_identical(built, tmp_path):
    other = build_procedural(tmp_path / "par", per_class=PER_CLASS, resolution=16, test_fraction=0.34, seed=4,
                             workers=2, progress=False)
    for split in ("train", "test"):
        a, b = load_split(built, split), load_split(other, split)
        assert np.array_equal(a.voxels, b.voxels) and np.array_equal(a.labels, b.labels)


def test_build_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        build_procedural(tmp_path, per_class=0)
    with pytest.raises(ValueError):
        build_procedural(tmp_path, per_class=2, test_fraction=1.0)
    with pytest.raises(ValueError):
        build_procedural(tmp_path, per_class=2, classes=["lamp"])


def test_info_prints_counts(built, capsys):
    meta = info(built)
    out = capsys.readouterr().out
    assert "16^3" in out and "night_stand" in out and "total" in out
    assert meta["counts"]["train"]["chair"] == 2


# --------------------------------------------------------------------------- corrupt datasets


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_missing_dataset_errors(tmp_path):
    with pytest.raises(VoxelFileError, match="does not exist"):
        load_split(tmp_path / "nope")
    with pytest.raises(VoxelFileError, match="meta"):
        load_split(tmp_path)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "meta.json").write_text("{not json"), "metadata"),
        (lambda d: (d / "meta.json").write_text('{"classes": [], "resolution": 16}'), "classes"),
        (lambda d: (d / "meta.json").write_text('{"classes": ["a"], "resolution": "x"}'), "resolution"),
        (lambda d: (d / "train.npz").unlink(), "missing train"),
        (lambda d: (d / "train.npz").write_bytes(b"garbage, not a zip file"), "corrupt"),
        (lambda d: (d / "train.npz").write_bytes((d / "train.npz").read_bytes()[:200]), "corrupt"),
        (lambda d: np.savez(d / "train.npz", voxels=np.zeros((2, 10), np.uint8), labels=np.zeros(2, np.int64)),
         "bits"),
        (lambda d: np.savez(d / "train.npz", voxels=np.zeros((24, 512), np.uint8), labels=np.array([0] * 23 + [99])),
         "out of range"),
        (lambda d: np.savez(d / "train.npz", labels=np.zeros(2, np.int64)), "lacks"),
        (lambda d: np.savez(d / "train.npz", voxels=np.zeros((3, 512), np.uint8), labels=np.zeros(2, np.int64)),
         "shapes"),
    ],
)
def test_corrupt_dataset_raises_voxel_file_error(built, tmp_path, damage, message):
    broken = _copy(built, tmp_path / "broken")
    damage(broken)
    with pytest.raises(VoxelFileError, match=message) as error:
        load_split(broken, "train")
    assert str(broken) in str(error.value)


# --------------------------------------------------------------------------- imports


def _box_off(path: Path, extents: tuple[float, float, float]) -> None:
    import trimesh

    path.parent.mkdir(parents=True, exist_ok=True)
    trimesh.creation.box(extents=extents).export(path)


def test_import_modelnet(tmp_path):
    src = tmp_path / "ModelNet"
    _box_off(src / "wardrobe" / "train" / "w1.off", (1.0, 0.6, 2.0))  # tall
    _box_off(src / "wardrobe" / "test" / "w2.off", (1.2, 0.6, 2.0))
    _box_off(src / "bed" / "train" / "b1.off", (1.6, 2.0, 0.5))  # low
    _box_off(src / "zebra" / "train" / "z1.off", (1.0, 1.0, 1.0))  # not one of our classes
    (src / "bed" / "train" / "broken.off").write_text("OFF\n3 1 0\n0 0 0\n")  # truncated
    with pytest.warns(UserWarning, match="broken.off"):
        report = import_modelnet(src, tmp_path / "out", resolution=16, progress=False)
    assert report.skipped == 1 and report.skipped_files[0].endswith("broken.off")
    train = load_split(report.out_dir, "train")
    test = load_split(report.out_dir, "test")
    assert train.classes == ["bed", "wardrobe", "zebra"]  # known classes in CLASSES order first
    assert len(train) == 3 and len(test) == 1
    wardrobe = train.voxels[list(train.labels).index(1)]
    bed = train.voxels[list(train.labels).index(0)]
    z_extent = lambda g: np.ptp(np.argwhere(g)[:, 2]) + 1  # noqa: E731
    assert z_extent(wardrobe) == 14 and z_extent(bed) < 6
    assert wardrobe[:, :, 0].any(), "grounded"
    assert read_meta(report.out_dir)["skipped"] == 1


def test_import_modelnet_errors(tmp_path):
    with pytest.raises(VoxelFileError, match="does not exist"):
        import_modelnet(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty" / "chair").mkdir(parents=True)
    with pytest.raises(VoxelFileError, match="no ModelNet"):
        import_modelnet(tmp_path / "empty", tmp_path / "out")


def _pole_y_up(resolution: int = 16) -> np.ndarray:
    """A pole standing along +y: the 'up' axis of a y-up file."""
    grid = np.zeros((resolution,) * 3, dtype=bool)
    grid[7:9, 1:15, 7:9] = True
    return grid


def test_import_shapenet_layouts(tmp_path):
    src = tmp_path / "ShapeNet"
    # plain class folders
    for k in range(3):
        (src / "sofa").mkdir(parents=True, exist_ok=True)
        save_voxels(src / "sofa" / f"s{k}.binvox", _pole_y_up())
    # ShapeNetCore layout, synset id for chairs, solid preferred over surface
    model = src / "03001627" / "abc123" / "models"
    model.mkdir(parents=True)
    save_voxels(model / "model_normalized.solid.binvox", _pole_y_up())
    save_voxels(model / "model_normalized.surface.binvox", _pole_y_up())
    (src / "sofa" / "bad.binvox").write_bytes(b"#binvox 1\ndim 99999 99999 99999\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = import_shapenet(src, tmp_path / "out", resolution=16, test_fraction=0.0, progress=False)
    assert report.skipped == 1 and any("bad.binvox" in str(w.message) for w in caught)
    train = load_split(report.out_dir, "train")
    assert train.classes == ["chair", "sofa"]
    assert np.bincount(train.labels).tolist() == [1, 3]
    pole = np.argwhere(train.voxels[0])
    assert np.ptp(pole[:, 2]) >= 13 and np.ptp(pole[:, 1]) <= 1, "y-up file stands up along z"


def test_import_shapenet_explicit_splits(tmp_path):
    src = tmp_path / "sn"
    for split in ("train", "test"):
        (src / "laptop" / split).mkdir(parents=True)
        save_voxels(src / "laptop" / split / "m.binvox", _pole_y_up())
    report = import_shapenet(src, tmp_path / "out", resolution=16, progress=False)
    assert report.counts == {"train": {"laptop": 1}, "test": {"laptop": 1}}


def test_import_with_only_bad_files_fails(tmp_path):
    (tmp_path / "src" / "bed").mkdir(parents=True)
    (tmp_path / "src" / "bed" / "x.binvox").write_bytes(b"nope")
    with pytest.warns(UserWarning), pytest.raises(VoxelFileError, match="could be read"):
        import_shapenet(tmp_path / "src", tmp_path / "out", progress=False)


# --------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voxstudio")
    dataset_cmd.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_help_lists_actions(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["dataset", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for action in ("build", "import-modelnet", "import-shapenet", "info"):
        assert action in out


def test_cli_build_and_info(tmp_path, capsys):
    args = _parser().parse_args(["dataset", "build", "--out", str(tmp_path / "d"), "--per-class", "2",
                                 "--res", "16", "--seed", "3", "--workers", "1", "--classes", "chair,table"])
    assert args.handler(args) == 0
    assert load_split(tmp_path / "d", "train").classes == ["chair", "table"]
    args = _parser().parse_args(["dataset", "info", str(tmp_path / "d")])
    assert args.handler(args) == 0
    assert "chair" in capsys.readouterr().out


def test_cli_rejects_bad_numbers(capsys):
    for argv in (["dataset", "build", "--out", "x", "--per-class", "0"],
                 ["dataset", "build", "--out", "x", "--per-class", "2", "--test-fraction", "1.5"],
                 ["dataset", "build", "--out", "x", "--per-class", "2", "--res", "4"]):
        with pytest.raises(SystemExit):
            _parser().parse_args(argv)
