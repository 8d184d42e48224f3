"""Property-based fuzzing of the file loaders.

For random bytes and for mutations of valid files of every format (voxels:
binvox, vox, npy; meshes: off, obj, stl binary/ASCII, ply binary/ASCII, glb, gltf),
``load_voxels`` must either return a bool ``(R, R, R)`` grid or raise
:class:`VoxelFileError` -- never any other exception, never hang (hypothesis
deadline per example), never allocate more than :data:`ALLOCATION_LIMIT`
(tracemalloc peak per example; numpy buffers are traced too). Set
``VOXSTUDIO_FUZZ_EXAMPLES`` (default 200) for a longer campaign.
"""

from __future__ import annotations

import os
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from core_shapes import chair_grid
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io import load_voxels
from voxstudio.core.io.binvox import encode_binvox
from voxstudio.core.io.vox import encode_vox

RESOLUTION = 16
EXAMPLES = int(os.environ.get("VOXSTUDIO_FUZZ_EXAMPLES", "200"))  # raise for a longer campaign
# Inputs here are at most a few kB; a loader that trusts a header count and
# allocates for it would blow far past this (a 16^3 voxelisation needs < 1 MB).
ALLOCATION_LIMIT = 64 * 1024 * 1024


def _npy_bytes(grid: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, grid.astype(np.float32), allow_pickle=False)
    return buffer.getvalue()


def _off_bytes() -> bytes:
    vertices = [(x, y, z) for x in (0, 1) for y in (0, 2) for z in (0, 3)]
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    lines = ["OFF", f"{len(vertices)} {len(quads)} 0"]
    lines += [" ".join(map(str, v)) for v in vertices]
    lines += ["4 " + " ".join(map(str, q)) for q in quads]
    return ("\n".join(lines) + "\n").encode()


def _trimesh_bytes(file_type: str, **kwargs: object) -> bytes:
    """A small two-box mesh (touching parts, like furniture) exported by trimesh."""
    import trimesh

    seat = trimesh.creation.box(extents=(2.0, 2.0, 0.4))
    back = trimesh.creation.box(extents=(2.0, 0.3, 2.0))
    back.apply_translation((0.0, 0.85, 1.2))
    data = trimesh.util.concatenate([seat, back]).export(file_type=file_type, **kwargs)
    if isinstance(data, dict):  # gltf: one file with its buffer embedded as a data URI
        (data,) = data.values()
    return data if isinstance(data, bytes) else data.encode()


# Seed name -> valid file bytes; the suffix is the part before "-".
VALID: dict[str, bytes] = {
    ".binvox": encode_binvox(chair_grid(16)),
    ".vox": encode_vox(chair_grid(16)),
    ".npy": _npy_bytes(chair_grid(16)),
    ".off": _off_bytes(),
    ".obj": _trimesh_bytes("obj"),
    ".stl-binary": _trimesh_bytes("stl"),
    ".stl-ascii": _trimesh_bytes("stl_ascii"),
    ".ply-binary": _trimesh_bytes("ply", encoding="binary"),
    ".ply-ascii": _trimesh_bytes("ply", encoding="ascii"),
    ".glb": _trimesh_bytes("glb"),
    ".gltf": _trimesh_bytes("gltf", embed_buffers=True),
}
VOXEL_SEEDS = [".binvox", ".vox", ".npy"]
MESH_SEEDS = [name for name in VALID if name not in VOXEL_SEEDS]


