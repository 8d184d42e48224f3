"""MagicaVoxel .vox: chunks, palette, colour indices, z-up mapping, bad files."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from core_shapes import chair_grid

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io import load_voxels, save_voxels
from voxstudio.core.io.vox import DEFAULT_PALETTE, encode_vox, parse_vox, read_vox, write_vox


def _chunk(chunk_id: bytes, content: bytes, children: bytes = b"") -> bytes:
    return chunk_id + struct.pack("<ii", len(content), len(children)) + content + children


def _vox(children: bytes, version: int = 200) -> bytes:
    return b"VOX " + struct.pack("<i", version) + _chunk(b"MAIN", b"", children)


def _xyzi(records: list[tuple[int, int, int, int]]) -> bytes:
    return _chunk(b"XYZI", struct.pack("<i", len(records)) + bytes(b for r in records for b in r))


def test_hand_built_file_with_scene_chunks_maps_axes_directly() -> None:
    # MagicaVoxel is z-up like us: record (x, y, z) is our grid[x, y, z].
    records = [(0, 0, 0, 5), (2, 3, 4, 9), (1, 0, 4, 255)]
    rgba = bytes(range(256)) * 4
    data = _vox(
        _chunk(b"PACK", struct.pack("<i", 1))
        + _chunk(b"SIZE", struct.pack("<iii", 3, 4, 5))
        + _xyzi(records)
        + _chunk(b"nTRN", b"\x00" * 28)
        + _chunk(b"MATL", b"\x01\x00\x00\x00\x00\x00\x00\x00")
        + _chunk(b"RGBA", rgba)
    )
    model = parse_vox(data)
    assert model.occupancy.shape == (3, 4, 5)
    assert sorted(map(tuple, np.argwhere(model.occupancy).tolist())) == [(0, 0, 0), (1, 0, 4), (2, 3, 4)]
    assert model.colors[2, 3, 4] == 9 and model.colors[1, 0, 4] == 255 and model.colors[1, 1, 1] == 0
    # RGBA chunk entry i is the colour of index i + 1
    table = np.frombuffer(rgba, np.uint8).reshape(256, 4)
    np.testing.assert_array_equal(model.palette[1:], table[:255])
    assert model.palette[0].tolist() == [0, 0, 0, 0]


def test_default_palette_matches_magicavoxel_table() -> None:
    # spot checks against the table in MagicaVoxel-file-format-vox.txt (0xAABBGGRR words)
    def word(value: int) -> list[int]:
        return list(struct.pack("<I", value))

    assert DEFAULT_PALETTE.shape == (256, 4)
    assert DEFAULT_PALETTE[0].tolist() == word(0x00000000)
    assert DEFAULT_PALETTE[1].tolist() == word(0xFFFFFFFF)
    assert DEFAULT_PALETTE[2].tolist() == word(0xFFCCFFFF)
    assert DEFAULT_PALETTE[7].tolist() == word(0xFFFFCCFF)
    assert DEFAULT_PALETTE[36].tolist() == word(0xFF0000FF)
    assert DEFAULT_PALETTE[37].tolist() == word(0xFFFFFFCC)
    assert DEFAULT_PALETTE[215].tolist() == word(0xFF330000)
    assert DEFAULT_PALETTE[216].tolist() == word(0xFF0000EE)
    assert DEFAULT_PALETTE[226].tolist() == word(0xFF00EE00)
    assert DEFAULT_PALETTE[236].tolist() == word(0xFFEE0000)
    assert DEFAULT_PALETTE[255].tolist() == word(0xFF111111)


def test_file_without_rgba_uses_default_palette() -> None:
    data = _vox(_chunk(b"SIZE", struct.pack("<iii", 2, 2, 2)) + _xyzi([(1, 1, 1, 3)]))
    model = parse_vox(data)
    np.testing.assert_array_equal(model.palette, DEFAULT_PALETTE)


def test_round_trip_with_colours_and_palette(tmp_path: Path) -> None:
    grid = chair_grid(64)
    colors = np.where(grid, 1 + (np.indices(grid.shape)[2] % 200), 0).astype(np.uint8)
    palette = np.random.default_rng(0).integers(0, 256, size=(256, 4), dtype=np.uint8)
    palette[0] = 0
    path = tmp_path / "chair.vox"
    write_vox(path, grid, colors, palette)
    model = read_vox(path)
    np.testing.assert_array_equal(model.occupancy, grid)
    np.testing.assert_array_equal(model.colors, colors)
    np.testing.assert_array_equal(model.palette, palette)
    np.testing.assert_array_equal(load_voxels(path, resolution=None), grid)


def test_rgb_palette_gets_opaque_alpha_and_default_colour_index(tmp_path: Path) -> None:
    grid = np.zeros((4, 4, 4), bool)
    grid[1, 2, 3] = True
    model = parse_vox(encode_vox(grid, palette=np.array([[0, 0, 0], [10, 20, 30]], dtype=np.uint8)))
    assert model.colors[1, 2, 3] == 1
    assert model.palette[1].tolist() == [10, 20, 30, 255]


def test_writer_limits(tmp_path: Path) -> None:
    with pytest.raises(VoxelFileError, match="exceed the limit of 256"):
        save_voxels(tmp_path / "big.vox", np.zeros((257, 2, 2), bool))
    grid = np.ones((2, 2, 2), bool)
    with pytest.raises(VoxelFileError, match="colour index"):
        write_vox(tmp_path / "c.vox", grid, colors=np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(VoxelFileError, match="palette"):
        write_vox(tmp_path / "p.vox", grid, palette=np.zeros((300, 4), np.uint8))
    assert not list(tmp_path.iterdir())


def test_non_cubic_model_loads_framed_in_a_cube(tmp_path: Path) -> None:
    grid = np.zeros((10, 4, 20), bool)
    grid[2:8, 1:3, 0:20] = True
    path = tmp_path / "tall.vox"
    write_vox(path, grid)
    out = load_voxels(path, resolution=None)
    assert out.shape == (20, 20, 20)
    occupied = np.argwhere(out)
    assert occupied[:, 2].min() == 0 and occupied[:, 2].max() == 19  # tall axis kept, grounded
    assert out.sum() == grid.sum()


SIZE = _chunk(b"SIZE", struct.pack("<iii", 2, 2, 2))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"VOX", "magic"),
        (b"RIFF\x00\x00\x00\x00", "magic"),
        (b"VOX " + struct.pack("<i", 150), "no MAIN"),
        (b"VOX " + struct.pack("<i", 150) + _chunk(b"MAIX", b""), "no MAIN"),
        (_vox(b""), "no voxel model"),
        (_vox(SIZE), "no voxel model"),
        (_vox(_xyzi([(0, 0, 0, 1)])), "before its SIZE"),
        (_vox(_chunk(b"SIZE", struct.pack("<iii", 300, 2, 2)) + _xyzi([])), "exceed the limit"),
        (_vox(_chunk(b"SIZE", struct.pack("<iii", 0, 2, 2)) + _xyzi([])), "positive"),
        (_vox(_chunk(b"SIZE", b"\x01\x00")), "SIZE chunk truncated"),
        (_vox(SIZE + _chunk(b"XYZI", struct.pack("<i", 1000) + b"\x00" * 8)), "holds fewer"),
        (_vox(SIZE + _chunk(b"XYZI", struct.pack("<i", -1))), "holds fewer"),
        (_vox(SIZE + _xyzi([(2, 0, 0, 1)])), "outside the model size"),
        (_vox(SIZE + _xyzi([(0, 0, 0, 1)]) + _chunk(b"RGBA", b"\x00" * 10)), "RGBA chunk truncated"),
        (_vox(SIZE + _xyzi([(0, 0, 0, 1)]))[:-3], "truncated"),
        (b"VOX " + struct.pack("<i", 150) + b"MAIN" + struct.pack("<ii", 0, -5), "negative size"),
        (b"VOX " + struct.pack("<i", 150) + b"MAIN" + struct.pack("<ii", 0, 2**31 - 1), "truncated"),
    ],
)
def test_bad_files_raise_voxel_file_error(data: bytes, fragment: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.vox"
    path.write_bytes(data)
    with pytest.raises(VoxelFileError) as info:
        load_voxels(path)
    assert str(info.value).startswith(str(path)) and str(info.value).count(str(path)) == 1
    assert fragment in str(info.value), str(info.value)
