"""Checks for dataset folders, done before anything big is read or decompressed.

``meta.json`` is read through :func:`~voxstudio.core.io.common.read_json` (size and
depth limits) and validated field by field (:func:`validate_meta`): ``"resolution":
true`` or a ``counts`` table of strings is a :class:`VoxelFileError`, not a crash.

A split file (``train.npz``) is a zip of two ``.npy`` members. ``np.load``
decompresses a member whole before anything can be checked, so an 8 MB archive
could inflate to 8 GB. :func:`check_split_archive` reads only the zip directory and
each member's ``.npy`` header (a few hundred bytes): dtype, shape and the member's
uncompressed size must match what ``meta.json`` says (shape count, resolution) and
stay within :data:`MAX_SPLIT_VOXELS`, before a single array is loaded.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
from numpy.lib import format as npformat

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io.common import open_regular, read_json

__all__ = [
    "MAX_CLASSES",
    "MAX_META_BYTES",
    "MAX_RESOLUTION",
    "MAX_SPLIT_BYTES",
    "MAX_SPLIT_VOXELS",
    "SplitLayout",
    "check_split_archive",
    "read_meta_json",
    "split_count",
    "validate_meta",
]

MAX_META_BYTES = 1024 * 1024
"""Largest ``meta.json`` (1 MB)."""
MAX_CLASSES = 1000
MAX_RESOLUTION = 256
MAX_SPLIT_BYTES = 512 * 1024 * 1024
"""Largest split file on disk (512 MB)."""
MAX_SPLIT_VOXELS = 2**30
"""Most voxels one split may unpack to (shapes x R^3; 1 GiB as bool): 32k shapes at 32^3, 4096 at 64^3."""
_MAX_NPY_HEADER = 10_000
_MEMBERS = {"voxels": "voxels.npy", "labels": "labels.npy"}


def read_meta_json(path: Path) -> dict[str, Any]:
    """Read and validate ``meta.json``; raises :class:`VoxelFileError`."""
    meta = read_json(path, MAX_META_BYTES, what="dataset metadata")
    return validate_meta(meta, path)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_meta(meta: Any, path: Path) -> dict[str, Any]:
    """Check the fields the loaders, ``info`` and training use, by type and range."""
    if not isinstance(meta, dict):
        raise VoxelFileError(path, "dataset metadata is not a JSON object")
    classes = meta.get("classes")
    if (
        not isinstance(classes, list)
        or not classes
        or not all(isinstance(c, str) and c.strip() for c in classes)
    ):
        raise VoxelFileError(path, "dataset metadata has no valid 'classes' list (non-empty names)")
    if len(classes) > MAX_CLASSES:
        raise VoxelFileError(path, f"dataset metadata lists {len(classes)} classes, over the limit of {MAX_CLASSES}")
    if len(set(classes)) != len(classes):
        raise VoxelFileError(path, "dataset metadata lists a class name twice")
    resolution = meta.get("resolution")
    if not _is_int(resolution) or not 1 <= resolution <= MAX_RESOLUTION:
        raise VoxelFileError(
            path, f"dataset metadata has an invalid 'resolution': {resolution!r} (an integer 1..{MAX_RESOLUTION})"
        )
    if "counts" in meta:
        counts = meta["counts"]
        if not isinstance(counts, dict) or not all(isinstance(split, str) for split in counts):
            raise VoxelFileError(path, "dataset metadata 'counts' must map split names to per-class counts")
        for split, per_class in counts.items():
            if not isinstance(per_class, dict):
                raise VoxelFileError(path, f"dataset metadata 'counts.{split}' must map class names to counts")
            for name, value in per_class.items():
                if name not in classes:
                    raise VoxelFileError(path, f"dataset metadata 'counts.{split}' names an unknown class {name!r}")
                if not _is_int(value) or value < 0:
                    raise VoxelFileError(
                        path, f"dataset metadata 'counts.{split}.{name}' must be a non-negative integer, got {value!r}"
                    )
    for key, kinds, what in (("source", (str,), "a name"), ("skipped", (int,), "an integer")):
        if key in meta and meta[key] is not None and (not isinstance(meta[key], kinds) or isinstance(meta[key], bool)):
            raise VoxelFileError(path, f"dataset metadata '{key}' must be {what}, got {meta[key]!r}")
    if "seed" in meta and meta["seed"] is not None and not _is_int(meta["seed"]):
        raise VoxelFileError(path, f"dataset metadata 'seed' must be an integer, got {meta['seed']!r}")
    return meta


def split_count(meta: dict[str, Any], split: str) -> int | None:
    """Shapes in ``split`` according to ``meta.json`` (None when it records no counts)."""
    counts = meta.get("counts")
    if not isinstance(counts, dict) or split not in counts:
        return None
    return int(sum(counts[split].values()))


class SplitLayout:
    """What :func:`check_split_archive` found: the shape count and each member's array header."""

    def __init__(self, count: int, headers: dict[str, tuple[tuple[int, ...], np.dtype]]) -> None:
        self.count = count
        self.headers = headers


