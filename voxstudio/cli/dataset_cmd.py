"""``voxstudio dataset build|import-modelnet|import-shapenet|info``: dataset folders.

Heavy modules (numpy, the generators, trimesh) are imported inside the handlers
so ``voxstudio --help`` stays instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from voxstudio.cli.common import parse_float, positive_int

if TYPE_CHECKING:  # numpy-heavy: imported by the handlers
    from voxstudio.data.importers import ImportReport


def _resolution(text: str) -> int:
    value = positive_int(text)
    if not 8 <= value <= 256:
        raise argparse.ArgumentTypeError(f"must be between 8 and 256, got {value}")
    return value


def _fraction(text: str) -> float:
    value = parse_float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dataset",
        help="build the procedural furniture dataset, import ModelNet / ShapeNet, describe a dataset",
        description="Create and inspect dataset folders (meta.json + train.npz + test.npz, "
        "bit-packed voxels) used by training and evaluation.",
    )
    sub = parser.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    build = sub.add_parser(
        "build",
        help="generate the deterministic procedural furniture dataset (12 classes)",
        description="Generate N procedural shapes per class (real-world furniture proportions, "
        "upright, front toward -y, longest side R-2 voxels) and write a dataset folder. "
        "The same seed always gives the same dataset.",
    )
    build.add_argument("--out", required=True, type=Path, metavar="DIR", help="output dataset folder")
    build.add_argument("--per-class", required=True, type=positive_int, metavar="N", help="shapes per class")
    build.add_argument("--res", type=_resolution, default=32, metavar="R", help="grid size R (default: 32)")
    build.add_argument("--seed", type=int, default=0, help="dataset seed (default: 0)")
    build.add_argument("--workers", type=positive_int, default=None,
                       help="worker processes (default: all CPUs; 1 = in-process)")
    build.add_argument("--test-fraction", type=_fraction, default=0.2, metavar="F",
                       help="fraction of each class in the test split (default: 0.2)")
    build.add_argument("--classes", default=None, metavar="A,B,...",
                       help="comma-separated subset of classes (default: all)")
    build.set_defaults(handler=run_build)

    modelnet = sub.add_parser(
        "import-modelnet",
        help="voxelise a ModelNet tree (<class>/train|test/*.off) into a dataset",
        description="Voxelise ModelNet meshes (z-up) into a dataset folder. "
        "Unreadable files are skipped with a warning and counted.",
    )
    modelnet.add_argument("src", type=Path, metavar="SRC", help="ModelNet root (e.g. ModelNet10/)")
    modelnet.add_argument("--out", required=True, type=Path, metavar="DIR", help="output dataset folder")
    modelnet.add_argument("--res", type=_resolution, default=32, metavar="R", help="grid size R (default: 32)")
    modelnet.add_argument("--workers", type=positive_int, default=None,
                          help="worker processes (default: all CPUs)")
    modelnet.set_defaults(handler=run_import_modelnet)

    shapenet = sub.add_parser(
        "import-shapenet",
        help="import ShapeNet .binvox files (<class>/*.binvox or <synset>/<model>/models/*.binvox)",
        description="Import y-up ShapeNet .binvox files into a dataset folder (rotated to z-up). "
        "Class folders may be names or ShapeNetCore synset ids. Unreadable files are skipped "
        "with a warning and counted.",
    )
    shapenet.add_argument("src", type=Path, metavar="SRC", help="folder of class folders")
    shapenet.add_argument("--out", required=True, type=Path, metavar="DIR", help="output dataset folder")
    shapenet.add_argument("--res", type=_resolution, default=32, metavar="R", help="grid size R (default: 32)")
    shapenet.add_argument("--test-fraction", type=_fraction, default=0.2, metavar="F",
                          help="test share when there are no train/test folders (default: 0.2)")
    shapenet.add_argument("--workers", type=positive_int, default=None,
                          help="worker processes (default: all CPUs)")
    shapenet.set_defaults(handler=run_import_shapenet)

    describe = sub.add_parser("info", help="print classes, counts and resolution of a dataset",
                              description="Print a dataset folder's source, resolution, classes and counts.")
    describe.add_argument("dir", type=Path, metavar="DIR", help="dataset folder")
    describe.set_defaults(handler=run_info)


def run_build(args: argparse.Namespace) -> int:
    import time

    from voxstudio.data.dataset import build_procedural

    classes = None
    if args.classes:
        classes = [c.strip() for c in args.classes.split(",") if c.strip()]
    start = time.perf_counter()
    try:
        out = build_procedural(args.out, args.per_class, resolution=args.res, test_fraction=args.test_fraction,
                               seed=args.seed, workers=args.workers, classes=classes)
    except ValueError as error:
        print(f"voxstudio dataset build: error: {error}", file=sys.stderr)
        return 2
    print(f"built in {time.perf_counter() - start:.1f} s")
    info(out)
    return 0


def _report(report: ImportReport) -> int:
    info(report.out_dir)
    if report.skipped:
        print(f"skipped {report.skipped} unreadable file(s)")
    return 0


def run_import_modelnet(args: argparse.Namespace) -> int:
    from voxstudio.data.importers import import_modelnet

    return _report(import_modelnet(args.src, args.out, resolution=args.res, workers=args.workers))


def run_import_shapenet(args: argparse.Namespace) -> int:
    from voxstudio.data.importers import import_shapenet

    return _report(import_shapenet(args.src, args.out, resolution=args.res, test_fraction=args.test_fraction,
                                   workers=args.workers))


def run_info(args: argparse.Namespace) -> int:
    info(args.dir)
    return 0


def info(data_dir: str | os.PathLike[str], file: TextIO | None = None) -> dict[str, Any]:
    """Print (and return the metadata of) a dataset: source, resolution, classes, counts.

    The counts printed are checked against the split files' labels first
    (:func:`~voxstudio.data.dataset.checked_meta`), so a ``meta.json`` that
    disagrees with its data is an error rather than a wrong table.
    """
    from voxstudio.data.dataset import SPLITS, checked_meta

    meta = checked_meta(data_dir)
    counts = meta.get("counts", {})
    lines = [
        f"dataset:    {Path(data_dir)}",
        f"source:     {meta.get('source', '?')}" + (f" (seed {meta['seed']})" if meta.get("seed") is not None else ""),
        f"resolution: {meta['resolution']}^3",
        f"classes:    {len(meta['classes'])}",
    ]
    width = max(len(c) for c in meta["classes"])
    lines.append(f"  {'class'.ljust(width)}  {'train':>7}  {'test':>7}")
    totals = dict.fromkeys(SPLITS, 0)
    for name in meta["classes"]:
        row = [counts.get(s, {}).get(name, 0) for s in SPLITS]
        for s, v in zip(SPLITS, row):
            totals[s] += v
        lines.append(f"  {name.ljust(width)}  {row[0]:>7}  {row[1]:>7}")
    lines.append(f"  {'total'.ljust(width)}  {totals['train']:>7}  {totals['test']:>7}")
    if meta.get("skipped"):
        lines.append(f"skipped:    {meta['skipped']} unreadable source files")
    print("\n".join(lines), file=file)
    return meta
