"""The engine worker: latest-wins coalescing, and a GUI thread that never blocks."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest
from gui_helpers import SlowEngine, shared_engine
from PySide6.QtCore import QTimer

from voxstudio.gui.worker import PendingRequests

pytestmark = pytest.mark.gui


def test_pending_requests_keep_only_the_newest_per_channel():
    pending = PendingRequests()
    assert pending.put("main", 0) is True  # idle worker: wake it
    for value in range(1, 100):
        assert pending.put("main", value) is False  # already scheduled: no extra wake-ups
    assert pending.put("export:1", "a") is False
    assert pending.dropped == 99 and pending.submitted == 101
    assert pending.take() == ("main", 99)
    assert pending.take() == ("export:1", "a")
    assert pending.take() is None  # empty: unscheduled ...
    assert pending.put("main", 100) is True  # ... so the next put wakes the worker again


def test_pending_requests_are_thread_safe():
    pending = PendingRequests()
    wakes = []

    def producer(offset: int) -> None:
        for i in range(2000):
            if pending.put(f"c{offset}", i):
                wakes.append(1)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = dict(iter(pending.take, None))
    assert taken == {f"c{k}": 1999 for k in range(4)}
    assert len(wakes) == 1 and pending.submitted == 8000 and pending.dropped == 8000 - 4


def test_flood_of_slider_changes_computes_few_and_shows_the_last(qtbot, make_window):
    slow = SlowEngine(shared_engine(), delay_s=0.05)
    window = make_window(lambda: slow)
    panel = window.generate_panel
    generated = window.client.stats["generate"]
    for i in range(100):  # a fast drag: 100 value changes, no event processing in between
        panel.sliders[0].slider.setValue(-150 + 3 * i)
    last = panel.params()
    assert last.sliders[0] == pytest.approx(1.47)
    qtbot.waitUntil(lambda: window.current is not None and window.current.generate == last, timeout=30_000)
    computed = window.client.stats["generate"] - generated
    assert 1 <= computed <= 5, f"{computed} generations for 100 requests"
    assert window.client.pending.dropped >= 90
    # and what is shown is the engine's output for the last slider value
    engine = shared_engine()
    offset = engine.slider_offset(np.eye(len(engine.directions))[0] * 1.47)
    np.testing.assert_array_equal(window.current.grid >= 0.5, engine.generate(engine.latent_for_seed(0), 0, offset=offset) >= 0.5)


def test_event_loop_keeps_ticking_during_slow_generation(qtbot, make_window):
    slow = SlowEngine(shared_engine(), delay_s=0.0)
    window = make_window(lambda: slow)
    qtbot.wait(300)  # let start-up paints finish
    slow.delay_s = 1.0  # every generation now takes over a second
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    calls = len(slow.calls)
    window.generate_panel.seed.setValue(7)
    qtbot.waitUntil(lambda: window.current.generate.seed_a == 7, timeout=30_000)
    timer.stop()
    start, end = slow.calls[calls]
    assert end - start >= 1.0
    during = np.array([t for t in ticks if start <= t <= end])
    # a GUI thread blocked by the generation would not tick at all in that second
    assert len(during) >= 30, f"only {len(during)} timer ticks during a 1 s generation"
    gaps = np.diff(np.concatenate([[start], during, [end]]))
    assert gaps.max() < 0.3, f"event loop stalled for {gaps.max():.2f} s during generation"
    assert window.generate_panel.is_available()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on Python >= 3.12 (PEP 683): "
                    "its reference count never changes, so the leak cannot happen nor be measured")
def test_qt_bindings_do_not_leak_references_to_none(qapp):
    """PySide6 6.12.0 on Python < 3.12 decrefs None on every void call and aborts the app.

    pyproject.toml pins a good version; this guards the environment the GUI runs in.
    """
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    before = sys.getrefcount(None)
    for i in range(2000):
        label.setText(str(i))
        qapp.processEvents()
    assert sys.getrefcount(None) - before > -100


def test_shutdown_during_a_long_request_never_destroys_a_running_thread(qtbot, make_window):
    from voxstudio.gui import worker as worker_module

    slow = SlowEngine(shared_engine(), delay_s=0.0)
    window = make_window(lambda: slow)
    slow.delay_s = 1.0
    calls = len(slow.calls)
    window.generate_panel.seed.setValue(11)
    qtbot.wait(200)  # the worker is now inside the slow generate
    thread = window.client._thread
    assert window.client.shutdown(timeout_ms=10) is False  # did not wait for it ...
    assert any(parked is thread for parked, _ in worker_module._PARKED_THREADS)  # ... and kept it
    qtbot.waitUntil(thread.isFinished, timeout=10_000)  # it ends by itself
    assert len(slow.calls) == calls + 1
    window.close()  # closing afterwards is harmless


def test_the_client_routes_each_result_and_failure_kind_to_its_own_signal(qtbot, tmp_path):
    """Through the real worker thread, without a window or an engine: one typed signal per kind."""
    from pathlib import Path

    from voxstudio.gui.requests import ClassifyRequest, ExportRequest, LoadFileRequest, ShapeRequest
    from voxstudio.gui.worker import CHANNEL_CLASSIFY, CHANNEL_FILE, CHANNEL_MAIN, EngineClient
    from voxstudio.session import ShapeResult, ViewParams

    client = EngineClient()
    seen: list[tuple[str, object]] = []
    for name in ("engineLoaded", "shapeReady", "classified", "exported", "engineLoadFailed", "fileFailed",
                 "exportFailed", "failed"):
        getattr(client, name).connect(lambda value, n=name: seen.append((n, value)))
    try:
        grid = np.zeros((8, 8, 8), np.float32)
        grid[2:6, 2:6, 0:4] = 1.0
        client.submit(CHANNEL_MAIN, ShapeRequest(1, "main", ViewParams(), grid=grid))
        qtbot.waitUntil(lambda: len(seen) == 1, timeout=10_000)
        assert seen[0][0] == "shapeReady" and isinstance(seen[0][1], ShapeResult) and seen[0][1].seq == 1

        client.submit(CHANNEL_CLASSIFY, ClassifyRequest(2, grid, ViewParams()))  # no engine loaded
        qtbot.waitUntil(lambda: len(seen) == 2, timeout=10_000)
        assert seen[1][0] == "failed" and "not loaded" in seen[1][1].message

        client.submit(CHANNEL_FILE, LoadFileRequest(3, tmp_path / "missing.binvox", 32, ViewParams()))
        qtbot.waitUntil(lambda: len(seen) == 3, timeout=30_000)
        assert seen[2][0] == "fileFailed" and "missing.binvox" in seen[2][1].message

        client.submit_unique("export", ExportRequest(Path(tmp_path / "no-such-folder" / "x.stl"), grid, "blocky", 0.5))
        qtbot.waitUntil(lambda: len(seen) == 4, timeout=10_000)
        assert seen[3][0] == "exportFailed"
    finally:
        client.shutdown()
    client.submit(CHANNEL_MAIN, ShapeRequest(5, "main", ViewParams(), grid=grid))  # after shutdown: dropped
    qtbot.wait(200)
    assert len(seen) == 4


def test_the_first_inversion_is_warmed_up_on_the_worker_once_asked_and_only_once(qtbot):
    """torch.optim imports torch._dynamo on first use (~1 s, ~70 MB): not at model load (a user who
    never inverts should not pay), but on the worker thread -- never beside its torch ops -- once the
    user heads toward an inversion."""
    from voxstudio.gui.requests import LoadEngineRequest
    from voxstudio.gui.worker import EngineClient

    class RecordingWarmUp(SlowEngine):
        def __init__(self) -> None:
            super().__init__(shared_engine(), 0.0)
            self.warmed_on: list[int] = []

        def warm_up_inversion(self) -> None:
            self.warmed_on.append(threading.get_ident())

    engine = RecordingWarmUp()
    loaded_on: list[int] = []

    def factory() -> RecordingWarmUp:
        loaded_on.append(threading.get_ident())  # factories run on the worker thread
        return engine

    client = EngineClient()
    try:
        client.warm_up_inversion()  # no engine yet: nothing to do, no error
        with qtbot.waitSignal(client.engineLoaded, timeout=30_000):
            client.submit_unique("engine", LoadEngineRequest(factory))
        qtbot.wait(300)
        assert engine.warmed_on == []
        client.warm_up_inversion()
        client.warm_up_inversion()
        qtbot.waitUntil(lambda: len(engine.warmed_on) == 1, timeout=10_000)
        qtbot.wait(300)
        assert engine.warmed_on == loaded_on and loaded_on[0] != threading.get_ident()
    finally:
        client.shutdown()
