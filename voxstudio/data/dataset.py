"""On-disk voxel datasets: write, build (procedural), load and check.

Importing ModelNet / ShapeNet trees lives in :mod:`voxstudio.data.importers`;
printing a summary in the CLI (``voxstudio dataset info``).

Layout of a dataset folder::

    DIR/meta.json   {"classes", "resolution", "counts": {"train": {...}, "test": {...}},
                     "source", "seed", "version", ...}
    DIR/train.npz   voxels: uint8 (N, R^3/8) np.packbits of the bool grids (C order),
    DIR/test.npz    labels: int64 (N,)      (compressed; written atomically)

Bit-packing keeps 12 x 600 shapes at 32^3 around a few MB, and both training
and the GUI load a split in well under a second. Labels index ``classes``; for
imports the known class names come first in :data:`~voxstudio.data.procedural.CLASSES`
order so a ModelNet10 import shares label ids with the procedural set (match
classes by *name* when comparing datasets anyway).
"""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxstudio.core.atomic import atomic_write
from voxstudio.core.errors import VoxelFileError
from voxstudio.data.parallel import imap_progress

__all__ = [
    "FORMAT_VERSION",
    "SPLITS",
    "VoxelDataset",
    "build_procedural",
    "checked_meta",
    "load_split",
    "read_meta",
    "write_dataset",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
SPLITS = ("train", "test")
MAX_PER_CLASS = 1_000_000  # shape seeds are seed * MAX_PER_CLASS + index

@dataclass
class VoxelDataset:
    """One split in memory: bool voxels ``(N, R, R, R)`` and int64 labels ``(N,)``."""

    voxels: np.ndarray
    labels: np.ndarray
    classes: list[str]
    resolution: int

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(self.classes)) if len(self) else np.zeros(len(self.classes))
        return {name: int(n) for name, n in zip(self.classes, counts)}


# --------------------------------------------------------------------------- writing


def _pack(voxels: np.ndarray) -> np.ndarray:
    n = voxels.shape[0]
    cells = int(np.prod(voxels.shape[1:]))
    return np.packbits(voxels.reshape(n, cells).astype(bool, copy=False), axis=1)


def _write_split(path: Path, voxels: np.ndarray, labels: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, voxels=_pack(voxels), labels=np.asarray(labels, dtype=np.int64))
    with atomic_write(path, "wb") as handle:
        handle.write(buffer.getvalue())


