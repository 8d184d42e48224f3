"""Benchmark the procedural dataset build: time and shapes/s for N shapes per class.

    python bench/bench_dataset.py --per-class 1000 --workers 2

Also prints the single-process generation cost per class, so a slow generator
stands out. The requirement is 12 classes x 1000 shapes at 32^3 in under two
minutes on two cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def per_class_cost(resolution: int, count: int) -> None:
    from voxstudio.data.procedural import CLASSES, generate_shape

    print(f"single-process generation, {count} shapes per class at {resolution}^3:")
    for name in CLASSES:
        start = time.perf_counter()
        for seed in range(count):
            generate_shape(name, seed, resolution)
        ms = (time.perf_counter() - start) / count * 1000
        print(f"  {name:12s} {ms:6.2f} ms/shape")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=1000)
    parser.add_argument("--res", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--probe", type=int, default=50, help="shapes per class for the per-class timing (0: skip)")
    args = parser.parse_args()

    from voxstudio.data.dataset import build_procedural
    from voxstudio.data.procedural import CLASSES

    if args.probe:
        per_class_cost(args.res, args.probe)
    total = len(CLASSES) * args.per_class
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        out = build_procedural(tmp, args.per_class, resolution=args.res, workers=args.workers, progress=False)
        elapsed = time.perf_counter() - start
        size = sum(os.path.getsize(out / f) for f in ("train.npz", "test.npz", "meta.json"))
    print(f"build: {total} shapes ({len(CLASSES)} x {args.per_class}) at {args.res}^3, "
          f"{args.workers} worker(s): {elapsed:.1f} s, {total / elapsed:.0f} shapes/s, {size / 1e6:.1f} MB on disk")


if __name__ == "__main__":
    main()
