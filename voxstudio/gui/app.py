"""Application start-up: ``run(argv) -> int`` (used by main.py and ``voxstudio gui``).

Creates the QApplication and the window, then starts loading the model in the
background: the window is on screen before the weights are read.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

import voxstudio.gui  # noqa: F401 - pins QT_API before pyvistaqt is imported


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``python main.py`` and ``voxstudio gui``."""
    parser.add_argument("file", nargs="?", type=Path, help="voxel or mesh file to open at start-up")
    parser.add_argument("--weights", type=Path, default=None,
                        help="folder with gan.* / capsnet.* weights (default: shipped weights, or $VOXSTUDIO_WEIGHTS)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default: auto)")
    parser.add_argument("--random-init", action="store_true",
                        help="use untrained networks instead of weights (development without weights)")
    parser.add_argument("--screenshot", type=Path, default=None, metavar="PNG",
                        help="save a screenshot of the window once the first shape is shown, then quit "
                             "(start-up check of installs and bundles)")
    parser.add_argument("--startup-report", type=Path, default=None, metavar="JSON", help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voxstudio-gui", description="VoxStudio desktop application.")
    add_arguments(parser)
    return parser


def engine_factory_for(args: argparse.Namespace) -> Any:
    """The callable the worker runs to build the engine (never run on the GUI thread)."""
    from voxstudio.gui.main_window import default_engine_factory

    if not getattr(args, "random_init", False):
        return default_engine_factory(args.weights, args.device)
    device = "cpu" if args.device == "auto" else args.device

    def factory() -> Any:
        from voxstudio.models.engine import VoxelEngine

        return VoxelEngine.random_init(device=device)

    return factory


def after_thread(thread: threading.Thread, factory: Callable[[], Any]) -> Callable[[], Any]:
    """``factory`` run once ``thread`` has finished (the wait, on the worker, holds no GIL)."""

    def waiting() -> Any:
        thread.join()
        return factory()

    return waiting


def call_when_finished(thread: threading.Thread, callback: Callable[[], object], poll_ms: int = 10) -> None:
    """Run ``callback`` on the GUI thread once ``thread`` has finished (polled by a timer, never blocking)."""
    from PySide6.QtCore import QTimer

    if thread.is_alive():
        QTimer.singleShot(poll_ms, lambda: call_when_finished(thread, callback, poll_ms))
    else:
        callback()


def launch(args: argparse.Namespace, qt_argv: Sequence[str]) -> int:
    """Open the window for parsed ``args`` and run the event loop."""
    from PySide6.QtWidgets import QApplication

    from voxstudio.gui import viewport
    from voxstudio.gui.deferred_imports import defer_unused_rendering_imports
    from voxstudio.gui.main_window import MainWindow, app_icon
    from voxstudio.gui.native_preload import passive_openmp_waits, start_torch_preload
    from voxstudio.gui.settings import APPLICATION, ORGANISATION

    app = cast(QApplication, QApplication.instance()) or QApplication(list(qt_argv))  # a QApplication if any
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("VoxStudio")
    app.setWindowIcon(app_icon())
    # torch's C++ library loads on the second core while this thread builds the window
    # (native_preload). Started after the platform plugin is in: the dynamic loader's lock
    # would make this thread wait. The worker and the 3D view's import wait for it (without
    # the GIL), instead of blocking on that lock while holding the GIL.
    passive_openmp_waits()  # before torch's OpenMP runtime loads (below)
    preload = start_torch_preload()
    defer_unused_rendering_imports()  # matplotlib.pyplot, which pyvista imports but the view never uses
    # Window first: the model loads on the worker and the 3D view's libraries (pyvista,
    # VTK, matplotlib: ~0.9 s of imports) on a helper thread, both behind a visible window.
    viewport.DEFER_PLOTTER = True
    window = MainWindow(engine_factory=after_thread(preload, engine_factory_for(args)))
    window.show()
    call_when_finished(preload, window.viewport.build_plotter_soon)
    trim_memory_after_first_frame(window)
    if getattr(args, "startup_report", None) is not None:
        _report_startup_then_quit(app, window, args.startup_report)
    if getattr(args, "screenshot", None) is not None:
        _screenshot_then_quit(app, window, args.screenshot)
    if args.file is not None:
        window.open_path(args.file)
    return int(app.exec())


def _screenshot_then_quit(app: Any, window: Any, path: Path, timeout_s: float = 180.0) -> None:
    """Save a picture of the whole window once a shape is on screen, then quit.

    Exit code 0 when a shape was shown; 1 when the model failed to load or
    nothing was shown within ``timeout_s`` (the screenshot is saved anyway, to
    see why). ``grab_window_image`` paints the plotter's own render over the
    viewport, so the OpenGL view is included without reading the X screen.
    """
    from PySide6.QtCore import QTimer

    done = False

    def grab(code: int) -> None:
        nonlocal done
        if done:
            return
        done = True
        saved = window.grab_window_image().save(str(path), "PNG")
        print(f"voxstudio: screenshot {'saved to ' + str(path) if saved else 'could not be saved'}", file=sys.stderr)
        app.exit(code if saved else 1)

    window.shapeShown.connect(lambda *_: QTimer.singleShot(1500, lambda: grab(0)))
    window.engineFailed.connect(lambda *_: QTimer.singleShot(1500, lambda: grab(1)))
    QTimer.singleShot(int(timeout_s * 1000), lambda: grab(1))


def release_free_memory() -> bool:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``); False elsewhere.

    Start-up frees a lot: weights read and copied into the networks, random initial
    weights overwritten, import-time temporaries of torch and VTK, spread over the
    arenas of four threads. glibc keeps those pages resident until asked.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return False


