"""Peak memory of the real application: idle after start-up, and while generating.

    python bench/bench_memory.py [--runs 3] [--steps 40] [--random-init]

Each measurement is a fresh child process (memory high-water marks only go
up, so a process can be measured once): the child builds the real
``MainWindow`` (pyvistaqt viewport, worker thread, engine loaded the way the
app loads it), waits until the first shape is on screen and the event loop is
quiet, reads ``VmRSS`` / ``VmHWM`` from ``/proc/self/status`` ("idle"), then
moves the seed and a latent slider ``--steps`` times, waiting for every frame,
and reads ``VmHWM`` again ("while generating").  A second child does the same
with the engine alone (no Qt), which shows what the GUI adds.

Without a display the GUI child runs under ``xvfb-run -a`` (Mesa llvmpipe);
without either, the GUI rows are skipped.  The shipped weights are used when
``weights/gan.safetensors`` exists, else untrained networks of the shipped
architecture (``--random-init``): memory depends on the architecture, not on
the weight values.  ``run(quick)`` returns :class:`common.Result` rows (median
over the child runs) for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import MEMORY, Result, display_prefix, skipped

HERE = Path(__file__).resolve()
MARKER = "VOXSTUDIO_MEMORY_RESULT "


def read_status_mb() -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak so far) of this process, in MB; ru_maxrss where /proc is absent."""
    values: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) / 1024.0  # kB -> MiB
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        values["VmHWM"] = peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)
        values["VmRSS"] = float("nan")
    return values


# Where resident memory sits, by the file a mapping comes from (first match wins).
# Anonymous memory ([heap], unnamed mappings) is everything allocated at run time:
# tensors and weights, Python objects, VTK / Qt / Mesa buffers, thread arenas.
RSS_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("torch (libraries)", ("/torch/", "libgomp", "libtorch")),
    ("VTK (libraries)", ("/vtkmodules/", "libvtk")),
    ("Qt (libraries)", ("/PySide6/", "/shiboken6/", "libQt6", "libicu")),
    ("Mesa / LLVM (software GL)", ("libLLVM", "swrast", "libgallium", "dri", "libGL", "libEGL", "libglapi")),
    ("numpy / scipy / others (libraries)", (".so",)),
    ("Python code and other files", ("/",)),
)


def rss_breakdown_mb() -> dict[str, float]:
    """Resident MB of this process by :data:`RSS_GROUPS` plus "anonymous (heap, tensors, buffers)"."""
    totals: dict[str, float] = {name: 0.0 for name, _ in RSS_GROUPS}
    totals["anonymous (heap, tensors, buffers)"] = 0.0
    try:
        with open("/proc/self/smaps", encoding="utf-8", errors="replace") as handle:
            current = "anonymous (heap, tensors, buffers)"
            for line in handle:
                first = line.split(None, 1)[0]
                if not first.endswith(":"):  # a mapping's header: "start-end perms offset dev inode path"
                    parts = line.split()
                    path = parts[5] if len(parts) > 5 else ""
                    current = "anonymous (heap, tensors, buffers)"
                    if path.startswith("/"):
                        current = next(name for name, keys in RSS_GROUPS if any(k in path for k in keys))
                elif first == "Rss:":
                    totals[current] += int(line.split()[1]) / 1024.0
    except OSError:
        return {}
    return totals


# --------------------------------------------------------------------------- children


def _engine(random_init: bool) -> Any:
    from voxstudio.models.engine import VoxelEngine

    return VoxelEngine.random_init(device="cpu") if random_init else VoxelEngine.load(device="cpu")


def child_engine(random_init: bool, steps: int) -> dict[str, Any]:
    """Engine alone: load, one shape (idle), then ``steps`` generate + mesh calls like the GUI does."""
    import numpy as np
    import torch

    from voxstudio.core.meshing import blocky_mesh

    torch.set_num_threads(2)
    engine = _engine(random_init)
    z = engine.latent_for_seed(0)
    blocky_mesh(engine.generate(z, 0) > 0.5)
    time.sleep(0.5)
    idle = read_status_mb()
    where = rss_breakdown_mb()
    values = np.zeros(len(engine.directions), dtype=np.float32)
    for step in range(steps):
        values[step % len(values)] = ((step % 7) - 3) / 3.0
        class_id = step % len(engine.classes)
        grid = engine.generate(engine.latent_for_seed(step), class_id, offset=engine.slider_offset(values))
        blocky_mesh(grid > 0.5)
    return {"idle_rss": idle["VmRSS"], "startup_hwm": idle["VmHWM"], "generating_hwm": read_status_mb()["VmHWM"],
            "steps": steps, "where": where}


