"""Latent inversion ("Open in generator"): IoU reached and time per shape with the shipped GAN, CPU.

    python bench/bench_inversion.py [--threads N] [--per-class 2] [--data /work/data/proc32] [--weights DIR]

``VoxelEngine.invert`` is what the GUI runs (default arguments: at most 300
Adam steps from the VAE encoder's estimate, early stop once the match stops
improving). Target from the issue: mean IoU >= 0.6 at 32^3 on held-out
procedural shapes, within 5 s per shape on the CPU. Shape sets:

* **held-out procedural**: the data set's test split (``--data``, shapes the
  GAN was not trained on), ``--per-class`` per class;
* **fresh procedural seeds**: ``generate_shape(class, 7_000_000 + i)``, seeds no
  data set build uses;
* **sample .binvox files**: ``resources/samples/*.binvox``. These are procedural
  shapes saved as binvox, *not* real scans: no real ModelNet / ShapeNet files are
  available on this machine;
* **trimesh-built .off meshes**: triangle-soup furniture from
  ``docs/meshbuilt_set.py`` (independent of the procedural generators), written
  as ``.off`` and voxelised by ``load_voxels`` like a user's file. The closest
  stand-in for real meshes here.

Torch threads: like the GUI's engine worker, which runs the search, all cores
but one (``--threads`` / ``$VOXSTUDIO_TORCH_THREADS`` override); on a shared
2-core machine that is 1 thread, and 2 threads give slow outliers whenever
another process holds a core.

The class is the shape's true class (the GUI defaults to the classifier's
prediction, which agrees on >= 99 % of procedural shapes). IoU is between the
generated shape (threshold 0.5) and the input. The reference of each IoU row is
the IoU of the start point alone (encoder estimate or best random restart, 0
steps), so its ratio is what the optimisation adds. ``run(quick)`` returns
:class:`common.Result` rows for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from common import INVERSION, Result, skipped

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path("/work/data/proc32")
FRESH_SEED = 7_000_000  # data set builds use seed * 1_000_000 + index with seed 0
TARGET_IOU = 0.6
TARGET_S = 5.0


def gui_threads() -> int:
    """The GUI worker's torch threads (voxstudio.gui.worker.torch_threads, without importing Qt)."""
    override = os.environ.get("VOXSTUDIO_TORCH_THREADS", "")
    return int(override) if override.isdigit() and int(override) > 0 else max(1, (os.cpu_count() or 2) - 1)


@dataclass
class Case:
    set_name: str
    name: str
    grid: np.ndarray
    class_name: str


@dataclass
class Measured:
    case: Case
    iou: float
    start_iou: float
    seconds: float
    steps: int


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Occupancy IoU at 0.5, the project's one definition."""
    from voxstudio.core.iou import grid_iou

    return grid_iou(a, b)


# --------------------------------------------------------------------------- shape sets


def held_out_cases(data_dir: Path, per_class: int, seed: int = 0) -> list[Case]:
    """``per_class`` random shapes per class of the test split (empty if the data set is absent)."""
    if not (data_dir / "meta.json").exists():
        return []
    from voxstudio.data.dataset import load_split

    test = load_split(data_dir, "test")
    rng = np.random.default_rng(seed)
    cases = []
    for class_id, name in enumerate(test.classes):
        members = np.flatnonzero(test.labels == class_id)
        for index in rng.choice(members, min(per_class, len(members)), replace=False):
            cases.append(Case("held-out procedural (test split)", f"{name} #{index}", test.voxels[index], name))
    return cases


def fresh_seed_cases(per_class: int, classes: list[str]) -> list[Case]:
    from voxstudio.data.procedural import generate_shape

    return [Case("fresh procedural seeds", f"{name} seed {FRESH_SEED + k}", generate_shape(name, FRESH_SEED + k), name)
            for name in classes for k in range(per_class)]


def sample_cases(classes: list[str]) -> list[Case]:
    from voxstudio.core.io import load_voxels
    from voxstudio.paths import resource_path

    paths = {name: resource_path("samples", f"{name}.binvox") for name in classes}
    return [Case("sample .binvox files", path.name, load_voxels(path), name)
            for name, path in paths.items() if path.exists()]


