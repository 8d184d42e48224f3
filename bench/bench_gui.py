"""GUI responsiveness: slider -> rendered frame latency and updates/s (run under xvfb-run).

    xvfb-run -a python bench/bench_gui.py [--seconds 5] [--resolutions 32 64]

Drives the real window (real worker thread, real pyvistaqt viewport) with the
shipped weights when present (32^3), else ``VoxelEngine.random_init``; 64^3 always
uses a random-init engine (no shipped 64^3 weights). For each resolution it prints:

* latency: one slider move at a time, time from the slider's valueChanged to the
  frame being rendered (generation + meshing + upload + render), median / p95;
* updates/s: the slider is moved on every event-loop turn for N seconds (a fast
  drag), counting frames actually rendered; latest-wins drops the stale requests;
* stage medians (generate, mesh on the worker; upload+render on the GUI thread);
* the same drag with the actor re-added each frame instead of updated in place.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _wait(app, condition, timeout_s: float = 120.0) -> bool:
    from PySide6.QtCore import QEventLoop

    deadline = time.perf_counter() + timeout_s
    while not condition() and time.perf_counter() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return bool(condition())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _factory(resolution: int, use_weights: bool):
    from voxstudio.paths import weights_dir

    if use_weights and resolution == 32 and (weights_dir() / "gan.safetensors").exists():
        def load():
            from voxstudio.models.engine import VoxelEngine

            return VoxelEngine.load(weights_dir(), device="cpu")

        return load, "shipped weights"

    def random_init():
        from voxstudio.models.engine import VoxelEngine

        return VoxelEngine.random_init(resolution=resolution, device="cpu")

    return random_init, "random-init"


def _latency(app, window, trials: int) -> list[float]:
    slider = window.generate_panel.sliders[0].slider
    results = []
    for i in range(trials):
        _wait(app, lambda: window.client.pending.pending() == 0, 30)
        app.processEvents()
        value = 150 if i % 2 == 0 else -150
        value += i  # never the same value twice: every move regenerates
        start = time.perf_counter()
        slider.setValue(value)
        target = window.latest_request_seq()
        _wait(app, lambda: window.painted_seq() >= target, 30)
        results.append((time.perf_counter() - start) * 1000.0)
    return results


def _drag(app, window, seconds: float) -> tuple[float, int, int, list[float], list[float]]:
    """Move a slider every event-loop turn; returns (frames/s, frames, requests, render ms, upload ms)."""
    from PySide6.QtCore import QTimer

    slider = window.generate_panel.sliders[1].slider
    draws: list[float] = []
    window.viewport.frameRendered.connect(draws.append)
    window.viewport.upload_ms.clear()
    frames0 = window.viewport.frames
    requests = [0]
    phase = [0]

    def move() -> None:
        phase[0] += 7
        slider.setValue(-250 + phase[0] % 500)
        requests[0] += 1

    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(move)
    start = time.perf_counter()
    timer.start()
    _wait(app, lambda: time.perf_counter() - start >= seconds, seconds + 5)
    timer.stop()
    elapsed = time.perf_counter() - start
    frames = window.viewport.frames - frames0
    window.viewport.frameRendered.disconnect(draws.append)
    return frames / elapsed, frames, requests[0], draws, list(window.viewport.upload_ms)


def bench(resolution: int, seconds: float, trials: int, use_weights: bool) -> None:
    from PySide6.QtWidgets import QApplication

    from voxstudio.gui.main_window import MainWindow
    from voxstudio.gui.settings import AppSettings

    app = QApplication.instance() or QApplication([])
    factory, source = _factory(resolution, use_weights)
    settings = AppSettings.from_file(Path(tempfile.mkdtemp()) / "bench.ini")
    window = MainWindow(factory, settings)
    window.resize(1280, 800)
    window.show()
    if not _wait(app, lambda: window.engine_state == "ready" and window.current is not None, 300):
        print(f"{resolution}^3: engine did not load ({window.engine_error})")
        window.close()
        return
    _wait(app, lambda: False, 1.0)  # settle: first paints, shader compilation
    _latency(app, window, 3)  # warm-up
    stats = window.client.stats
    lat = _latency(app, window, trials)
    gen_ms = [window.current.generate_ms]
    mesh_ms = [window.current.mesh_ms]

    def record(result) -> None:
        gen_ms.append(result.generate_ms)
        mesh_ms.append(result.mesh_ms)

    window.shapeShown.connect(record)
    generated0 = stats["generate"]
    rate, frames, requests, draws, uploads = _drag(app, window, seconds)
    generated = stats["generate"] - generated0
    window.shapeShown.disconnect(record)

    window.viewport.in_place = False
    rate_readd, _, _, draws_readd, uploads_readd = _drag(app, window, seconds)
    window.viewport.in_place = True

    cells = window.viewport.main_polydata.n_cells
    print(f"\n== {resolution}^3 ({source}), window 1280x800, {cells} triangles in the last frame ==")
    print(f"latency slider->frame : median {statistics.median(lat):7.1f} ms   p95 {_percentile(lat, 0.95):7.1f} ms"
          f"   ({trials} single moves)")
    print(f"drag updates/s        : {rate:7.1f} frames/s   ({frames} frames for {requests} slider moves, "
          f"{generated} generations; the rest coalesced)")
    print(f"stage medians         : generate {statistics.median(gen_ms):6.1f} ms   mesh {statistics.median(mesh_ms):6.1f} ms"
          f"   upload {statistics.median(uploads):6.2f} ms   render {statistics.median(draws):6.1f} ms")
    print(f"re-adding the actor   : {rate_readd:7.1f} frames/s, upload {statistics.median(uploads_readd):6.2f} ms, "
          f"render {statistics.median(draws_readd):6.1f} ms   (in place: {statistics.median(uploads):6.2f} / "
          f"{statistics.median(draws):6.1f} ms)")
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each drag (default 5)")
    parser.add_argument("--trials", type=int, default=20, help="single slider moves for the latency (default 20)")
    parser.add_argument("--resolutions", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--random-init", action="store_true", help="ignore shipped weights")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2: the target machine)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    print(f"VoxStudio GUI benchmark: {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}")
    for resolution in args.resolutions:
        bench(resolution, args.seconds, args.trials, not args.random_init)


if __name__ == "__main__":  # the file-reader child process re-imports this module
    main()