def _suffix(seed: str) -> str:
    return seed.split("-")[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the whole module (hypothesis re-runs a test body many times)."""
    return tmp_path_factory.mktemp("fuzz")


def _check(workdir: Path, data: bytes, suffix: str) -> None:
    path = workdir / f"fuzz{suffix}"
    path.write_bytes(data)
    tracemalloc.start()  # only around the load: tracing hypothesis itself would slow every example
    try:
        grid = load_voxels(path, resolution=RESOLUTION)
    except VoxelFileError as error:
        assert error.path == path
        return
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < ALLOCATION_LIMIT, f"{len(data)}-byte {suffix} input allocated {peak >> 20} MB"
    assert isinstance(grid, np.ndarray)
    assert grid.dtype == np.bool_ and grid.shape == (RESOLUTION,) * 3


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """A valid file with a few byte flips, insertions, deletions, truncation or a spliced block."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "splice"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, ord("9"), ord("-"), ord("\n")]))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del data[at:]
        else:
            data[at : at + 4] = draw(st.binary(min_size=4, max_size=4))
    return bytes(data)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


# Mesh parsing + voxelisation costs ~10x a voxel file per example, so the
# mesh formats get a quarter of the budget each (the whole file stays ~1 min).
MESH_SETTINGS = settings(FUZZ_SETTINGS, max_examples=max(10, EXAMPLES // 4), deadline=5000)
ALL_SUFFIXES = sorted({_suffix(name) for name in VALID})


@pytest.mark.parametrize("suffix", VOXEL_SEEDS)
@FUZZ_SETTINGS
@given(data=st.binary(max_size=512))
def test_random_bytes(workdir: Path, suffix: str, data: bytes) -> None:
    _check(workdir, data, suffix)


@pytest.mark.parametrize("suffix", [s for s in ALL_SUFFIXES if s not in VOXEL_SEEDS])
@MESH_SETTINGS
@given(data=st.binary(max_size=512))
def test_random_bytes_as_mesh(workdir: Path, suffix: str, data: bytes) -> None:
    _check(workdir, data, suffix)


@pytest.mark.parametrize("seed", VOXEL_SEEDS)
@FUZZ_SETTINGS
@given(prefix_len=st.integers(0, 64), tail=st.binary(max_size=256))
def test_valid_prefix_then_garbage(workdir: Path, seed: str, prefix_len: int, tail: bytes) -> None:
    _check(workdir, VALID[seed][:prefix_len] + tail, _suffix(seed))


@pytest.mark.parametrize("seed", MESH_SEEDS)
@MESH_SETTINGS
@given(prefix_len=st.integers(0, 160), tail=st.binary(max_size=256))
def test_valid_mesh_prefix_then_garbage(workdir: Path, seed: str, prefix_len: int, tail: bytes) -> None:
    _check(workdir, VALID[seed][:prefix_len] + tail, _suffix(seed))


@pytest.mark.parametrize("suffix", VOXEL_SEEDS)
@FUZZ_SETTINGS
@given(data=st.data())
def test_mutated_voxel_files(workdir: Path, suffix: str, data: st.DataObject) -> None:
    _check(workdir, data.draw(mutated(VALID[suffix])), suffix)


@pytest.mark.parametrize("seed", [name for name in MESH_SEEDS if name != ".off"])
@MESH_SETTINGS
@given(data=st.data())
def test_mutated_mesh_files(workdir: Path, seed: str, data: st.DataObject) -> None:
    _check(workdir, data.draw(mutated(VALID[seed])), _suffix(seed))


HOSTILE_COUNT = st.one_of(st.integers(-5, 300), st.sampled_from([2**31 - 1, 2**31, 2**32 - 1, 2**32, 10**12]))


@MESH_SETTINGS
@given(triangles=HOSTILE_COUNT, present=st.integers(0, 3))
def test_binary_stl_with_hostile_triangle_count(workdir: Path, triangles: int, present: int) -> None:
    """The 32-bit count says billions of triangles; the file holds a few (or vice versa)."""
    count = struct.pack("<I", triangles % 2**32)
    record = struct.pack("<12fH", 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0)
    _check(workdir, b"\0" * 80 + count + record * present, ".stl")


@MESH_SETTINGS
@given(vertices=HOSTILE_COUNT, faces=HOSTILE_COUNT, binary=st.booleans())
def test_ply_with_hostile_element_counts(workdir: Path, vertices: int, faces: int, binary: bool) -> None:
    """Header element counts far beyond the data that follows (three vertices, one face)."""
    header = (f"ply\nformat {'binary_little_endian' if binary else 'ascii'} 1.0\n"
              f"element vertex {vertices}\nproperty float x\nproperty float y\nproperty float z\n"
              f"element face {faces}\nproperty list uchar int vertex_indices\nend_header\n").encode()
    if binary:
        body = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 1) + struct.pack("<B3i", 3, 0, 1, 2)
    else:
        body = b"0 0 0\n1 0 0\n0 1 1\n3 0 1 2\n"
    _check(workdir, header + body, ".ply")


@MESH_SETTINGS
@given(chunk_length=HOSTILE_COUNT)
def test_glb_with_hostile_chunk_length(workdir: Path, chunk_length: int) -> None:
    """A GLB whose binary chunk claims up to 4 GB must not make the parser allocate it."""
    data = bytearray(VALID[".glb"])
    json_length = struct.unpack_from("<I", data, 12)[0]
    struct.pack_into("<I", data, 20 + json_length, chunk_length % 2**32)  # the BIN chunk's length field
    _check(workdir, bytes(data), ".glb")


@settings(max_examples=EXAMPLES // 2, deadline=5000, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(data=st.data())
def test_mutated_off_meshes(workdir: Path, data: st.DataObject) -> None:
    _check(workdir, data.draw(mutated(VALID[".off"])), ".off")


@settings(max_examples=EXAMPLES // 2, deadline=5000, database=None)
@given(
    counts=st.tuples(st.integers(-5, 10**12), st.integers(-5, 10**12)),
    coords=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=9, max_size=9),
)
def test_off_with_hostile_counts_and_coordinates(workdir: Path, counts: tuple[int, int], coords: list[float]) -> None:
    vertices = "\n".join(" ".join(repr(c) for c in coords[i : i + 3]) for i in range(0, 9, 3))
    _check(workdir, f"OFF\n{counts[0]} {counts[1]} 0\n{vertices}\n3 0 1 2\n".encode(), ".off")


def test_valid_seeds_load(workdir: Path) -> None:
    for seed, data in VALID.items():
        path = workdir / f"seed{_suffix(seed)}"
        path.write_bytes(data)
        assert load_voxels(path, resolution=RESOLUTION).any(), seed


def test_allocation_limit_catches_a_large_allocation(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is live: a loader that allocates for a hostile header would fail _check."""
    import voxstudio.core.io as io_package

    def greedy(path: Path, resolution: int) -> np.ndarray:
        buffer = np.ones(ALLOCATION_LIMIT // 8 + 1024, dtype=np.float64)  # just over the limit, traced by numpy
        return np.zeros((resolution,) * 3, dtype=bool) | bool(buffer[0] == 0)

    monkeypatch.setattr(f"{__name__}.load_voxels", greedy)
    with pytest.raises(AssertionError, match="allocated"):
        _check(workdir, b"anything", ".npy")
    assert io_package.load_voxels is not greedy


def test_broken_gltf_never_loads_a_sibling_model(tmp_path: Path) -> None:
    """trimesh reads ``model.gltf`` from the same folder when a .gltf is not JSON; we must not."""
    import trimesh

    for name, data in trimesh.creation.box(extents=(1, 2, 3)).export(file_type="gltf").items():
        (tmp_path / name).write_bytes(data)
    assert load_voxels(tmp_path / "model.gltf", resolution=RESOLUTION).any()
    for junk in (os.urandom(4096), b"{not json", b"\xff\xfe garbage"):
        broken = tmp_path / "broken.gltf"
        broken.write_bytes(junk)
        with pytest.raises(VoxelFileError, match="not valid JSON") as caught:
            load_voxels(broken, resolution=RESOLUTION)
        assert caught.value.path == broken


# --------------------------------------------------------------------------- issue 14: glTF, .off, .npz, weights

SMALL_SETTINGS = settings(FUZZ_SETTINGS, max_examples=max(10, EXAMPLES // 8), deadline=5000)

_GLTF_TREE = __import__("json").loads(VALID[".gltf"])


def _json_values() -> st.SearchStrategy:
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
                       st.text(max_size=12), st.sampled_from(["x.bin", "../x.bin", "/etc/passwd", "data:,", "%2e%2e/x"]))
    return st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                        max_leaves=12)


@SMALL_SETTINGS
@given(data=st.data())
def test_gltf_with_fuzzed_json_fields(workdir: Path, data: st.DataObject) -> None:
    """Replace one field anywhere in a valid glTF tree (accessor counts, buffer uris, indices...)."""
    import copy
    import json

    tree = copy.deepcopy(_GLTF_TREE)
    containers: list = []
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            containers += [(item, key) for key in item]  # data: uris too (-> file names, ../, FIFOs...)
            stack += list(item.values())
        elif isinstance(item, list):
            containers += [(item, index) for index in range(len(item))]
            stack += item
    for _ in range(data.draw(st.integers(1, 3))):
        parent, key = data.draw(st.sampled_from(containers))
        parent[key] = data.draw(_json_values())
    _check(workdir, json.dumps(tree).encode(), ".gltf")


@SMALL_SETTINGS
@given(data=st.data())
def test_gltf_with_external_buffer_mutated(workdir: Path, data: st.DataObject) -> None:
    """The buffer file beside a .gltf is hostile too (truncated, flipped, padded)."""
    import trimesh

    files = trimesh.creation.box(extents=(1, 2, 3)).export(file_type="gltf")
    names = sorted(n for n in files if n != "model.gltf")
    target = data.draw(st.sampled_from(names))
    for name, blob in files.items():
        (workdir / name).write_bytes(data.draw(mutated(blob)) if name == target else blob)
    _check(workdir, files["model.gltf"], ".gltf")


@SMALL_SETTINGS
@given(
    counts=st.tuples(st.integers(-3, 12), st.integers(-3, 12)),
    lines=st.lists(st.lists(st.one_of(st.integers(-3, 12).map(str), st.sampled_from(["0.5", "nan", "-1e308", "x", "4"])),
                            max_size=7).map(" ".join), max_size=20),
    magic=st.sampled_from(["OFF", "COFF", "NOFF", "OFF3 1 0", "off", ""]),
)
def test_off_token_fuzz(workdir: Path, counts: tuple[int, int], lines: list[str], magic: str) -> None:
    """Arbitrary count lines and vertex/face lines: a mesh only when the counts match what is there."""
    _check(workdir, (f"{magic}\n{counts[0]} {counts[1]} 0\n" + "\n".join(lines) + "\n").encode(), ".off")


def _weights_seed(folder: Path) -> Path:
    import torch

    from voxstudio.models.weights import save_weights

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    save_weights(folder / "net", model, {"kind": "baseline", "model": {"num_classes": 2}})
    return folder / "net"


def _check_weights(stem: Path) -> None:
    from voxstudio.models import load_classifier
    from voxstudio.models.weights import WeightsError, load_weights

    for call in (load_weights, load_classifier):
        try:
            call(stem)
        except WeightsError as error:
            assert error.path is not None and error.path.parent == stem.parent
        except Exception as error:  # noqa: BLE001 - anything else is the bug we look for
            raise AssertionError(f"{call.__name__} raised {type(error).__name__}: {error}") from error


@SMALL_SETTINGS
@given(data=st.data(), keep_checksum_valid=st.booleans())
def test_mutated_safetensors(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject,
                             keep_checksum_valid: bool) -> None:
    """Mutated tensors; with the checksum updated too, so the checks behind it are reached."""
    import hashlib
    import json

    stem = _weights_seed(tmp_path_factory.mktemp("weights"))
    tensors, config = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    payload = data.draw(mutated(tensors.read_bytes()))
    tensors.write_bytes(payload)
    if keep_checksum_valid:
        meta = json.loads(config.read_text())
        meta["weights_file"]["sha256"] = hashlib.sha256(payload).hexdigest()
        meta["weights_file"]["bytes"] = len(payload)
        config.write_text(json.dumps(meta))
    _check_weights(stem)


@SMALL_SETTINGS
@given(data=st.data())
def test_mutated_weights_config(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    stem = _weights_seed(tmp_path_factory.mktemp("config"))
    config = stem.with_suffix(".json")
    config.write_bytes(data.draw(mutated(config.read_bytes())))
    _check_weights(stem)