def write_dataset(
    out_dir: str | os.PathLike[str],
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    classes: Sequence[str],
    resolution: int,
    source: str,
    seed: int | None = None,
    extra: dict | None = None,
) -> Path:
    """Write ``{split: (voxels, labels)}`` plus ``meta.json`` (written last, so a
    folder with a ``meta.json`` always has complete split files)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    for split, (voxels, labels) in splits.items():
        if voxels.shape[1:] != (resolution,) * 3:
            raise ValueError(f"{split}: voxels have shape {voxels.shape[1:]}, expected {(resolution,) * 3}")
        _write_split(out / f"{split}.npz", voxels, labels)
        per_class = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(classes))
        counts[split] = {name: int(n) for name, n in zip(classes, per_class)}
    meta = {
        "classes": list(classes),
        "resolution": int(resolution),
        "counts": counts,
        "source": source,
        "seed": seed,
        "version": FORMAT_VERSION,
    }
    if extra:
        meta.update(extra)
    with atomic_write(out / "meta.json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=2)
        handle.write("\n")
    return out


# --------------------------------------------------------------------------- procedural build


def _generate_chunk(task: tuple[str, list[int], int]) -> np.ndarray:
    """Worker: packed grids for one class and a run of shape seeds (packed to keep IPC small)."""
    from voxstudio.data.procedural import generate_shape

    class_name, seeds, resolution = task
    grids = np.stack([generate_shape(class_name, s, resolution) for s in seeds])
    return _pack(grids)


def build_procedural(
    out_dir: str | os.PathLike[str],
    per_class: int,
    resolution: int = 32,
    test_fraction: float = 0.2,
    seed: int = 0,
    workers: int | None = None,
    classes: Sequence[str] | None = None,
    progress: bool = True,
) -> Path:
    """Generate ``per_class`` shapes of every class and write a dataset folder.

    Shape ``i`` of a class uses shape seed ``seed * 1_000_000 + i``; the first
    ``round(per_class * test_fraction)`` indices form the test split, the rest
    train, so the result is identical for any ``workers``. ``workers=None`` uses
    all CPUs; ``1`` stays in-process.
    """
    from voxstudio.data.procedural import CLASSES, GENERATOR_VERSION

    names = list(CLASSES if classes is None else classes)
    unknown = [c for c in names if c not in CLASSES]
    if unknown:
        raise ValueError(f"unknown classes: {', '.join(unknown)}")
    if not 1 <= per_class <= MAX_PER_CLASS:
        raise ValueError(f"per_class must be in 1..{MAX_PER_CLASS}, got {per_class}")
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    if not 8 <= resolution <= 256:
        raise ValueError(f"resolution must be in 8..256, got {resolution}")
    n_test = int(round(per_class * test_fraction))
    base = int(seed) * MAX_PER_CLASS
    chunk = min(50, per_class)  # ~150 tasks for 12 x 600: balanced, small IPC messages
    tasks = []
    for name in names:
        for start in range(0, per_class, chunk):
            tasks.append((name, [base + i for i in range(start, min(per_class, start + chunk))], resolution))

    packed_bytes = resolution**3 // 8 + (1 if resolution**3 % 8 else 0)
    packed = np.empty((len(names) * per_class, packed_bytes), dtype=np.uint8)
    position = 0
    for block in imap_progress(_generate_chunk, tasks, workers=workers, total=len(names) * per_class,
                               desc="shapes", unit="shape", progress=progress, advance=len):
        packed[position : position + block.shape[0]] = block
        position += block.shape[0]

    voxels = np.unpackbits(packed, axis=1, count=resolution**3).reshape(-1, *(resolution,) * 3).astype(bool)
    labels = np.repeat(np.arange(len(names), dtype=np.int64), per_class)
    index = np.tile(np.arange(per_class), len(names))
    is_test = index < n_test
    splits = {
        "train": (voxels[~is_test], labels[~is_test]),
        "test": (voxels[is_test], labels[is_test]),
    }
    out = write_dataset(
        out_dir,
        splits,
        names,
        resolution,
        source="procedural",
        seed=int(seed),
        extra={"per_class": int(per_class), "test_fraction": float(test_fraction),
               "generator_version": GENERATOR_VERSION},
    )
    from voxstudio.data.attributes import write_procedural_attributes  # attributes_<split>.npz (sliders)

    write_procedural_attributes(out, names, per_class, int(seed), test_fraction, resolution)
    return out


# --------------------------------------------------------------------------- loading


def read_meta(data_dir: str | os.PathLike[str]) -> dict:
    """``meta.json`` of a dataset folder, validated. Raises :class:`VoxelFileError`.

    Read with size and depth limits and checked field by field (see
    :mod:`voxstudio.data.validation`).
    """
    from voxstudio.data.validation import read_meta_json

    path = Path(data_dir) / "meta.json"
    if not Path(data_dir).is_dir():
        raise VoxelFileError(Path(data_dir), "dataset folder does not exist")
    if not path.exists():
        raise VoxelFileError(path, "missing dataset metadata (not a dataset folder? build or import one first)")
    return read_meta_json(path)


def _split_arrays(data_dir: str | os.PathLike[str], split: str, meta: dict, members: tuple[str, ...]) -> dict:
    """Arrays of a split file, loaded only after its zip and .npy headers were checked against ``meta``."""
    from voxstudio.data.validation import check_split_archive, split_count

    path = Path(data_dir) / f"{split}.npz"
    if not path.exists():
        raise VoxelFileError(path, f"missing {split} split")
    check_split_archive(path, meta["resolution"], split_count(meta, split))
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in members}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise VoxelFileError(path, f"corrupt split file: {error}") from None


def _check_labels(path: Path, labels: np.ndarray, meta: dict, split: str) -> np.ndarray:
    """Labels in range and, when ``meta.json`` records them, per-class counts equal to its counts."""
    classes = meta["classes"]
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise VoxelFileError(path, f"labels out of range for {len(classes)} classes")
    labels = labels.astype(np.int64)
    recorded = meta.get("counts", {}).get(split)
    if recorded is not None:
        actual = np.bincount(labels, minlength=len(classes))
        differ = [name for k, name in enumerate(classes) if int(recorded.get(name, 0)) != int(actual[k])]
        if differ:
            shown = ", ".join(f"{n}: {recorded.get(n, 0)} in meta.json, {int(actual[classes.index(n)])} in the file"
                              for n in differ[:3])
            raise VoxelFileError(path, f"per-class counts differ from meta.json ({shown})")
    return labels


def load_split(data_dir: str | os.PathLike[str], split: str = "train") -> VoxelDataset:
    """Load one split. Raises :class:`VoxelFileError` for a missing or corrupt dataset.

    The split file is checked against ``meta.json`` from its zip directory and
    ``.npy`` headers before any array is decompressed (see
    :func:`~voxstudio.data.validation.check_split_archive`).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    meta = read_meta(data_dir)
    classes: list[str] = meta["classes"]
    resolution: int = meta["resolution"]
    path = Path(data_dir) / f"{split}.npz"
    arrays = _split_arrays(data_dir, split, meta, ("voxels", "labels"))
    packed, labels = arrays["voxels"], arrays["labels"]
    cells = resolution**3
    n = labels.shape[0]
    labels = _check_labels(path, labels, meta, split)
    # unpackbits gives 0/1 bytes: viewing them as bool avoids a second full-size copy
    voxels = np.unpackbits(packed, axis=1, count=cells).reshape(n, resolution, resolution, resolution).view(bool)
    return VoxelDataset(voxels=voxels, labels=labels, classes=list(classes), resolution=resolution)


def checked_meta(data_dir: str | os.PathLike[str]) -> dict:
    """``meta.json`` of a dataset whose recorded per-class counts match its split files.

    Only the labels are read, so this is cheap; a ``meta.json`` that disagrees
    with its data raises :class:`VoxelFileError` rather than describing the
    dataset wrongly (``voxstudio dataset info`` prints what this returns).
    """
    meta = read_meta(data_dir)
    counts = meta.get("counts", {})
    for split in SPLITS:
        if (Path(data_dir) / f"{split}.npz").exists() or split in counts:
            labels = _split_arrays(data_dir, split, meta, ("labels",))["labels"]
            _check_labels(Path(data_dir) / f"{split}.npz", labels, meta, split)
    return meta
