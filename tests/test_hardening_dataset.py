"""Hostile dataset folders (issue 14): meta.json validated, split files checked before decompressing."""

from __future__ import annotations

import io
import json
import os
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from core_shapes import chair_grid
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_loaders import ALLOCATION_LIMIT, SMALL_SETTINGS, _json_values, mutated
from test_hardening_io import finishes

from voxstudio.cli import main as cli_main
from voxstudio.cli.dataset_cmd import info
from voxstudio.core.errors import VoxelFileError
from voxstudio.data import validation
from voxstudio.data.dataset import load_split, read_meta, write_dataset

RES = 8  # 512 voxels = 64 packed bytes per shape


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(0)
    voxels = rng.random((6, RES, RES, RES)) > 0.5
    splits = {"train": (voxels[:4], np.array([0, 1, 1, 0])), "test": (voxels[4:], np.array([1, 0]))}
    return write_dataset(tmp_path_factory.mktemp("ds"), splits, ["chair", "table"], RES, source="test")


@pytest.fixture
def copy(dataset: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(dataset, tmp_path / "ds"))


def _edit_meta(folder: Path, **changes: object) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    meta.update(changes)
    (folder / "meta.json").write_text(json.dumps(meta))


def test_valid_dataset_loads_and_describes(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = load_split(dataset, "train")
    assert train.voxels.shape == (4, RES, RES, RES) and train.voxels.dtype == np.bool_
    assert train.labels.tolist() == [0, 1, 1, 0]
    info(dataset)
    assert "total" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"resolution": True}, "invalid 'resolution': True"),
        ({"resolution": 16.0}, "invalid 'resolution'"),
        ({"resolution": 100_000}, "invalid 'resolution'"),
        ({"classes": ["chair", 3]}, "'classes'"),
        ({"classes": ["chair", "chair"]}, "twice"),
        ({"classes": [f"c{i}" for i in range(5000)]}, "over the limit of 1000"),
        ({"counts": [1, 2]}, "'counts' must map"),
        ({"counts": {"train": {"chair": "2"}}}, "'counts.train.chair' must be a non-negative integer"),
        ({"counts": {"train": {"chair": -1}}}, "non-negative"),
        ({"counts": {"train": {"chair": True}}}, "non-negative integer, got True"),
        ({"counts": {"train": {"sofa": 2}}}, "unknown class 'sofa'"),
        ({"counts": {"train": 5}}, "'counts.train' must map"),
        ({"seed": "zero"}, "'seed' must be an integer"),
        ({"skipped": "many"}, "'skipped' must be an integer"),
    ],
)
def test_malformed_meta_json_is_refused_everywhere(copy: Path, changes: dict, fragment: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _edit_meta(copy, **changes)
    for call in (read_meta, load_split, info):
        with pytest.raises(VoxelFileError, match=fragment) as error:
            call(copy)
        assert error.value.path == copy / "meta.json"
    assert cli_main(["dataset", "info", str(copy)]) == 2  # `dataset info`: a message, not a traceback
    assert fragment.split("'")[0] in capsys.readouterr().err


def test_deep_or_huge_meta_json_is_refused(copy: Path) -> None:
    (copy / "meta.json").write_text('{"classes": ["a"], "resolution": 8, "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(VoxelFileError, match="nested deeper"):
        read_meta(copy)
    (copy / "meta.json").write_text('{"classes": ["a"], "resolution": 8, "pad": "' + "x" * (2 * 2**20) + '"}')
    with pytest.raises(VoxelFileError, match="over the 1 MB limit"):
        read_meta(copy)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("name", ["meta.json", "train.npz"])
def test_fifo_in_a_dataset_is_refused_without_hanging(copy: Path, name: str) -> None:
    (copy / name).unlink()
    os.mkfifo(copy / name)
    with pytest.raises(VoxelFileError, match="FIFO"):
        finishes(lambda: load_split(copy, "train"))


def test_info_checks_the_counts_against_the_files(copy: Path) -> None:
    _edit_meta(copy, counts={"train": {"chair": 3, "table": 1}, "test": {"chair": 1, "table": 1}})
    with pytest.raises(VoxelFileError, match=r"per-class counts differ from meta.json \(chair: 3 in meta.json, 2"):
        info(copy)
    _edit_meta(copy, counts={"train": {"chair": 2, "table": 3}, "test": {"chair": 1, "table": 1}})
    with pytest.raises(VoxelFileError, match="holds 4 shapes, but meta.json counts 5"):
        info(copy)
    with pytest.raises(VoxelFileError, match="holds 4 shapes, but meta.json counts 5"):
        load_split(copy, "train")


def _npz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def test_zip_bomb_split_is_refused_before_decompressing(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small .npz whose members inflate far beyond the voxel budget (limit lowered so the test stays small)."""
    shapes = 262_144  # 16 MB of packed zeros: deflates to ~16 kB
    data = _npz({"voxels.npy": _npy(np.zeros((shapes, RES**3 // 8), np.uint8)),
                 "labels.npy": _npy(np.zeros(shapes, np.int64))})
    (copy / "train.npz").write_bytes(data)
    assert len(data) < 200_000
    _edit_meta(copy, counts={"train": {"chair": shapes, "table": 0}, "test": {"chair": 1, "table": 1}})
    monkeypatch.setattr(validation, "MAX_SPLIT_VOXELS", 2**26)
    tracemalloc.start()
    try:
        with pytest.raises(VoxelFileError, match="over the limit of 67,108,864 per split") as error:
            load_split(copy, "train")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.value.path == copy / "train.npz"
    assert peak < 2 * 2**20, f"{peak >> 20} MB allocated before refusing"
    # The real budget is 2^30 voxels: a meta.json/count mismatch is caught the same way, from headers only.
    monkeypatch.undo()
    _edit_meta(copy, counts={"train": {"chair": 2, "table": 2}, "test": {"chair": 1, "table": 1}})
    with pytest.raises(VoxelFileError, match="holds 262,144 shapes, but meta.json counts 4"):
        load_split(copy, "train")


def test_member_whose_header_lies_about_its_size_is_refused(copy: Path) -> None:
    voxels = _npy(np.zeros((4, RES**3 // 8), np.uint8))
    labels = _npy(np.zeros(4, np.int64))
    header_end = voxels.index(b"\n") + 1
    bigger = voxels[:header_end].replace(b"'shape': (4, 64)", b"'shape': (9, 64)") + voxels[header_end:]
    assert bigger != voxels  # same length, header claims 9 shapes where 4 are stored
    (copy / "train.npz").write_bytes(_npz({"voxels.npy": bigger, "labels.npy": labels}))
    with pytest.raises(VoxelFileError, match="bytes uncompressed, its header"):
        load_split(copy, "train")
    (copy / "train.npz").write_bytes(_npz({"voxels.npy": voxels, "labels.npy": _npy(np.zeros(4, np.float32))}))
    with pytest.raises(VoxelFileError, match="1-D integer array"):
        load_split(copy, "train")
    (copy / "train.npz").write_bytes(_npz({"voxels.npy": b"\x93NUMPY\x01\x00\xff\xff" + b"{" * 100,
                                           "labels.npy": labels}))
    with pytest.raises(VoxelFileError, match="no valid .npy header"):
        load_split(copy, "train")


# --------------------------------------------------------------------------- fuzzing (hypothesis)


def _dataset_seed(folder: Path) -> None:
    from voxstudio.data.dataset import write_dataset

    voxels = chair_grid(8)[None].repeat(3, axis=0)
    write_dataset(folder, {"train": (voxels, np.array([0, 1, 0])), "test": (voxels[:1], np.array([1]))},
                  ["chair", "table"], 8, source="fuzz")


def _check_dataset(folder: Path) -> None:
    from voxstudio.cli.dataset_cmd import info
    from voxstudio.data.dataset import load_split

    tracemalloc.start()
    try:
        for call in (lambda: load_split(folder, "train"), lambda: info(folder, file=io.StringIO())):
            try:
                call()
            except VoxelFileError as error:
                assert str(folder) in str(error)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < ALLOCATION_LIMIT, f"dataset load allocated {peak >> 20} MB"


@SMALL_SETTINGS
@given(data=st.data())
def test_mutated_npz_split(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("npz")
    _dataset_seed(folder)
    split = folder / "train.npz"
    split.write_bytes(data.draw(mutated(split.read_bytes())))
    _check_dataset(folder)


@SMALL_SETTINGS
@given(field=st.sampled_from(["classes", "resolution", "counts", "seed", "source", "skipped"]), value=_json_values())
def test_fuzzed_meta_json_fields(tmp_path_factory: pytest.TempPathFactory, field: str, value: object) -> None:
    import json

    folder = tmp_path_factory.mktemp("meta")
    _dataset_seed(folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta[field] = value
    (folder / "meta.json").write_text(json.dumps(meta))
    _check_dataset(folder)