def _wait(app: Any, predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        app.processEvents()
        time.sleep(0.005)


def child_gui(random_init: bool, steps: int) -> dict[str, Any]:
    """The real window: engine on the worker, frames rendered by the pyvistaqt viewport."""
    from PySide6.QtWidgets import QApplication

    import voxstudio.gui  # noqa: F401 - pins QT_API before pyvistaqt is imported
    from voxstudio.gui.app import build_parser, engine_factory_for, trim_memory_after_first_frame
    from voxstudio.gui.main_window import MainWindow
    from voxstudio.gui.settings import AppSettings

    app = QApplication.instance() or QApplication([sys.argv[0]])
    args = build_parser().parse_args(["--device", "cpu"] + (["--random-init"] if random_init else []))
    with tempfile.TemporaryDirectory() as tmp:  # never touch the user's settings
        window = MainWindow(engine_factory_for(args), AppSettings.from_file(Path(tmp) / "settings.ini"))
        window.resize(1280, 800)
        window.show()
        trim_memory_after_first_frame(window)  # as app.launch does
        _wait(app, lambda: window.engine_state != "loading", 300, "the engine")
        if window.engine_state != "ready":
            raise RuntimeError(f"engine failed to load: {window.engine_error}")
        _wait(app, lambda: window.current is not None, 120, "the first shape")
        settle = time.monotonic() + 1.0
        _wait(app, lambda: time.monotonic() > settle, 5, "idle")
        idle = read_status_mb()
        where = rss_breakdown_mb()
        panel = window.generate_panel
        for step in range(steps):
            if step % 2:
                panel.sliders[step % len(panel.sliders)].set_value(((step % 7) - 3) / 3.0)
            else:
                panel.seed.setValue(step + 1)
            target = window.latest_request_seq()
            _wait(app, lambda: window.shown_seq("main") >= target, 120, f"frame {step}")
        generating = read_status_mb()
        latencies = list(window.latencies_ms)
        window.close()
        app.processEvents()
    return {"idle_rss": idle["VmRSS"], "startup_hwm": idle["VmHWM"], "generating_hwm": generating["VmHWM"],
            "steps": steps, "frame_latency_ms_median": statistics.median(latencies) if latencies else None,
            "where": where}


# --------------------------------------------------------------------------- parent


def use_random_init() -> bool:
    """Untrained networks unless the shipped generator weights are present."""
    from voxstudio.models.weights import weights_exist
    from voxstudio.paths import weights_dir

    return not weights_exist(Path(weights_dir()) / "gan")


def measure_child(kind: str, random_init: bool, steps: int, timeout: float = 600) -> dict[str, Any]:
    """Run one child process and return its figures (raises RuntimeError with its output on failure)."""
    prefix: list[str] = []
    if kind == "gui":
        found = display_prefix()
        if found is None:
            raise FileNotFoundError("no display and no xvfb-run")
        prefix = found
    command = prefix + [sys.executable, str(HERE), "--child", kind, "--steps", str(steps)]
    if random_init:
        command.append("--random-init")
    env = dict(os.environ, QT_API="pyside6", PYTHONUNBUFFERED="1")
    env.pop("QT_QPA_PLATFORM", None)  # the VTK viewport needs a real (virtual) X window
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    raise RuntimeError(f"{kind} memory child failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def run(
    quick: bool = False, runs: int | None = None, steps: int | None = None, random_init: bool | None = None
) -> list[Result]:
    """Median over ``runs`` fresh processes of each kind (quick: 1 run, 6 steps)."""
    runs = runs or (1 if quick else 3)
    steps = steps or (6 if quick else 40)
    random_init = use_random_init() if random_init is None else random_init
    weights_note = "untrained weights (shipped architecture)" if random_init else "shipped weights"
    results: list[Result] = []
    labels = {"gui": "app (MainWindow + viewport, CPU)", "engine": "engine only, no GUI (CPU)"}
    for kind in ("gui", "engine"):
        try:
            rows = [measure_child(kind, random_init, steps) for _ in range(runs)]
        except FileNotFoundError as error:
            for name in ("idle", "peak while generating"):
                results.append(skipped(MEMORY, f"{labels[kind]}: {name}", "MB", str(error)))
            continue
        note = f"{weights_note}; {steps} frames"
        results += [
            Result(MEMORY, f"{labels[kind]}: idle RSS after start-up", _median(rows, "idle_rss"), "MB", runs=runs,
                   note=weights_note),
            Result(MEMORY, f"{labels[kind]}: peak (VmHWM) at idle", _median(rows, "startup_hwm"), "MB", runs=runs,
                   note=weights_note),
            Result(MEMORY, f"{labels[kind]}: peak (VmHWM) while generating", _median(rows, "generating_hwm"), "MB",
                   runs=runs, note=note),
        ]
        if kind == "gui":
            target = "target <= 450 MB"
            results[-3].note = f"{weights_note}; {target}"
        for group in rows[0].get("where", {}):
            if not any(row["where"][group] > 0 for row in rows):
                continue  # e.g. no VTK, Qt or Mesa in the engine-only process
            results.append(Result(MEMORY, f"{labels[kind]}: idle RSS in {group}",
                                  statistics.median(row["where"][group] for row in rows), "MB", runs=runs,
                                  note="by mapping, /proc/self/smaps"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per figure (default 3)")
    parser.add_argument("--steps", type=int, default=40, help="frames generated while measuring (default 40)")
    parser.add_argument("--child", choices=("gui", "engine"), help=argparse.SUPPRESS)
    parser.add_argument("--random-init", action="store_true", help="untrained networks instead of the shipped weights")
    args = parser.parse_args()
    if args.child:
        figures = (child_gui if args.child == "gui" else child_engine)(args.random_init, args.steps)
        print(MARKER + json.dumps(figures), flush=True)
        return
    for r in run(runs=args.runs, steps=args.steps, random_init=args.random_init or None):
        value = "n/a" if r.value is None else f"{r.value:8.1f} MB"
        print(f"{r.name:<58} {value}  {r.note}")


if __name__ == "__main__":
    main()
