"""Run every VoxStudio benchmark and write one table (Markdown + JSON).

    nice -n 10 python bench/run.py                 # full run (several minutes on 2 cores)
    python bench/run.py --quick                    # tiny sizes: smoke test of every section
    python bench/run.py --only meshing,generator   # a subset
    python bench/run.py --publish                  # also copy the table to docs/benchmarks.md

Each ``bench/bench_*.py`` script exposes ``run(quick) -> list[common.Result]``;
this runner only collects them, so a figure is computed in exactly one place
(and the scripts keep their own command lines).  Output:
``bench/results/benchmarks.md`` and ``bench/results/benchmarks.json`` (or
``--out DIR``).  A script that fails does not stop the others: its section gets
a "failed" row and the exit status is 1.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from common import (  # noqa: E402 - needs the bench folder on sys.path
    CLASSIFIER,
    DATASET,
    GENERATOR,
    GUI,
    INVERSION,
    LARGE_MESHES,
    MEMORY,
    MESHING,
    PACKAGING,
    SECTIONS,
    STARTUP,
    TRAINING,
    Result,
    environment,
    print_results,
    write_tables,
)

# short name -> (module, sections it fills)
BENCHMARKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dataset": ("bench_dataset", (DATASET,)),
    "meshing": ("bench_meshing", (MESHING,)),
    "generator": ("bench_generator", (GENERATOR,)),
    "classifier": ("bench_classifier", (CLASSIFIER, TRAINING)),
    "gan_training": ("bench_gan_training", (TRAINING,)),
    "gui": ("bench_gui", (GUI,)),
    "memory": ("bench_memory", (MEMORY,)),
    "inversion": ("bench_inversion", (INVERSION,)),
    "startup": ("bench_startup", (STARTUP,)),
    "large_meshes": ("bench_large_meshes", (LARGE_MESHES,)),
    "packaging": ("bench_packaging", (PACKAGING,)),
}

# Scripts owned by other engineers that may not have landed yet: a missing one
# gives a "pending" row instead of a failure.
OPTIONAL = {"bench_gui": "bench/bench_gui.py (GUI engineer) has not landed yet"}


def run_one(key: str, quick: bool) -> tuple[list[Result], bool]:
    """Results of one benchmark script and whether it ran cleanly."""
    module_name, sections = BENCHMARKS[key]
    started = time.perf_counter()
    print(f"[{key}] running {module_name}.run(quick={quick}) ...", flush=True)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name and module_name in OPTIONAL:
            return [Result(s, "all figures", None, "", note=f"pending: {OPTIONAL[module_name]}") for s in sections], True
        raise
    if not hasattr(module, "run"):
        return [Result(s, "all figures", None, "", note=f"pending: {module_name}.py has no run(quick) yet")
                for s in sections], True
    try:
        results = list(module.run(quick=quick))
    except Exception as error:  # noqa: BLE001 - one broken script must not lose the others' figures
        traceback.print_exc()
        return [Result(sections[0], f"{module_name}", None, "", note=f"failed: {type(error).__name__}: {error}")], False
    print_results(results)
    print(f"[{key}] done in {time.perf_counter() - started:.0f} s", flush=True)
    return results, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (smoke run)")
    parser.add_argument("--only", default=None, metavar="A,B",
                        help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--out", type=Path, default=HERE / "results", metavar="DIR",
                        help="output folder (default: bench/results)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2)")
    parser.add_argument("--publish", action="store_true", help="also copy the Markdown table to docs/benchmarks.md")
    args = parser.parse_args(argv)

    keys = list(BENCHMARKS)
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = sorted(set(keys) - set(BENCHMARKS))
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    import torch

    torch.set_num_threads(args.threads)
    env = environment(args.quick)
    results: list[Result] = []
    clean = True
    for key in keys:
        rows, ok = run_one(key, args.quick)
        results += rows
        clean &= ok
    results.sort(key=lambda r: SECTIONS.index(r.section) if r.section in SECTIONS else len(SECTIONS))
    md, js = write_tables(args.out, results, env)
    print(f"wrote {md} and {js}")
    if args.publish:
        target = HERE.parent / "docs" / "benchmarks.md"
        shutil.copyfile(md, target)
        print(f"copied to {target}")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