def _member_header(archive: zipfile.ZipFile, member: str, path: Path) -> tuple[tuple[int, ...], np.dtype, int]:
    """``(shape, dtype, uncompressed size)`` of a member from its ``.npy`` header only."""
    info = archive.getinfo(member)
    with archive.open(info) as handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            version = npformat.read_magic(handle)
            if version == (1, 0):
                shape, fortran, dtype = npformat.read_array_header_1_0(handle, max_header_size=_MAX_NPY_HEADER)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = npformat.read_array_header_2_0(handle, max_header_size=_MAX_NPY_HEADER)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except Exception as error:  # noqa: BLE001 - numpy's header parser raises ValueError, SyntaxError, ...
            raise VoxelFileError(path, f"corrupt split file: member {member} has no valid .npy header ({error})") from None
        header_bytes = handle.tell()
    if fortran or dtype.hasobject:
        raise VoxelFileError(path, f"member {member} must be a plain C-order array, got {dtype} fortran={fortran}")
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize if shape else dtype.itemsize
    if info.file_size != header_bytes + nbytes:
        raise VoxelFileError(
            path, f"member {member} is {info.file_size:,} bytes uncompressed, its header {shape} {dtype} "
            f"needs {header_bytes + nbytes:,}"
        )
    return tuple(int(d) for d in shape), dtype, nbytes


def check_split_archive(path: Path, resolution: int, expected_count: int | None) -> SplitLayout:
    """Validate a split ``.npz`` from its zip directory and ``.npy`` headers alone.

    ``voxels`` must be ``uint8 (N, ceil(R^3/8))``, ``labels`` an integer ``(N,)``;
    ``N`` must equal ``expected_count`` (the counts in ``meta.json``) when given,
    and ``N * R^3`` stay within :data:`MAX_SPLIT_VOXELS`. Nothing is decompressed
    beyond the headers.
    """
    cells = resolution**3
    try:
        with open_regular(path, MAX_SPLIT_BYTES) as handle, zipfile.ZipFile(handle) as archive:
            names = set(archive.namelist())
            missing = [m for m in _MEMBERS.values() if m not in names]
            if missing:
                raise VoxelFileError(path, "split file lacks 'voxels' or 'labels' arrays")
            v_shape, v_dtype, _ = _member_header(archive, _MEMBERS["voxels"], path)
            l_shape, l_dtype, _ = _member_header(archive, _MEMBERS["labels"], path)
    except VoxelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, ValueError, NotImplementedError) as error:
        raise VoxelFileError(path, f"corrupt split file: {error}") from None
    if len(l_shape) != 1 or l_dtype.kind not in "iu":
        raise VoxelFileError(path, f"labels must be a 1-D integer array, got {l_shape} {l_dtype}")
    count = l_shape[0]
    if len(v_shape) != 2 or v_dtype != np.uint8 or v_shape[0] != count:
        raise VoxelFileError(path, f"unexpected array shapes: voxels {v_shape} {v_dtype}, labels {l_shape}")
    if v_shape[1] != (cells + 7) // 8:
        raise VoxelFileError(
            path, f"voxels hold {v_shape[1] * 8} bits per shape, expected {cells} for resolution {resolution}"
        )
    if expected_count is not None and count != expected_count:
        raise VoxelFileError(path, f"holds {count:,} shapes, but meta.json counts {expected_count:,} for this split")
    if count * cells > MAX_SPLIT_VOXELS:
        raise VoxelFileError(
            path, f"{count:,} shapes of {resolution}^3 are {count * cells:,} voxels, over the limit of "
            f"{MAX_SPLIT_VOXELS:,} per split"
        )
    return SplitLayout(count, {"voxels": (v_shape, v_dtype), "labels": (l_shape, l_dtype)})
