"""Start-up: the GUI path imports no torch / pyvista before the window, and a deferred 3D view works.

``app.launch`` shows the window before the rendering stack (pyvista, VTK, matplotlib)
is imported and before the model is loaded: the viewport stands in with a placeholder
and builds its VTK view once a helper thread has imported the libraries.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

HEAVY = ("torch", "pyvista", "pyvistaqt", "vtkmodules", "matplotlib", "scipy")


def test_gui_modules_import_no_heavy_library() -> None:
    """What ``python main.py`` imports before it shows the window (fresh interpreter)."""
    code = (
        "import sys, voxstudio.launcher, voxstudio.gui.app, voxstudio.gui.main_window, voxstudio.gui.viewport\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]", f"imported before the window: {done.stdout.strip()}"


def test_first_shape_path_imports_no_scipy() -> None:
    """Loading the shipped engine, generating and meshing the first shape need no scipy (~0.3 s).

    The readers, the export and the clean-up import scipy where they use it; the first
    shape after start-up (GIL-serialised beside torch and pyvista) does not pay for it.
    """
    code = (
        "import sys\n"
        "import voxstudio.gui.main_window, voxstudio.gui.worker, voxstudio.gui.surface\n"
        "from voxstudio.gui.requests import ViewParams\n"
        "from voxstudio.models.engine import VoxelEngine\n"
        "engine = VoxelEngine.load(device='cpu')\n"
        "grid = engine.generate(engine.latent_for_seed(0), 0)\n"
        "poly = voxstudio.gui.surface.grid_to_polydata(grid, ViewParams())\n"
        "print(poly.n_cells > 0, 'scipy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True)
    assert done.stdout.split() == ["True", "False"], done.stdout + done.stderr[-2000:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the preload is Linux-only (a no-op elsewhere)")
def test_torch_preload_loads_the_library_without_importing_torch() -> None:
    """The preload maps libtorch_cpu without running torch's Python code; ``import torch`` then works."""
    code = (
        "import sys\n"
        "from voxstudio.gui import native_preload\n"
        "loaded = native_preload.preload_torch_libraries()\n"
        "maps = open('/proc/self/maps').read()\n"
        "print([p.name for p in loaded], 'torch' in sys.modules, 'libtorch_cpu.so' in maps)\n"
        "import torch\n"
        "print(float(torch.ones(3).sum()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True)
    assert done.stdout.splitlines() == ["['libtorch_cpu.so'] False True", "3.0"], done.stdout + done.stderr[-2000:]


def test_torch_preload_does_nothing_once_torch_is_imported() -> None:
    import torch  # noqa: F401 - the state under test

    from voxstudio.gui import native_preload

    assert native_preload.preload_torch_libraries() == []


def test_openmp_waits_passive_unless_the_user_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from voxstudio.gui.native_preload import passive_openmp_waits

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert passive_openmp_waits() is True and os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert passive_openmp_waits() is False and os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_engine_factory_waits_for_the_preload() -> None:
    """The worker's factory runs only after the preload thread has finished."""
    import threading

    from voxstudio.gui.app import after_thread

    release, finished = threading.Event(), threading.Event()

    def preload() -> None:
        release.wait(10)
        finished.set()

    thread = threading.Thread(target=preload)
    thread.start()
    factory = after_thread(thread, finished.is_set)
    results: list[bool] = []
    runner = threading.Thread(target=lambda: results.append(factory()))
    runner.start()
    runner.join(0.2)
    assert runner.is_alive() and not results  # still waiting for the preload
    release.set()
    runner.join(10)
    assert results == [True]


def test_call_when_finished_runs_on_the_gui_thread_after_the_thread(qtbot: Any) -> None:
    import threading

    from voxstudio.gui.app import call_when_finished

    release = threading.Event()
    thread = threading.Thread(target=lambda: release.wait(10))
    thread.start()
    calls: list[threading.Thread] = []
    call_when_finished(thread, lambda: calls.append(threading.current_thread()))
    qtbot.wait(100)
    assert calls == []
    release.set()
    qtbot.waitUntil(lambda: calls != [], timeout=5_000)
    assert calls == [threading.main_thread()]


def test_file_reader_starts_after_the_first_frame_not_at_engine_load(
    qtbot: Any, make_window: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader child's start-up (~0.3 s CPU) no longer competes with the first shape."""
    from gui_helpers import shared_engine

    from voxstudio.gui.file_loader import FileLoader
    from voxstudio.gui.requests import LoadEngineRequest
    from voxstudio.gui.worker import EngineClient

    client = EngineClient()
    client.worker.files = FileLoader()  # its own, unstarted reader
    loaded: list[object] = []
    client.engineLoaded.connect(loaded.append)
    try:
        client.submit_unique("engine", LoadEngineRequest(shared_engine))
        qtbot.waitUntil(lambda: loaded != [], timeout=120_000)
        assert client.worker.files._pool is None  # loading the engine started no reader
        submitted = client.pending.submitted
        client.warm_up_files()
        client.warm_up_files()  # once only
        assert client.pending.submitted == submitted + 1
        qtbot.waitUntil(lambda: client.worker.files._pool is not None, timeout=30_000)
    finally:
        client.shutdown()
        client.worker.files.shutdown(terminate=True)

    painted_before: list[int] = []
    monkeypatch.setattr(EngineClient, "warm_up_files",
                        lambda self: painted_before.append(self.parent().session.painted_seq()))
    make_window()
    qtbot.waitUntil(lambda: painted_before != [], timeout=30_000)
    assert len(painted_before) == 1 and painted_before[0] >= 1  # asked for once, after a frame


@pytest.fixture
def deferred() -> Iterator[None]:
    from voxstudio.gui import viewport

    viewport.DEFER_PLOTTER = True
    try:
        yield
    finally:
        viewport.DEFER_PLOTTER = False


def test_deferred_view_keeps_the_settings_made_before_it_exists(
    deferred: None, make_window: Callable[..., Any], qtbot: Any
) -> None:
    window = make_window(wait_engine=False)
    view = window.viewport
    assert not view.ready and view.plotter is None
    assert view.findChild(type(view._placeholder)).text().startswith("Loading the 3D view")
    view.set_bounds_visible(False)
    view.set_material_colour("#ff0000")
    view.set_colour_mode("material")
    view.set_split(True)
    view.build_plotter_soon()
    qtbot.waitUntil(lambda: view.ready, timeout=60_000)
    assert view._placeholder is None
    assert all(not v.bounds_actor.visibility for v in view.views)
    assert all(not v.mapper.GetScalarVisibility() for v in view.views)
    assert np.allclose(view.views[0].actor.prop.color.float_rgb, (1.0, 0.0, 0.0))
    assert view.plotter.ren_win.HasRenderer(view.plotter.renderers[1])  # split applied
    qtbot.waitUntil(lambda: window.engine_state == "ready" and window.current is not None, timeout=120_000)
    qtbot.waitUntil(lambda: window.painted_seq() >= window.shown_seq("main"), timeout=30_000)
    assert view.main_polydata.n_cells > 0 and view.frames > 0


def test_a_shape_arriving_before_the_view_builds_it(
    deferred: None, make_window: Callable[..., Any], qtbot: Any
) -> None:
    """No preloading asked for: the first mesh builds the view on the spot and is shown."""
    window = make_window()  # waits for the engine and the first shape
    view = window.viewport
    assert view.ready and view.main_polydata.n_cells > 0
    qtbot.waitUntil(lambda: view.frames > 0, timeout=30_000)
