"""Hostile inputs for the file readers (issue 14): every read bounded, every failure a VoxelFileError.

Small generated files only: sparse files (``truncate``) stand in for huge ones and
FIFOs are made here with ``os.mkfifo``. A read that would hang runs in a daemon
thread with a deadline, so a regression fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io import load_voxels
from voxstudio.core.io.common import MAX_GRID_VOXELS, MAX_JSON_DEPTH, read_bytes, read_json
from voxstudio.core.io.meshes import MAX_MESH_TRIANGLES, MAX_SURFACE_SAMPLES, mesh_to_voxels

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")


def finishes(call: Callable[[], Any], seconds: float = 20.0) -> Any:
    """Run ``call`` in a daemon thread; fail (rather than hang) if it does not return in time."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s (hung on a FIFO?)"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _gltf_box(folder: Path, buffer_uri: str | None = None) -> tuple[Path, Path]:
    """A box as ``model.gltf`` + its external buffer; optionally point the buffer at another uri."""
    files = trimesh.creation.box(extents=(1, 2, 3)).export(file_type="gltf")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    gltf = folder / "model.gltf"
    tree = json.loads(gltf.read_text())
    buffer_name = tree["buffers"][0]["uri"]  # trimesh writes one buffer per accessor
    if buffer_uri is not None:
        tree["buffers"][0]["uri"] = buffer_uri
        gltf.write_text(json.dumps(tree))
    return gltf, folder / buffer_name


# --------------------------------------------------------------------------- regular files only


@needs_fifo
@pytest.mark.parametrize("suffix", [".binvox", ".vox", ".npy", ".off", ".stl", ".gltf", ".glb"])
def test_fifo_is_refused_without_hanging(tmp_path: Path, suffix: str) -> None:
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    with pytest.raises(VoxelFileError, match="FIFO") as caught:
        finishes(lambda: load_voxels(fifo, resolution=16))
    assert caught.value.path == fifo


