"""Fixtures for the GUI tests: a display, isolated settings, the real window.

The tests drive the real ``MainWindow`` (pyvistaqt viewport, worker thread) with a
real engine: ``VoxelEngine.random_init`` at 32^3, built once per session *on the
worker thread* (like the app does) and then reused by every window.

Display: run under ``xvfb-run -a``. Without a DISPLAY, an ``Xvfb`` server is
started here if the binary exists, so ``python -m pytest tests/gui`` also works.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import shared_engine

os.environ.setdefault("QT_API", "pyside6")
if os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
    # The VTK viewport needs a real X window: "offscreen"/"minimal" platforms crash it.
    os.environ["QT_QPA_PLATFORM"] = "xcb"


def _start_xvfb() -> None:
    """Start a private Xvfb when there is no display (CI runs us under xvfb-run anyway)."""
    if os.environ.get("DISPLAY") or shutil.which("Xvfb") is None:
        return
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        process.terminate()
        return
    os.environ["DISPLAY"] = f":{number}"
    atexit.register(process.terminate)


_start_xvfb()
HAVE_DISPLAY = bool(os.environ.get("DISPLAY"))


@pytest.fixture(autouse=True)
def _require_display() -> None:
    if not HAVE_DISPLAY:
        pytest.skip("GUI tests need an X display: run them under `xvfb-run -a` (or install Xvfb)")


@pytest.fixture(scope="session", autouse=True)
def _isolated_qsettings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point every QSettings at a temporary folder so no test touches the user's."""
    if not HAVE_DISPLAY:
        yield Path()
        return
    from PySide6.QtCore import QCoreApplication, QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
        QSettings.setPath(QSettings.Format.NativeFormat, scope, str(folder))
    QCoreApplication.setOrganizationName("VoxStudioTests")
    QCoreApplication.setApplicationName("VoxStudioTests")
    yield folder


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "voxstudio-settings.ini"


@pytest.fixture
def make_window(qtbot: Any, settings_path: Path) -> Callable[..., Any]:
    """Factory for real, shown windows; closed (worker stopped) at teardown."""
    from voxstudio.gui.main_window import MainWindow
    from voxstudio.gui.settings import AppSettings

    def make(
        factory: Callable[[], Any] | None = shared_engine,
        settings: Path | None = None,
        wait_engine: bool = True,
        wait_shape: bool = True,
        size: tuple[int, int] | None = (1280, 800),
    ) -> MainWindow:
        window = MainWindow(factory, AppSettings.from_file(settings or settings_path))
        qtbot.addWidget(window)
        if size is not None:
            window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        if factory is not None and wait_engine:
            qtbot.waitUntil(lambda: window.engine_state != "loading", timeout=120_000)
            if wait_shape and window.engine_state == "ready" and window.engine_info.has_generator:
                qtbot.waitUntil(lambda: window.current is not None, timeout=30_000)
        return window

    return make


@pytest.fixture
def window(make_window: Callable[..., Any]) -> Any:
    """A window with the shared engine loaded and its first shape on screen."""
    return make_window()
