""".npy grids: dtypes, layouts, and hostile headers (no pickles, no big allocations)."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from core_shapes import chair_grid

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io import load_voxels, save_voxels
from voxstudio.core.io.npy import read_npy


def _npy_with_header(header: dict, body: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    buffer = io.BytesIO()
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buffer, header)
    else:
        np.lib.format.write_array_header_2_0(buffer, header)
    return buffer.getvalue() + body


def test_round_trip_bool(tmp_path: Path) -> None:
    grid = chair_grid(32)
    path = tmp_path / "chair.npy"
    save_voxels(path, grid)
    assert np.load(path, allow_pickle=False).dtype == np.bool_
    np.testing.assert_array_equal(load_voxels(path), grid)


@pytest.mark.parametrize("dtype", ["<f4", ">f8", "<f2", "u1", "<i8", ">i2", "?"])
def test_numeric_dtypes_and_byte_orders(dtype: str, tmp_path: Path) -> None:
    grid = chair_grid(16)
    values = np.where(grid, 0.9, 0.1) if np.dtype(dtype).kind == "f" else grid
    path = tmp_path / "g.npy"
    np.save(path, values.astype(dtype))
    np.testing.assert_array_equal(read_npy(path), grid)


def test_fortran_order_and_float_threshold(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = rng.random((6, 7, 8)).astype(np.float32)
    path = tmp_path / "f.npy"
    np.save(path, np.asfortranarray(values))
    np.testing.assert_array_equal(read_npy(path), values > 0.5)


def test_bool_bytes_other_than_one_count_as_occupied(tmp_path: Path) -> None:
    data = _npy_with_header({"descr": "|b1", "fortran_order": False, "shape": (2, 2, 2)}, bytes([0, 1, 2, 255, 0, 0, 0, 7]))
    path = tmp_path / "b.npy"
    path.write_bytes(data)
    assert read_npy(path).ravel().tolist() == [False, True, True, True, False, False, False, True]


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "bad.npy"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("header", "body", "fragment"),
    [
        ({"descr": "|O", "fortran_order": False, "shape": (2, 2, 2)}, b"\x00" * 64, "not a plain"),
        ({"descr": "<c8", "fortran_order": False, "shape": (2, 2, 2)}, b"\x00" * 64, "not a plain"),
        ({"descr": [("a", "<f4")], "fortran_order": False, "shape": (2, 2, 2)}, b"\x00" * 32, "not a plain"),
        ({"descr": "<f4", "fortran_order": False, "shape": (4, 4)}, b"\x00" * 64, "3 dimensions"),
        ({"descr": "<f4", "fortran_order": False, "shape": (1, 2, 2, 2)}, b"\x00" * 32, "3 dimensions"),
        ({"descr": "<f4", "fortran_order": False, "shape": (0, 2, 2)}, b"", "positive"),
        ({"descr": "<f4", "fortran_order": False, "shape": (100000, 100000, 100000)}, b"\x00" * 16, "exceed"),
        ({"descr": "<f4", "fortran_order": False, "shape": (512, 512, 512)}, b"\x00" * 16, "truncated"),
        ({"descr": "<f4", "fortran_order": False, "shape": (1024, 1024, 1024)}, b"\x00" * 16, "over the limit"),
        ({"descr": "<f4", "fortran_order": False, "shape": (1024, 1, 1024)}, b"\x00" * 16, "over the limit"),
        ({"descr": "<f4", "fortran_order": False, "shape": (4, 4, 4)}, b"\x00" * 255, "truncated"),
    ],
)
def test_bad_headers(header: dict, body: bytes, fragment: str, tmp_path: Path) -> None:
    path = _write(tmp_path, _npy_with_header(header, body))
    with pytest.raises(VoxelFileError) as info:
        load_voxels(path)
    assert str(info.value).startswith(str(path)) and str(info.value).count(str(path)) == 1
    assert fragment in str(info.value), str(info.value)


def test_pickled_object_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    np.save(path, np.empty((2, 2, 2), dtype=object), allow_pickle=True)
    with pytest.raises(VoxelFileError, match="not a plain"):
        load_voxels(path)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x93NUMPY",
        b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'",
        b"\x93NUMPY\x09\x00\x10\x00" + b" " * 16,
        b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'shape': (2,2,2)}     \n",  # missing key
        b"\x93NUMPY\x01\x00\x20\x00this is not a python literal!!! \n",
        b"PK\x03\x04 an npz, not an npy",
    ],
)
def test_corrupt_headers(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(VoxelFileError):
        load_voxels(_write(tmp_path, data))


def test_huge_header_length_does_not_allocate(tmp_path: Path) -> None:
    # version 2.0 header claiming a 4 GB header: rejected by the header-size cap, not read.
    data = b"\x93NUMPY\x02\x00" + (0xFFFFFFF0).to_bytes(4, "little") + b"{" + b" " * 100
    path = _write(tmp_path, data)
    big = tmp_path / "big_header.npy"
    header = {"descr": "<f4", "fortran_order": False, "shape": (1024, 1024, 1024)}
    big.write_bytes(_npy_with_header(header, b"\x00" * 1000))
    for candidate in (path, big):
        tracemalloc.start()
        try:
            with pytest.raises(VoxelFileError):
                load_voxels(candidate)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 100 * 2**20, f"{candidate.name}: peak {peak / 2**20:.1f} MB"