@needs_fifo
def test_read_bytes_refuses_fifo_devices_and_directories(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.bin"
    os.mkfifo(fifo)
    for path, problem in ((fifo, "FIFO"), (Path("/dev/zero"), "device"), (tmp_path, "directory")):
        with pytest.raises(VoxelFileError, match=problem):
            finishes(lambda p=path: read_bytes(p))


@needs_fifo
def test_gltf_buffer_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    gltf, buffer = _gltf_box(tmp_path)
    buffer.unlink()
    os.mkfifo(buffer)
    with pytest.raises(VoxelFileError, match="FIFO") as caught:
        finishes(lambda: load_voxels(gltf, resolution=16))
    assert caught.value.path == gltf and buffer.name in str(caught.value)


@needs_fifo
def test_glb_with_external_fifo_buffer_is_refused(tmp_path: Path) -> None:
    """A .glb may name an external buffer too; the same resolver reads it."""
    gltf, buffer = _gltf_box(tmp_path)
    tree = json.loads(gltf.read_text())
    chunk = json.dumps(tree).encode().ljust(((len(json.dumps(tree)) + 3) // 4) * 4, b" ")
    glb = tmp_path / "external.glb"
    glb.write_bytes(b"glTF" + struct.pack("<II", 2, 20 + len(chunk)) + struct.pack("<I4s", len(chunk), b"JSON") + chunk)
    assert load_voxels(glb, resolution=16).any()  # a legal external buffer loads
    buffer.unlink()
    os.mkfifo(buffer)
    with pytest.raises(VoxelFileError, match="FIFO"):
        finishes(lambda: load_voxels(glb, resolution=16))


# --------------------------------------------------------------------------- glTF buffers


def test_gltf_buffer_naming_a_huge_sparse_file_is_refused_before_reading(tmp_path: Path) -> None:
    gltf, buffer = _gltf_box(tmp_path)
    with open(buffer, "r+b") as handle:
        handle.truncate(6 * 2**30)  # 6 GB, sparse: no disk used
    tracemalloc.start()
    try:
        with pytest.raises(VoxelFileError, match="128 MB limit") as caught:
            finishes(lambda: load_voxels(gltf, resolution=16))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.path == gltf
    assert peak < 50 * 2**20


def test_gltf_buffer_outside_the_folder_is_refused_not_replaced_by_a_same_name_file(tmp_path: Path) -> None:
    """trimesh's FilePathResolver fell back to ./x.bin for ../../elsewhere/x.bin."""
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True)
    gltf, buffer = _gltf_box(folder)
    assert load_voxels(gltf, resolution=16).any()
    for uri in (f"../../elsewhere/{buffer.name}", f"../{buffer.name}", f"/etc/{buffer.name}",
                f"file:///{buffer}", f"%2E%2E/{buffer.name}"):
        _gltf_box(folder, buffer_uri=uri)
        with pytest.raises(VoxelFileError, match="outside the file's folder|not a relative file name") as caught:
            load_voxels(gltf, resolution=16)
        assert caught.value.path == gltf, uri


def test_gltf_buffer_through_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    folder = tmp_path / "model"
    outside.mkdir()
    folder.mkdir()
    _, buffer = _gltf_box(outside)
    gltf, _ = _gltf_box(folder, buffer_uri="link.bin")
    (folder / "link.bin").symlink_to(buffer)
    with pytest.raises(VoxelFileError, match="outside the file's folder"):
        load_voxels(gltf, resolution=16)


def test_gltf_percent_encoded_buffer_name_in_the_folder_loads(tmp_path: Path) -> None:
    gltf, buffer = _gltf_box(tmp_path)
    buffer.rename(tmp_path / "my buffer.bin")
    _gltf_box(tmp_path, buffer_uri="my%20buffer.bin")
    (tmp_path / buffer.name).unlink(missing_ok=True)
    assert load_voxels(gltf, resolution=16).any()


@pytest.mark.parametrize("suffix", [".gltf", ".glb"])
def test_deeply_nested_gltf_json_is_a_clean_error(tmp_path: Path, suffix: str) -> None:
    text = b'{"asset": {"version": "2.0"}, "extras": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    if suffix == ".glb":
        text = text.ljust((len(text) + 3) // 4 * 4, b" ")
        text = b"glTF" + struct.pack("<II", 2, 20 + len(text)) + struct.pack("<I4s", len(text), b"JSON") + text
    path = tmp_path / f"deep{suffix}"
    path.write_bytes(text)
    with pytest.raises(VoxelFileError, match="nested deeper than the limit") as caught:
        load_voxels(path, resolution=16)
    assert caught.value.path == path


# --------------------------------------------------------------------------- JSON helper


def test_read_json_limits(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"a": [[1, 2], {"b": None}]}))
    assert read_json(path) == {"a": [[1, 2], {"b": None}]}
    nested = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    path.write_text(nested)
    with pytest.raises(VoxelFileError, match=f"limit of {MAX_JSON_DEPTH} levels"):
        read_json(path)
    path.write_text("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    assert read_json(path) is not None  # exactly at the limit is fine
    path.write_bytes(b'{"a": 1')
    with pytest.raises(VoxelFileError, match="not valid JSON"):
        read_json(path)
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(VoxelFileError, match="not UTF-8"):
        read_json(path)
    path.write_text('{"a": 1}' + " " * 100)
    with pytest.raises(VoxelFileError, match="over the 64 bytes limit"):
        read_json(path, max_bytes=64)


# --------------------------------------------------------------------------- voxel budget


def test_non_cubic_binvox_header_over_the_voxel_budget_is_refused_from_the_header(tmp_path: Path) -> None:
    """8 KB file, 'dim 1024 1 1024': framed into a 1024^3 cube it would be 1 GB."""
    path = tmp_path / "flat.binvox"
    path.write_bytes(b"#binvox 1\ndim 1024 1 1024\ndata\n" + b"\x01\xff" * 4112 + b"\x01\x10")
    assert path.stat().st_size < 9000 and 4112 * 255 + 16 == 1024 * 1024
    tracemalloc.start()
    try:
        for resolution in (None, 32):
            with pytest.raises(VoxelFileError, match="over the limit of 134,217,728 voxels") as caught:
                load_voxels(path, resolution=resolution)
            assert caught.value.path == path
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20


def test_cubic_binvox_over_the_budget_is_refused_and_one_at_the_budget_loads(tmp_path: Path) -> None:
    big = tmp_path / "big.binvox"
    big.write_bytes(b"#binvox 1\ndim 513 513 513\ndata\n" + b"\x00\x01")
    with pytest.raises(VoxelFileError, match="over the limit"):
        load_voxels(big)
    side = round(MAX_GRID_VOXELS ** (1 / 3))
    flat = tmp_path / "flat.binvox"  # the longest side exactly at the budget's cube root
    runs = side * 2 * 4
    flat.write_bytes(f"#binvox 1\ndim {side} 4 2\ndata\n".encode() + b"\x01\x01" * runs)
    grid = load_voxels(flat, resolution=16)
    assert grid.shape == (16, 16, 16) and grid.any()


# --------------------------------------------------------------------------- big meshes


def test_binary_stl_over_the_triangle_limit_is_refused_up_front(tmp_path: Path) -> None:
    """2M triangles (100 MB, sparse here): refused from the header count, in well under a second."""
    import time

    path = tmp_path / "huge.stl"
    count = 2 * MAX_MESH_TRIANGLES
    with open(path, "wb") as handle:
        handle.write(b"\0" * 80 + struct.pack("<I", count))
        handle.truncate(84 + 50 * count)
    start = time.perf_counter()
    with pytest.raises(VoxelFileError, match="2,000,000 triangles, over the limit of 1,000,000") as caught:
        load_voxels(path)
    assert caught.value.path == path
    assert time.perf_counter() - start < 10


def test_ascii_ply_and_obj_over_the_triangle_limit_are_refused_up_front(tmp_path: Path) -> None:
    ply = tmp_path / "big.ply"
    ply.write_bytes(b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
                    b"property float z\nelement face 5000000\nproperty list uchar int vertex_indices\n"
                    b"end_header\n0 0 0\n1 0 0\n0 1 1\n3 0 1 2\n")
    with pytest.raises(VoxelFileError, match="5,000,000 triangles"):
        load_voxels(ply)
    obj = tmp_path / "big.obj"
    obj.write_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 1\n" + b"f 1 2 3\n" * (MAX_MESH_TRIANGLES + 1))
    with pytest.raises(VoxelFileError, match="over the limit of 1,000,000"):
        load_voxels(obj)


def test_gltf_instancing_a_mesh_past_the_triangle_limit_is_refused_before_loading(tmp_path: Path) -> None:
    gltf, _ = _gltf_box(tmp_path)
    tree = json.loads(gltf.read_text())
    tree["nodes"] = [{"mesh": 0} for _ in range(MAX_MESH_TRIANGLES // 12 + 1)]
    tree["scenes"] = [{"nodes": list(range(len(tree["nodes"])))}]
    gltf.write_text(json.dumps(tree))
    with pytest.raises(VoxelFileError, match="over the limit of 1,000,000"):
        load_voxels(gltf)


def test_many_large_triangles_are_refused_by_the_sample_budget_quickly() -> None:
    import time

    rng = np.random.default_rng(0)
    vertices = rng.uniform(-1, 1, (3000, 3))
    faces = np.arange(3000).reshape(-1, 3)
    start = time.perf_counter()
    with pytest.raises(VoxelFileError, match=f"over the limit of {MAX_SURFACE_SAMPLES:,}"):
        mesh_to_voxels(vertices, faces, resolution=512)
    assert time.perf_counter() - start < 5
    assert mesh_to_voxels(vertices, faces, resolution=32).any()  # the same mesh at 32^3 is fine
