"""Import ModelNet / ShapeNet trees into dataset folders (see :mod:`voxstudio.data.dataset`).

Every file goes through the app's own classification load path
(:func:`~voxstudio.core.io.prepare.prepare_shape`: oriented, framed, filled), so
an imported set looks to a classifier exactly like a file the user opens.
Unreadable files are skipped with a warning and counted, never fatal. Labels put
the known classes first in :data:`~voxstudio.data.procedural.CLASSES` order, so
a ModelNet10 import shares label ids with the procedural set.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxstudio.core.errors import VoxelFileError
from voxstudio.data.dataset import SPLITS, write_dataset
from voxstudio.data.parallel import imap_progress

__all__ = ["SHAPENET_SYNSETS", "ImportReport", "import_modelnet", "import_shapenet"]

# ShapeNetCore v2 synset ids of the categories that match our classes.
SHAPENET_SYNSETS: dict[str, str] = {
    "02808440": "bathtub",
    "02818832": "bed",
    "03001627": "chair",
    "03211117": "monitor",  # "display, video display"
    "03642806": "laptop",
    "04256520": "sofa",
    "04379243": "table",
    "02933112": "cabinet",
    "03337140": "file_cabinet",
}


@dataclass
class ImportReport:
    """What an import did: shapes written per split and files skipped (unreadable)."""

    out_dir: Path
    counts: dict[str, dict[str, int]]
    skipped: int
    skipped_files: list[str]


def _ordered_classes(names: Iterable[str]) -> list[str]:
    """Known classes first in CLASSES order (shared label ids), then the rest alphabetically."""
    from voxstudio.data.procedural import CLASSES

    found = set(names)
    return [c for c in CLASSES if c in found] + sorted(found - set(CLASSES))


def _voxelise_one(task: tuple[str, int, str]) -> tuple[np.ndarray | None, str | None]:
    """One file through the app's classification load path (oriented, framed, filled)."""
    from voxstudio.core.io.prepare import prepare_shape

    path, resolution, up = task
    try:
        prepared = prepare_shape(path, resolution, up)
        if prepared.candidates:  # no convention and no classifier here: the first upright pose
            prepared.choose(0, "importer default")
        return prepared.grid, None
    except VoxelFileError as error:
        return None, str(error)
    except (OSError, ValueError, MemoryError) as error:  # loaders should wrap these; never fatal here
        return None, f"{path}: {error}"


def _import(
    entries: list[tuple[str, str, Path]],
    out_dir: str | os.PathLike[str],
    resolution: int,
    up: str,
    source: str,
    workers: int | None,
    progress: bool,
) -> ImportReport:
    """Voxelise (split, class, path) entries and write the dataset; bad files are skipped."""
    if not entries:
        raise VoxelFileError(None, f"no {source} shapes found")
    classes = _ordered_classes(c for _, c, _ in entries)
    index = {c: k for k, c in enumerate(classes)}
    tasks = [(str(p), int(resolution), up) for _, _, p in entries]
    results = list(imap_progress(_voxelise_one, tasks, workers=workers, total=len(tasks), desc=f"import {source}",
                                 unit="file", progress=progress, chunksize=4))
    skipped_files: list[str] = []
    per_split: dict[str, tuple[list[np.ndarray], list[int]]] = {s: ([], []) for s in SPLITS}
    for (split, name, path), (grid, problem) in zip(entries, results):
        if grid is None:
            skipped_files.append(str(path))
            warnings.warn(f"skipping unreadable file: {problem}", stacklevel=2)
            continue
        per_split[split][0].append(grid)
        per_split[split][1].append(index[name])
    empty = np.zeros((0,) + (resolution,) * 3, dtype=bool)
    splits = {
        s: (np.stack(v) if v else empty, np.asarray(lab, dtype=np.int64)) for s, (v, lab) in per_split.items()
    }
    if not any(len(lab) for _, lab in splits.values()):
        raise VoxelFileError(None, f"none of the {len(entries)} {source} files could be read")
    out = write_dataset(out_dir, splits, classes, resolution, source=source,
                        extra={"skipped": len(skipped_files)})
    counts = {s: {c: int(n) for c, n in zip(classes, np.bincount(lab, minlength=len(classes)))}
              for s, (_, lab) in splits.items()}
    return ImportReport(out_dir=out, counts=counts, skipped=len(skipped_files), skipped_files=skipped_files)


def _require_dir(src_dir: str | os.PathLike[str]) -> Path:
    src = Path(src_dir)
    if not src.is_dir():
        raise VoxelFileError(src, "source folder does not exist")
    return src


def import_modelnet(
    src_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    resolution: int = 32,
    workers: int | None = 1,
    progress: bool = True,
) -> ImportReport:
    """Import a ModelNet tree ``SRC/<class>/{train,test}/*.off`` (z-up meshes), voxelised like the app does."""
    src = _require_dir(src_dir)
    entries: list[tuple[str, str, Path]] = []
    for class_dir in sorted(p for p in src.iterdir() if p.is_dir()):
        for split in SPLITS:
            folder = class_dir / split
            if folder.is_dir():
                entries += [(split, class_dir.name, f) for f in sorted(folder.glob("*.off")) if f.is_file()]
    if not entries:
        raise VoxelFileError(src, "no ModelNet meshes found (expected <class>/train|test/*.off)")
    return _import(entries, out_dir, resolution, "z", "modelnet", workers, progress)


def _shapenet_split(relative: str, test_fraction: float) -> str:
    """Stable split by hashing the file's path inside its class folder."""
    import hashlib

    digest = hashlib.blake2b(relative.encode(), digest_size=8).digest()
    return "test" if int.from_bytes(digest, "little") / 2.0**64 < test_fraction else "train"


def import_shapenet(
    src_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    resolution: int = 32,
    test_fraction: float = 0.2,
    workers: int | None = 1,
    progress: bool = True,
) -> ImportReport:
    """Import ShapeNet-style ``.binvox`` files (y up, front -z) into a dataset, framed like the app frames files.

    Accepted layouts, per class folder (a name, or a ShapeNetCore synset id that
    is mapped through :data:`SHAPENET_SYNSETS`):

    * ``SRC/<class>/**/*.binvox`` (optionally under ``train/`` and ``test/``);
    * ``SRC/<synset>/<model>/models/model_normalized.solid.binvox`` (preferred
      over the ``.surface.binvox`` next to it).

    Without explicit ``train``/``test`` folders the split is a stable hash of
    each file's path (``test_fraction`` of them go to test).
    """
    src = _require_dir(src_dir)
    entries: list[tuple[str, str, Path]] = []
    for class_dir in sorted(p for p in src.iterdir() if p.is_dir()):
        name = SHAPENET_SYNSETS.get(class_dir.name, class_dir.name)
        files = sorted(f for f in class_dir.rglob("*.binvox") if f.is_file())
        solid_dirs = {f.parent for f in files if f.name.endswith(".solid.binvox")}
        for f in files:
            if f.name.endswith(".surface.binvox") and f.parent in solid_dirs:
                continue  # the filled version of this model is there too
            rel = f.relative_to(class_dir)
            first = rel.parts[0] if len(rel.parts) > 1 else ""
            split = first if first in SPLITS else _shapenet_split(rel.as_posix(), test_fraction)
            entries.append((split, name, f))
    if not entries:
        raise VoxelFileError(src, "no .binvox files found (expected <class>/**/*.binvox)")
    return _import(entries, out_dir, resolution, "y", "shapenet", workers, progress)
