"""Helpers shared by the GUI tests (engine, waiting for frames, mesh fingerprints)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any


@functools.cache
def shared_engine() -> Any:
    """One random-init 32^3 engine for the whole session (first built on a worker thread)."""
    from voxstudio.models.engine import VoxelEngine

    return VoxelEngine.random_init(resolution=32, seed=0)


class SlowEngine:
    """The real engine with a fixed delay added to ``generate`` (threading tests)."""

    def __init__(self, engine: Any, delay_s: float) -> None:
        self._engine = engine
        self.delay_s = delay_s
        self.calls: list[tuple[float, float]] = []  # (start, end) perf_counter of each generate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def generate(self, z: Any, class_id: Any, offset: Any = None) -> Any:
        start = time.perf_counter()
        time.sleep(self.delay_s)
        result = self._engine.generate(z, class_id, offset=offset)
        self.calls.append((start, time.perf_counter()))
        return result


class SlowInversionEngine:
    """The shared engine with a slow, never-converging ``invert`` (responsiveness, cancel and shutdown tests)."""

    def __init__(self, step_delay_s: float = 0.02) -> None:
        self._engine = shared_engine()
        self.step_delay_s = step_delay_s
        self.steps_done = 0
        self.returned = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def invert(self, grid, class_id, steps=300, progress=None, should_cancel=None, **kwargs):
        def slow_progress(step: int, total: int, iou: float) -> None:
            self.steps_done = step
            time.sleep(self.step_delay_s)
            if progress is not None:
                progress(step, total, iou)

        try:
            return self._engine.invert(grid, class_id, steps=steps, progress=slow_progress,
                                       should_cancel=should_cancel, patience=None, **kwargs)
        finally:
            self.returned.set()


def wait_for_shape(qtbot: Any, window: Any, action: Callable[[], None], timeout: int = 30_000) -> Any:
    """Run ``action`` and wait until the main view shows the newest request it made."""
    before = window.latest_request_seq()
    action()
    target = window.latest_request_seq()
    assert target > before, "the action did not send any request to the worker"
    qtbot.waitUntil(lambda: window.shown_seq("main") >= target, timeout=timeout)
    return window.current


def mesh_signature(poly: Any) -> tuple[int, int, float]:
    """Cheap fingerprint of a PolyData: (points, cells, coordinate sum)."""
    import numpy as np

    points = np.asarray(poly.points) if poly.n_points else np.zeros((0, 3))
    return poly.n_points, poly.n_cells, float(points.sum())
