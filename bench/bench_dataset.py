"""Benchmark the procedural dataset build: time and shapes/s for N shapes per class.

    python bench/bench_dataset.py --per-class 1000 --workers 2

Also prints the single-process generation cost per class, so a slow generator
stands out. The requirement is 12 classes x 1000 shapes at 32^3 in under two
minutes on two cores.  ``run(quick)`` returns the build figure as a
:class:`common.Result` for ``bench/run.py`` (median of several builds after a
small warm-up build).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from common import DATASET, Result, Timing, measure, timed_result


def per_class_cost(resolution: int, count: int) -> None:
    from voxstudio.data.procedural import CLASSES, generate_shape

    print(f"single-process generation, {count} shapes per class at {resolution}^3:")
    for name in CLASSES:
        start = time.perf_counter()
        for seed in range(count):
            generate_shape(name, seed, resolution)
        ms = (time.perf_counter() - start) / count * 1000
        print(f"  {name:12s} {ms:6.2f} ms/shape")


def build_once(per_class: int, resolution: int, workers: int) -> int:
    """Build a dataset into a temporary folder; return its size on disk in bytes."""
    from voxstudio.data.dataset import build_procedural

    with tempfile.TemporaryDirectory() as tmp:
        out = build_procedural(tmp, per_class, resolution=resolution, workers=workers, progress=False)
        return sum(os.path.getsize(out / f) for f in ("train.npz", "test.npz", "meta.json"))


def time_build(per_class: int, resolution: int, workers: int, repeats: int) -> Timing:
    """Median build time; the warm-up is a 1-shape-per-class build (imports, worker start-up code paths)."""
    build_once(1, resolution, workers)
    return measure(lambda: build_once(per_class, resolution, workers), repeats, warmup=0)


def run(quick: bool = False) -> list[Result]:
    """Figures for bench/run.py: 12 x 1000 shapes at 32^3 on 2 workers (quick: 12 x 5, 1 worker)."""
    from voxstudio.data.procedural import CLASSES

    per_class, workers, repeats = (5, 1, 2) if quick else (1000, 2, 3)
    total = len(CLASSES) * per_class
    timing = time_build(per_class, 32, workers, repeats)
    return [
        timed_result(DATASET, f"build {len(CLASSES)} x {per_class} shapes at 32^3, {workers} worker(s)", timing,
                     unit="s", per_class=per_class, workers=workers),
        timed_result(DATASET, f"build rate ({total} shapes, {workers} worker(s))", timing, unit="shapes/s",
                     items=total, per_class=per_class, workers=workers),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=1000)
    parser.add_argument("--res", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--probe", type=int, default=50, help="shapes per class for the per-class timing (0: skip)")
    args = parser.parse_args()

    from voxstudio.data.procedural import CLASSES

    if args.probe:
        per_class_cost(args.res, args.probe)
    total = len(CLASSES) * args.per_class
    start = time.perf_counter()
    size = build_once(args.per_class, args.res, args.workers)
    elapsed = time.perf_counter() - start
    print(f"build: {total} shapes ({len(CLASSES)} x {args.per_class}) at {args.res}^3, "
          f"{args.workers} worker(s): {elapsed:.1f} s, {total / elapsed:.0f} shapes/s, {size / 1e6:.1f} MB on disk")


if __name__ == "__main__":
    main()