def trim_memory_after_first_frame(window: Any) -> None:
    """Once, after the first shape is on screen (start-up's garbage is free by then)."""
    from PySide6.QtCore import QTimer

    def first(*_: object) -> None:
        window.frameShown.disconnect(first)
        QTimer.singleShot(500, release_free_memory)

    window.frameShown.connect(first)


def _report_startup_then_quit(app: Any, window: Any, path: Path, timeout_s: float = 120.0) -> None:
    """Write when the window was first painted and the first shape first drawn, then quit.

    For ``bench/bench_startup.py``: times are ``time.time()`` wall-clock stamps, so
    the parent can subtract the moment it started this process (the interpreter's
    or the bundle's own start-up included). Exit code 0 when a shape was drawn.
    """
    import json
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer

    stamps: dict[str, float] = {}

    def finish(code: int) -> None:
        if "done" in stamps:
            return
        stamps["done"] = time.time()
        path.write_text(json.dumps(stamps), encoding="utf-8")
        app.exit(code)

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint and "window" not in stamps:
                # stamped on the next turn: after this paint has been flushed to the screen
                QTimer.singleShot(0, lambda: stamps.setdefault("window", time.time()))
            return False

    spy = FirstPaint(window)
    window.installEventFilter(spy)

    def first_frame(*_: object) -> None:
        stamps.setdefault("first_shape", time.time())
        QTimer.singleShot(0, lambda: finish(0))

    window.frameShown.connect(first_frame)
    window.engineFailed.connect(lambda *_: finish(1))
    QTimer.singleShot(int(timeout_s * 1000), lambda: finish(1))


def run(argv: Sequence[str] | None = None) -> int:
    """Run the GUI until the window closes; ``argv`` is ``sys.argv``-like.

    Does not return: see :func:`quick_exit`.
    """
    argv = list(sys.argv if argv is None else argv)
    args = build_parser().parse_args([str(a) for a in argv[1:] if not str(a).startswith("-platform")])
    quick_exit(launch(args, argv[:1]))


def quick_exit(code: int) -> NoReturn:
    """End the process right after the window closed.

    Measured on Ctrl+Q with a file opened (shipped weights, CPU): the window
    closed in ~0.15 s, then the normal interpreter shut-down took ~2.3 s more --
    joining the file reader's process pool from its exit handler and tearing
    down torch, VTK and the engine's tensors one object at a time. Settings are
    already written (``closeEvent`` syncs them), the worker thread has stopped
    and exports are atomic, so nothing is lost by skipping it: kill the idle
    reader child, flush the standard streams and ``os._exit``.
    """
    import os

    from voxstudio.gui.file_loader import shutdown_shared_loader

    shutdown_shared_loader()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(int(code))
