"""Property-based fuzzing of the file loaders.

For random bytes and for mutations of valid files, ``load_voxels`` must either
return a bool ``(R, R, R)`` grid or raise :class:`VoxelFileError` -- never any other
exception, never hang (hypothesis deadline), never allocate wildly (hostile
headers are covered by the tracemalloc tests in test_io_*). Set
``VOXSTUDIO_FUZZ_EXAMPLES`` (default 200) for a longer campaign.
"""

from __future__ import annotations

import os
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


VALID: dict[str, bytes] = {
    ".binvox": encode_binvox(chair_grid(16)),
    ".vox": encode_vox(chair_grid(16)),
    ".npy": _npy_bytes(chair_grid(16)),
    ".off": _off_bytes(),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the whole module (hypothesis re-runs a test body many times)."""
    return tmp_path_factory.mktemp("fuzz")


def _check(workdir: Path, data: bytes, suffix: str) -> None:
    path = workdir / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        grid = load_voxels(path, resolution=RESOLUTION)
    except VoxelFileError as error:
        assert error.path == path
        return
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


@pytest.mark.parametrize("suffix", sorted(VALID))
@FUZZ_SETTINGS
@given(data=st.binary(max_size=512))
def test_random_bytes(workdir: Path, suffix: str, data: bytes) -> None:
    _check(workdir, data, suffix)


@pytest.mark.parametrize("suffix", sorted(VALID))
@FUZZ_SETTINGS
@given(prefix_len=st.integers(0, 64), tail=st.binary(max_size=256))
def test_valid_prefix_then_garbage(workdir: Path, suffix: str, prefix_len: int, tail: bytes) -> None:
    _check(workdir, VALID[suffix][:prefix_len] + tail, suffix)


@pytest.mark.parametrize("suffix", [".binvox", ".vox", ".npy"])
@FUZZ_SETTINGS
@given(data=st.data())
def test_mutated_voxel_files(workdir: Path, suffix: str, data: st.DataObject) -> None:
    _check(workdir, data.draw(mutated(VALID[suffix])), suffix)


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
    for suffix, data in VALID.items():
        path = workdir / f"seed{suffix}"
        path.write_bytes(data)
        assert load_voxels(path, resolution=RESOLUTION).any(), suffix
