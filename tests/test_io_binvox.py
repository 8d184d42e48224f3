"""binvox reader / writer: axis mapping, RLE, metadata, and every way a file can be bad."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from core_shapes import chair_grid

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io import load_voxels, save_voxels
from voxstudio.core.io.binvox import BinvoxMeta, encode_binvox, parse_binvox, read_binvox, write_binvox


def _binvox(dims: str, runs: list[tuple[int, int]], extra: bytes = b"") -> bytes:
    header = f"#binvox 1\ndim {dims}\ntranslate 0.5 -1.25 2\nscale 3.5\ndata\n".encode()
    return header + bytes(b for run in runs for b in run) + extra


def test_axis_mapping_follows_binvox_xzy_order() -> None:
    # binvox enumerates y fastest, then z, then x: flat = x*D*D + z*D + y.
    # One voxel at flat index 5 in a 2^3 grid is x=1, z=0, y=1.
    grid, meta = parse_binvox(_binvox("2 2 2", [(0, 5), (1, 1), (0, 2)]))
    assert grid.shape == (2, 2, 2) and grid.dtype == np.bool_
    assert np.argwhere(grid).tolist() == [[1, 1, 0]]
    assert meta == BinvoxMeta(dims=(2, 2, 2), translate=(0.5, -1.25, 2.0), scale=3.5)


def test_axis_mapping_matches_reference_reshape_transpose() -> None:
    # binvox-rw-py: data.reshape(dims); np.transpose(data, (0, 2, 1)) -- for any dims.
    rng = np.random.default_rng(3)
    flat = rng.random(2 * 3 * 4) > 0.5
    runs = [(int(v), 1) for v in flat]
    grid, _ = parse_binvox(_binvox("2 3 4", runs))
    np.testing.assert_array_equal(grid, flat.reshape(2, 3, 4).transpose(0, 2, 1))
    assert grid.shape == (2, 4, 3)


def test_round_trip_cubic_and_non_cubic(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    for shape in [(32, 32, 32), (5, 7, 3)]:
        grid = rng.random(shape) > 0.7
        path = tmp_path / f"g{shape[1]}.binvox"
        write_binvox(path, grid, translate=(1.0, 2.0, 3.0), scale=0.25)
        back, meta = read_binvox(path)
        np.testing.assert_array_equal(back, grid)
        assert meta.translate == (1.0, 2.0, 3.0) and meta.scale == 0.25
        assert meta.dims == (shape[0], shape[2], shape[1])  # header is in x, z, y order


def test_long_runs_are_split_at_255(tmp_path: Path) -> None:
    grid = np.ones((16, 16, 16), dtype=bool)
    data = encode_binvox(grid)
    body = data[data.index(b"data\n") + 5 :]
    counts = list(body[1::2])
    assert counts == [255] * 16 + [16]  # 4096 = 16 * 255 + 16
    np.testing.assert_array_equal(parse_binvox(data)[0], grid)


def test_load_voxels_resizes_and_rotates(tmp_path: Path) -> None:
    chair = chair_grid(64)
    path = tmp_path / "chair.binvox"
    save_voxels(path, chair)
    small = load_voxels(path, resolution=32)
    assert small.shape == (32, 32, 32)
    assert small[:, :, 0].any()  # legs survive down-sampling
    np.testing.assert_array_equal(load_voxels(path, resolution=None), chair)
    # y-up .binvox (ShapeNet: y up, front -z) -> ours: (x, y, z) -> (-x, z, y), new[x, y, z] = old[R-1-x, z, y]
    y_up = load_voxels(path, resolution=None, up="y")
    np.testing.assert_array_equal(y_up, chair.transpose(0, 2, 1)[::-1, :, :])


def test_y_up_rotation_stands_a_shapenet_like_chair_upright(tmp_path: Path) -> None:
    chair = chair_grid(32)  # z-up, back at +y
    # Build what ShapeNet would store: y up, front toward -z (the backrest at +z), x flipped so the
    # change of frame is a rotation, not a mirror: old[a, b, c] = chair[R-1-a, c, b].
    y_up_chair = np.transpose(chair[::-1, :, :], (0, 2, 1))
    path = tmp_path / "shapenet.binvox"
    write_binvox(path, y_up_chair)
    np.testing.assert_array_equal(load_voxels(path, resolution=None, up="y"), chair)


def _expect_error(data: bytes, tmp_path: Path, fragment: str) -> VoxelFileError:
    path = tmp_path / "bad.binvox"
    path.write_bytes(data)
    with pytest.raises(VoxelFileError) as info:
        load_voxels(path)
    assert str(info.value).count(str(path)) == 1  # the file is named once, at the start
    assert str(info.value).startswith(str(path))
    assert fragment in str(info.value), str(info.value)
    return info.value


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"#notbinvox\n", "magic"),
        (b"PK\x03\x04 zip file", "magic"),
        (b"#binvox 1\ndim 2 2 2\ntransl", "truncated"),
        (b"#binvox 1\ntranslate 0 0 0\nscale 1\ndata\n\x00\x08", "no 'dim'"),
        (b"#binvox 1\ndim 100000 100000 100000\ndata\n\x00\x08", "exceed the limit"),
        (b"#binvox 1\ndim 0 2 2\ndata\n\x00\x08", "positive"),
        (b"#binvox 1\ndim -2 2 2\ndata\n\x00\x08", "positive"),
        (b"#binvox 1\ndim 2 2\ndata\n\x00\x08", "dim needs 3"),
        (b"#binvox 1\ndim a b c\ndata\n\x00\x08", "bad binvox header"),
        (b"#binvox 1\ndim 2 2 2\nscale nan\ndata\n\x00\x08", "not finite"),
        (b"#binvox 1\ndim 2 2 2\nbogus 1\ndata\n\x00\x08", "unknown header line"),
        (b"#binvox 1\ndim 2 2 2\n\xff\xfe\ndata\n\x00\x08", "non-ASCII"),
        (b"#binvox 1\n" + b"\n" * 2000, "header too long"),
        (b"#binvox 1\ndim 2 2 2\ndata\n", "no voxel data"),
        (b"#binvox 1\ndim 2 2 2\ndata\n\x00\x04\x01", "odd number"),
        (b"#binvox 1\ndim 2 2 2\ndata\n\x00\x04", "truncated"),
        (b"#binvox 1\ndim 2 2 2\ndata\n\x00\x04\x01\x05", "overrun"),
        (b"#binvox 1\ndim 2 2 2\ndata\n\x02\x08", "not 0 or 1"),
    ],
)
def test_bad_files_raise_voxel_file_error(data: bytes, fragment: str, tmp_path: Path) -> None:
    _expect_error(data, tmp_path, fragment)


def test_missing_directory_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(VoxelFileError, match="not found"):
        load_voxels(tmp_path / "nope.binvox")
    folder = tmp_path / "dir.binvox"
    folder.mkdir()
    with pytest.raises(VoxelFileError, match="directory"):
        load_voxels(folder)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.binvox"
    save_voxels(path, chair_grid(16))
    path.chmod(0)
    try:
        with pytest.raises(VoxelFileError, match="not readable"):
            load_voxels(path)
    finally:
        path.chmod(0o644)


def test_file_over_size_limit_is_rejected_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voxstudio.core.io import common

    path = tmp_path / "big.binvox"
    save_voxels(path, chair_grid(32))
    monkeypatch.setattr(common, "MAX_FILE_BYTES", 100)
    with pytest.raises(VoxelFileError, match="over the"):
        load_voxels(path)


def test_sparse_file_over_512_mb_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "huge.binvox"
    with open(path, "wb") as handle:  # sparse: no real disk use
        handle.write(b"#binvox 1\ndim 32 32 32\ndata\n")
        handle.truncate(513 * 1024 * 1024)
    with pytest.raises(VoxelFileError, match="512 MB limit"):
        load_voxels(path)


def test_hostile_headers_do_not_allocate(tmp_path: Path) -> None:
    """Headers claiming huge grids are rejected from their numbers: peak Python allocation stays tiny."""
    cases = [
        b"#binvox 1\ndim 100000 100000 100000\ndata\n" + b"\x01\xff" * 1000,
        b"#binvox 1\ndim 1024 1024 1024\ndata\n" + b"\x01\xff" * 1000,  # allowed dims, runs far too short
        b"#binvox 1\ndim 1024 1024 1024\ndata\n" + b"\x01\xff" * 5_000_000,  # 10 MB of runs, still short
    ]
    for n, data in enumerate(cases):
        path = tmp_path / f"hostile{n}.binvox"
        path.write_bytes(data)
        tracemalloc.start()
        try:
            with pytest.raises(VoxelFileError):
                load_voxels(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 100 * 2**20, f"case {n}: peak {peak / 2**20:.1f} MB"


def test_header_comments_blank_lines_and_tabs_are_ignored() -> None:
    # Layout of trimesh's chair_model.binvox fixture: comment lines, a trailing comment
    # after a value, indentation, tabs and runs of blank lines before 'data'.
    header = (b"#binvox 1\n\n# ok let's add some comments!\n\n      translate -0.25 -0.5 1 # a value?\n"
              b"# hmm\nscale 0.5\n\n\n\ndim 2 2 2\t\t\n\ndata\n")
    grid, meta = parse_binvox(header + bytes([0, 5, 1, 1, 0, 2]))
    assert np.argwhere(grid).tolist() == [[1, 1, 0]]
    assert meta == BinvoxMeta(dims=(2, 2, 2), translate=(-0.25, -0.5, 1.0), scale=0.5)


def test_a_comment_does_not_hide_a_bad_value() -> None:
    with pytest.raises(VoxelFileError, match="translate"):
        parse_binvox(b"#binvox 1\ndim 2 2 2\ntranslate 1 # 2 3\ndata\n" + bytes([0, 8]))
