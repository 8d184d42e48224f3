"""GUI responsiveness: slider -> rendered frame latency and updates/s (run under xvfb-run).

    xvfb-run -a python bench/bench_gui.py [--seconds 5] [--resolutions 32 64]

Drives the real window (real worker thread, real pyvistaqt viewport) with the
shipped weights when present (32^3), else ``VoxelEngine.random_init``; 64^3 always
uses a random-init engine (no shipped 64^3 weights). For each resolution it prints:

* latency: one slider move at a time, time from the slider's valueChanged to the
  frame being rendered (generation + meshing + upload + render), median / p95;
* updates/s: the slider is held down (as by the mouse) and moved on every
  event-loop turn for N seconds (a fast drag), counting frames actually rendered;
  latest-wins drops the stale requests;
* CPU per frame shown, split by thread (GUI, engine worker, llvmpipe's rasteriser
  threads, the rest) where ``/proc/self/task`` is readable;
* stage medians (generate, mesh on the worker; upload+render on the GUI thread);
* the same drag with the actor re-added each frame instead of updated in place;
* draft frames A/B: drags (A B B A) and single moves with the viewport's draft
  frames during a drag (``gui/drag_draft.py``, the app's default) and without
  (every frame at full quality).
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


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds so far of each of this process's threads, by thread name (Linux; else empty)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    totals: dict[str, float] = {}
    for task in Path("/proc/self/task").glob("*"):
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if task.name == str(os.getpid()):
            name = "GUI"
        elif name.startswith("llvmpipe"):
            name = "llvmpipe"
        elif name.startswith("voxstudio-engin"):  # the engine worker (names are cut at 15 characters)
            name = "worker"
        else:
            name = "other"
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def _drag(app, window, seconds: float, by_thread: dict[str, float] | None = None
          ) -> tuple[float, int, int, list[float], list[float], float]:
    """Hold a slider down (as the mouse does) and move it every event-loop turn.

    Returns (frames/s, frames, requests, render ms, upload ms, CPU ms per frame); the
    last is the process's CPU time (all threads: generation, meshing, rendering) per
    frame shown, which other programs' load on a shared machine hardly changes.
    ``by_thread`` gets the CPU ms per frame of each thread group (:func:`thread_cpu_s`).
    """
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
    slider.setSliderDown(True)
    threads0 = thread_cpu_s()
    start = time.perf_counter()
    cpu0 = time.process_time()
    timer.start()
    _wait(app, lambda: time.perf_counter() - start >= seconds, seconds + 5)
    timer.stop()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    frames = window.viewport.frames - frames0
    if by_thread is not None:
        for name, total in thread_cpu_s().items():
            by_thread[name] = 1000.0 * (total - threads0.get(name, 0.0)) / max(frames, 1)
    slider.setSliderDown(False)  # the release records one history step
    window.viewport.frameRendered.disconnect(draws.append)
    return (frames / elapsed, frames, requests[0], draws, list(window.viewport.upload_ms),
            1000.0 * cpu / max(frames, 1))


def _combine(runs: list) -> tuple[float, float, float]:
    """frames/s, median render ms and CPU ms per frame over several :func:`_drag` runs."""
    frames = sum(r[1] for r in runs)
    elapsed = sum(r[1] / r[0] for r in runs if r[0] > 0)
    draws = [ms for r in runs for ms in r[3]]
    cpu_ms = sum(r[5] * max(r[1], 1) for r in runs) / max(frames, 1)
    return (frames / elapsed if elapsed else 0.0, statistics.median(draws) if draws else float("nan"), cpu_ms)


def bench(resolution: int, seconds: float, trials: int, use_weights: bool) -> dict | None:
    """Measure one resolution in a real window; prints the figures and returns them."""
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
        return None
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
    drafts = getattr(window.shapes, "drafts", None)  # None: code before the draft frames (A/B runs)
    draft_frames = [0]

    def count_draft(_ms: float) -> None:
        draft_frames[0] += bool(getattr(window.viewport, "draft", False))

    window.viewport.frameRendered.connect(count_draft)
    generated0 = stats["generate"]
    by_thread: dict[str, float] = {}
    rate, frames, requests, draws, uploads, cpu_ms = _drag(app, window, seconds, by_thread)
    generated = stats["generate"] - generated0
    window.shapeShown.disconnect(record)
    window.viewport.frameRendered.disconnect(count_draft)

    window.viewport.in_place = False
    rate_readd, _, _, draws_readd, uploads_readd, _ = _drag(app, window, seconds)
    window.viewport.in_place = True

    # The viewport's blit against pyvistaqt's own (colour-masked alpha clear after every frame),
    # in the order A B B A so that background work (warm-ups, other programs) weighs on both alike.
    plotter = window.viewport.plotter
    opaque = getattr(plotter, "opaque_frames", False)
    pair: dict[bool, list] = {True: [], False: []}
    for flag in (True, False, False, True):
        plotter.opaque_frames = flag and opaque
        pair[flag].append(_drag(app, window, seconds / 2))
    plotter.opaque_frames = opaque
    (rate_opaque, render_opaque, cpu_ms_opaque), (rate_clear, render_clear, cpu_ms_clear) = (
        _combine(pair[True]), _combine(pair[False]))

    # Draft frames during a drag (the app's default) against full quality throughout, A B B A.
    drafted: dict[bool, list] = {True: [], False: []}
    lat_ab: dict[bool, list[float]] = {True: [], False: []}
    for flag in (True, False, False, True) if drafts is not None else ():
        drafts.enabled = flag
        drafts.settle()
        _wait(app, lambda: False, 0.3)
        drafted[flag].append(_drag(app, window, seconds / 2))
        drafts.settle()
        lat_ab[flag] += _latency(app, window, max(3, trials // 2))
    if drafts is not None:
        drafts.enabled = True
    (rate_draft, render_draft, cpu_ms_draft), (rate_full, render_full, cpu_ms_full) = (
        _combine(drafted[True]) if drafted[True] else (float("nan"),) * 3,
        _combine(drafted[False]) if drafted[False] else (float("nan"),) * 3)

    cells = window.viewport.main_polydata.n_cells
    figures = {
        "resolution": resolution,
        "engine": source,
        "triangles": cells,
        "window": "1280x800",
        "trials": trials,
        "seconds": seconds,
        "latency_median_ms": statistics.median(lat),
        "latency_p95_ms": _percentile(lat, 0.95),
        "updates_per_s": rate,
        "frames": frames,
        "slider_moves": requests,
        "generations": generated,
        "generate_ms": statistics.median(gen_ms),
        "mesh_ms": statistics.median(mesh_ms),
        "upload_ms": statistics.median(uploads) if uploads else float("nan"),
        "render_ms": statistics.median(draws) if draws else float("nan"),
        "readd_updates_per_s": rate_readd,
        "readd_upload_ms": statistics.median(uploads_readd) if uploads_readd else float("nan"),
        "readd_render_ms": statistics.median(draws_readd) if draws_readd else float("nan"),
        "cpu_ms_per_frame": cpu_ms,
        "opaque_updates_per_s": rate_opaque,
        "opaque_render_ms": render_opaque,
        "opaque_cpu_ms_per_frame": cpu_ms_opaque,
        "alpha_clear_updates_per_s": rate_clear,
        "alpha_clear_render_ms": render_clear,
        "alpha_clear_cpu_ms_per_frame": cpu_ms_clear,
        "draft_frames": draft_frames[0],
        "draft_ab_frames": sum(r[1] for runs in drafted.values() for r in runs),
        "draft_updates_per_s": rate_draft,
        "draft_render_ms": render_draft,
        "draft_cpu_ms_per_frame": cpu_ms_draft,
        "draft_latency_median_ms": statistics.median(lat_ab[True]) if lat_ab[True] else float("nan"),
        "full_updates_per_s": rate_full,
        "full_render_ms": render_full,
        "full_cpu_ms_per_frame": cpu_ms_full,
        "full_latency_median_ms": statistics.median(lat_ab[False]) if lat_ab[False] else float("nan"),
        "cpu_ms_per_frame_by_thread": by_thread,
    }
    f = figures
    print(f"\n== {resolution}^3 ({source}), window 1280x800, {cells} triangles in the last frame ==")
    print(f"latency slider->frame : median {f['latency_median_ms']:7.1f} ms   p95 {f['latency_p95_ms']:7.1f} ms"
          f"   ({trials} single moves)")
    print(f"drag updates/s        : {rate:7.1f} frames/s   ({frames} frames for {requests} slider moves, "
          f"{generated} generations; the rest coalesced; {draft_frames[0]} draft frames)")
    print(f"stage medians         : generate {f['generate_ms']:6.1f} ms   mesh {f['mesh_ms']:6.1f} ms"
          f"   upload {f['upload_ms']:6.2f} ms   render {f['render_ms']:6.1f} ms")
    print(f"re-adding the actor   : {rate_readd:7.1f} frames/s, upload {f['readd_upload_ms']:6.2f} ms, "
          f"render {f['readd_render_ms']:6.1f} ms   (in place: {f['upload_ms']:6.2f} / {f['render_ms']:6.1f} ms)")
    split = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(by_thread.items(), key=lambda kv: -kv[1]))
    print(f"CPU per frame shown   : {cpu_ms:6.1f} ms (all threads{': ' + split if split else ''})")
    print(f"blit A/B (A B B A)    : viewport's {rate_opaque:5.1f} frames/s, render {render_opaque:5.1f} ms, "
          f"CPU {cpu_ms_opaque:5.1f} ms/frame;  pyvistaqt's alpha clear {rate_clear:5.1f} frames/s, "
          f"render {render_clear:5.1f} ms, CPU {cpu_ms_clear:5.1f} ms/frame")
    if drafts is not None:
        print(f"drafts A/B (A B B A)  : draft frames {rate_draft:5.1f} frames/s, render {render_draft:5.1f} ms, "
              f"CPU {cpu_ms_draft:5.1f} ms/frame, latency {f['draft_latency_median_ms']:5.1f} ms;  full quality "
              f"{rate_full:5.1f} frames/s, render {render_full:5.1f} ms, CPU {cpu_ms_full:5.1f} ms/frame, "
              f"latency {f['full_latency_median_ms']:5.1f} ms")
    window.close()
    return figures


def run(quick: bool = False) -> list:
    """Figures for bench/run.py; measured in a child process (own QApplication, Xvfb if needed)."""

    from common import GUI, Result, run_json_child, skipped

    args = ["--seconds", "2" if quick else "5", "--trials", "5" if quick else "20",
            *(["--resolutions", "32"] if quick else [])]
    try:
        data = run_json_child(Path(__file__).resolve(), args)
    except FileNotFoundError as error:
        return [skipped(GUI, "slider->frame latency", "ms", str(error))]
    results = []
    for f in data:
        r = f["resolution"]
        params = {k: f[k] for k in ("engine", "triangles", "window", "generate_ms", "mesh_ms")}
        results += [
            Result(GUI, f"slider->frame latency {r}^3 (median)", f["latency_median_ms"], "ms", runs=f["trials"],
                   note="target <= 16 ms at 32^3" if r == 32 else "", params=params),
            Result(GUI, f"slider->frame latency {r}^3 (p95)", f["latency_p95_ms"], "ms", runs=f["trials"], params=params),
            Result(GUI, f"slider drag {r}^3", f["updates_per_s"], "frames/s", runs=f["frames"],
                   reference="actor re-added per frame", reference_value=f["readd_updates_per_s"],
                   note="target >= 60 frames/s at 32^3" if r == 32 else "target >= 30 frames/s at 64^3",
                   params=params),
            Result(GUI, f"mesh upload per frame {r}^3 (in place)", f["upload_ms"], "ms", runs=f["frames"],
                   reference="actor re-added per frame", reference_value=f["readd_upload_ms"], params=params),
            Result(GUI, f"render per frame {r}^3", f["render_ms"], "ms", runs=f["frames"], params=params),
            Result(GUI, f"CPU time per frame shown {r}^3 (all threads)", f["cpu_ms_per_frame"], "ms",
                   runs=f["frames"], note="cost of a drag frame (generation + meshing + upload + render), "
                   "little changed by other programs' load", params=params),
            Result(GUI, f"render per frame {r}^3, viewport blit (A/B)", f["opaque_render_ms"], "ms",
                   runs=f["frames"], reference="pyvistaqt blit with alpha clear",
                   reference_value=f["alpha_clear_render_ms"], note="drags in the order A B B A", params=params),
            Result(GUI, f"CPU time per frame shown {r}^3, viewport blit (A/B)", f["opaque_cpu_ms_per_frame"], "ms",
                   runs=f["frames"], reference="pyvistaqt blit with alpha clear",
                   reference_value=f["alpha_clear_cpu_ms_per_frame"], params=params),
        ]
        by_thread = f.get("cpu_ms_per_frame_by_thread") or {}
        if by_thread:
            split = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(by_thread.items(), key=lambda kv: -kv[1]))
            results.append(Result(GUI, f"CPU time per frame shown {r}^3, by thread", sum(by_thread.values()), "ms",
                                  runs=f["frames"], note=split, params=params))
        if f.get("draft_updates_per_s") == f.get("draft_updates_per_s"):  # not NaN: the app has draft frames
            results += [
                Result(GUI, f"slider drag {r}^3, draft frames (A/B)", f["draft_updates_per_s"], "frames/s",
                       runs=f.get("draft_ab_frames", f["frames"]), reference="full quality every frame", reference_value=f["full_updates_per_s"],
                       note="drags in the order A B B A", params=params),
                Result(GUI, f"CPU time per frame shown {r}^3, draft frames (A/B)", f["draft_cpu_ms_per_frame"], "ms",
                       runs=f.get("draft_ab_frames", f["frames"]), reference="full quality every frame",
                       reference_value=f["full_cpu_ms_per_frame"], params=params),
                Result(GUI, f"slider->frame latency {r}^3 (median), draft frames (A/B)",
                       f["draft_latency_median_ms"], "ms", runs=f["trials"], reference="full quality every frame",
                       reference_value=f["full_latency_median_ms"], params=params),
            ]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each drag (default 5)")
    parser.add_argument("--trials", type=int, default=20, help="single slider moves for the latency (default 20)")
    parser.add_argument("--resolutions", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--random-init", action="store_true", help="ignore shipped weights")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: the app's choice, all cores but one)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.threads is not None:  # read by the worker when it loads the engine
        os.environ["VOXSTUDIO_TORCH_THREADS"] = str(args.threads)
    from voxstudio.gui.worker import torch_threads

    print(f"VoxStudio GUI benchmark: {os.cpu_count()} CPUs, torch threads {torch_threads()}")
    figures = [f for f in (bench(r, args.seconds, args.trials, not args.random_init) for r in args.resolutions) if f]
    if args.json is not None:
        import json

        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":  # the file-reader child process re-imports this module
    main()
