"""Run a function over many tasks on a process pool, with a tqdm progress bar.

Dataset building and the mesh importers both fan thousands of small, CPU-bound
jobs (one shape generated or one file voxelised) out over the cores; this is
the one place that starts the pool and keeps the bar in step with the results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = ["imap_progress", "resolve_workers"]

T = TypeVar("T")
R = TypeVar("R")


def resolve_workers(workers: int | None) -> int:
    """Process count: ``None`` means every CPU, anything else at least 1."""
    if workers is None:
        return max(1, os.cpu_count() or 1)
    return max(1, int(workers))


def imap_progress(
    function: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: int | None,
    total: int,
    desc: str,
    unit: str,
    progress: bool = True,
    chunksize: int = 1,
    advance: Callable[[R], int] | None = None,
) -> Iterator[R]:
    """Yield ``function(task)`` for each task, in order, advancing a bar of ``total`` units.

    With more than one worker (:func:`resolve_workers`, capped at the task count)
    the tasks run on a ``multiprocessing`` pool (``function`` and the tasks must
    pickle); otherwise in this process, which keeps tests and small jobs cheap.
    ``advance(result)`` says how many units a result stands for (default 1).
    The bar is closed however the iteration ends.
    """
    from tqdm import tqdm

    n_workers = min(resolve_workers(workers), len(tasks))
    bar = tqdm(total=total, desc=desc, unit=unit, disable=not progress)
    try:
        if n_workers > 1:
            import multiprocessing

            with multiprocessing.get_context().Pool(n_workers) as pool:
                for result in pool.imap(function, tasks, chunksize=chunksize):
                    bar.update(1 if advance is None else advance(result))
                    yield result
        else:
            for task in tasks:
                result = function(task)
                bar.update(1 if advance is None else advance(result))
                yield result
    finally:
        bar.close()