def mesh_cases(per_class: int, classes: list[str], folder: Path) -> list[Case]:
    """Triangle-soup furniture (docs/meshbuilt_set.py) written as .off and read back like a user's file."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from meshbuilt_set import build_mesh
    finally:
        sys.path.remove(str(ROOT / "docs"))
    from voxstudio.core.io import load_voxels

    cases = []
    for name in classes:
        for index in range(per_class):
            path = folder / f"{name}_{index}.off"
            path.write_text(build_mesh(name, index, seed=1).export(file_type="off"), encoding="utf-8")
            cases.append(Case("trimesh-built .off meshes", path.name, load_voxels(path, resolution=32), name))
    return cases


# --------------------------------------------------------------------------- measurement


def measure_case(engine, case: Case) -> Measured:
    class_id = engine.classes.index(case.class_name)
    steps: list[int] = []
    start = engine.invert(case.grid, class_id, steps=0)
    began = time.perf_counter()
    z = engine.invert(case.grid, class_id, progress=lambda step, _n, _iou: steps.append(step))
    seconds = time.perf_counter() - began
    return Measured(case, iou(engine.generate(z, class_id), case.grid),
                    iou(engine.generate(start, class_id), case.grid), seconds, steps[-1] if steps else 0)


def summarise(set_name: str, rows: list[Measured], threads: int) -> list[Result]:
    ious = [m.iou for m in rows]
    starts = [m.start_iou for m in rows]
    times = sorted(m.seconds for m in rows)
    p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
    return [
        Result(INVERSION, f"{set_name}: mean IoU", float(np.mean(ious)), "IoU", runs=len(rows),
               reference="start point, 0 steps", reference_value=float(np.mean(starts)),
               note=f"median {statistics.median(ious):.3f}, min {min(ious):.3f}; target >= {TARGET_IOU}",
               params={"shapes": len(rows)}),
        Result(INVERSION, f"{set_name}: time per shape", statistics.median(times), "s", runs=len(rows),
               note=f"p90 {p90:.2f} s, max {times[-1]:.2f} s, mean {np.mean([m.steps for m in rows]):.0f} steps; "
                    f"target <= {TARGET_S:.0f} s; {threads} torch thread(s)",
               params={"shapes": len(rows), "threads": threads}),
    ]


def load_engine(weights: Path | None):
    from voxstudio.models.engine import VoxelEngine

    engine = VoxelEngine.load(weights, device="cpu")
    return engine if engine.has_generator else None


def collect(engine, quick: bool, per_class: int, data_dir: Path, folder: Path) -> list[Case]:
    classes = list(engine.classes)
    if quick:
        few = classes[:: max(1, len(classes) // 3)][:3]
        return (held_out_cases(data_dir, 1)[:3] + fresh_seed_cases(1, few) + sample_cases(few[:2])
                + mesh_cases(1, few[:2], folder))
    return (held_out_cases(data_dir, per_class) + fresh_seed_cases(1, classes) + sample_cases(classes)
            + mesh_cases(1, classes, folder))


def measure_all(engine, cases: list[Case], verbose: bool = False) -> dict[str, list[Measured]]:
    measure_case(engine, cases[0])  # warm-up (first-call allocations), untimed
    by_set: dict[str, list[Measured]] = {}
    for case in cases:
        m = measure_case(engine, case)
        by_set.setdefault(case.set_name, []).append(m)
        if verbose:
            print(f"  {case.set_name:<34} {case.name:<28} start {m.start_iou:.3f} -> IoU {m.iou:.3f} "
                  f"in {m.seconds:5.2f} s ({m.steps} steps)", flush=True)
    return by_set


def run(quick: bool = False, per_class: int = 2, data_dir: Path = DEFAULT_DATA, weights: Path | None = None,
        verbose: bool = False, threads: int | None = None) -> list[Result]:
    """IoU and time per shape set (quick: a handful of shapes), at the GUI worker's torch threads."""
    engine = load_engine(weights)
    if engine is None:
        return [skipped(INVERSION, "all figures", "s", "no GAN weights (weights/gan.safetensors) to invert into")]
    threads = threads or gui_threads()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with tempfile.TemporaryDirectory(prefix="bench_inversion_") as tmp:
            cases = collect(engine, quick, per_class, data_dir, Path(tmp))
            by_set = measure_all(engine, cases, verbose)
    finally:
        torch.set_num_threads(previous)
    results: list[Result] = []
    for set_name, rows in by_set.items():
        results += summarise(set_name, rows, threads)
    if not any(name.startswith("held-out") for name in by_set):
        results.append(skipped(INVERSION, "held-out procedural (test split)", "IoU", f"no data set at {data_dir}"))
    return results


def main() -> None:
    from common import print_results

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None,
                        help=f"torch CPU threads (default: like the GUI worker, all cores but one = {gui_threads()})")
    parser.add_argument("--per-class", type=int, default=2, help="test-split shapes per class (default 2)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"data set folder (default {DEFAULT_DATA})")
    parser.add_argument("--weights", type=Path, default=None, help="weights folder (default: shipped weights)")
    parser.add_argument("--quick", action="store_true", help="a handful of shapes")
    args = parser.parse_args()
    threads = args.threads or gui_threads()
    print(f"latent inversion, torch {torch.__version__}, {threads} CPU thread(s)")
    print_results(run(args.quick, args.per_class, args.data, args.weights, verbose=True, threads=threads))


if __name__ == "__main__":
    main()
