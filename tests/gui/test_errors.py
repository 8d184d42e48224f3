"""Bad files and missing weights: a message is shown and the app keeps working."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import mesh_signature, wait_for_shape
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from voxstudio.core.io import load_voxels, save_voxels
from voxstudio.core.io.prepare import frame_grid
from voxstudio.gui.main_window import default_engine_factory

pytestmark = pytest.mark.gui


def _dismiss_error(qtbot, window) -> str:
    """Wait for the (non-blocking) error dialog, check it is shown, close it, return its text."""
    qtbot.waitUntil(lambda: window.error_dialog is not None and window.error_dialog.isVisible(), timeout=30_000)
    box = window.error_dialog
    text = box.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: window.error_dialog is None)
    return text


def _drop(window, path: Path) -> None:
    """Drag a file over the window and drop it (as a file manager would)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted(), "the window refused a local file drag"
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # QApplication.notify drops Drop events outside a real drag session, so deliver
    # it straight to the window's event handler.
    window.event(drop)
    assert drop.isAccepted()


def test_corrupt_file_shows_error_and_app_keeps_working(qtbot, tmp_path, window):
    bad = tmp_path / "broken.binvox"
    bad.write_bytes(b"#binvox 1\ndim 32 32 32\ntranslate 0 0 0\nscale 1\ndata\n\x01")  # truncated
    shown = mesh_signature(window.viewport.main_polydata)
    with qtbot.waitSignal(window.errorShown, timeout=30_000) as blocker:
        window.open_path(bad)
    title, message = blocker.args
    assert title == "Could not open file"
    assert "broken.binvox" in message
    assert _dismiss_error(qtbot, window) == message
    assert mesh_signature(window.viewport.main_polydata) == shown  # the view was left alone
    # still working: generation, then a good file
    wait_for_shape(qtbot, window, lambda: window.generate_panel.seed.setValue(3))
    assert window.current.generate.seed_a == 3
    good = tmp_path / "good.npy"
    grid = np.zeros((32, 32, 32), bool)
    grid[8:24, 8:24, 0:12] = True
    save_voxels(good, grid)
    wait_for_shape(qtbot, window, lambda: window.open_path(good))
    assert window.current.source_path == good and window.current_source == "file"


def test_unsupported_extension_is_refused_at_once(qtbot, tmp_path, window):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    window.open_path(path)
    assert "unsupported file type" in _dismiss_error(qtbot, window)


def test_dropping_a_10mb_random_file_neither_crashes_nor_freezes(qtbot, tmp_path, window):
    junk = tmp_path / "junk.stl"
    junk.write_bytes(os.urandom(10 * 1024 * 1024))
    qtbot.wait(300)  # let pending paints finish
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    start = time.perf_counter()
    with qtbot.waitSignal(window.errorShown, timeout=60_000) as blocker:
        _drop(window, junk)
    end = time.perf_counter()
    timer.stop()
    assert "junk.stl" in blocker.args[1]
    assert "junk.stl" in _dismiss_error(qtbot, window)
    # the GUI thread kept serving events while 10 MB of junk were parsed
    during = np.array([t for t in ticks if start <= t <= end])
    gaps = np.diff(np.concatenate([[start], during, [end]]))
    assert len(during) >= 0.3 * (end - start) / 0.01, f"{len(during)} ticks in {end - start:.2f} s"
    assert gaps.max() < 0.25, f"event loop stalled for {gaps.max():.2f} s while parsing"
    wait_for_shape(qtbot, window, lambda: window.generate_panel.sliders[2].set_value(1.0))


def test_drag_and_drop_opens_a_voxel_file(qtbot, tmp_path, window):
    grid = np.zeros((32, 32, 32), bool)
    grid[10:22, 12:20, 0:20] = True
    path = tmp_path / "dropped.vox"
    save_voxels(path, grid)
    wait_for_shape(qtbot, window, lambda: _drop(window, path))
    assert window.current.source_path == path
    # opened files are framed like the training data (longest side 30 of 32, centred, on the floor)
    np.testing.assert_array_equal(window.current.grid, frame_grid(grid, 32))
    assert window.viewport.main_polydata.n_cells == 2 * 2 * (18 * 12 + 18 * 30 + 12 * 30)  # a box's faces


def test_missing_weights_open_with_controls_disabled(qtbot, tmp_path, monkeypatch, make_window):
    empty = tmp_path / "no-weights"
    empty.mkdir()
    monkeypatch.setenv("VOXSTUDIO_WEIGHTS", str(empty))
    window = make_window(default_engine_factory())  # the app's real start-up path
    assert window.engine_state == "failed"
    assert window.banner.isVisible() and window.banner.level == "warning"
    assert "no weights found" in window.banner.text()
    assert "unavailable" in window.model_label.text()
    assert "weights" in window.statusBar().currentMessage().lower()
    panel = window.generate_panel
    for widget in (panel.class_combo, panel.seed, panel.random_button, panel.sliders_box, panel.animate_button):
        assert not widget.isEnabled()
    assert not window.classify_panel.classify_button.isEnabled()
    assert not window.window_actions.random_seed.isEnabled() and not window.window_actions.classify.isEnabled()
    assert window.classify_panel.open_button.isEnabled() and window.window_actions.open.isEnabled()
    # files can still be opened, viewed and exported
    grid = np.zeros((32, 32, 32), bool)
    grid[4:28, 4:28, 0:6] = True
    source = tmp_path / "slab.binvox"
    save_voxels(source, grid)
    wait_for_shape(qtbot, window, lambda: window.open_path(source))
    assert window.viewport.main_polydata.n_cells > 0
    target = tmp_path / "slab.npy"
    with qtbot.waitSignal(window.exportFinished, timeout=30_000):
        window.export_to(target)
    np.testing.assert_array_equal(load_voxels(target, resolution=32), frame_grid(grid, 32))  # as shown
    window.banner.close_button.click()
    assert not window.banner.isVisible()


def test_corrupt_weights_show_the_error(qtbot, tmp_path, monkeypatch, make_window):
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "gan.safetensors").write_bytes(b"\x00" * 64)
    (folder / "gan.json").write_text("{not json")
    monkeypatch.setenv("VOXSTUDIO_WEIGHTS", str(folder))
    window = make_window(default_engine_factory())
    assert window.engine_state == "failed"
    assert "gan" in window.engine_error
    assert not window.generate_panel.is_available()


def test_file_opened_while_the_model_loads_is_not_replaced_by_a_generated_shape(qtbot, tmp_path, make_window):
    grid = np.zeros((32, 32, 32), bool)
    grid[8:24, 8:24, 0:10] = True
    path = tmp_path / "early.npy"
    save_voxels(path, grid)
    window = make_window(wait_engine=False)
    window.open_path(path)  # like `voxstudio gui FILE`: before the engine is ready
    qtbot.waitUntil(lambda: window.engine_state == "ready", timeout=120_000)
    qtbot.waitUntil(lambda: window.last_classification is not None, timeout=60_000)
    qtbot.waitUntil(lambda: window.client.pending.pending() == 0, timeout=30_000)
    qtbot.wait(200)
    assert window.current_source == "file" and window.current.source_path == path
    assert window.client.stats["generate"] == 0 or window.current.generate is None
    np.testing.assert_array_equal(window.current.grid, frame_grid(grid, 32))


def test_failed_open_with_nothing_shown_falls_back_to_generating(qtbot, tmp_path, make_window):
    bad = tmp_path / "bad.vox"
    bad.write_bytes(b"not a vox file")
    window = make_window(wait_engine=False)
    window.open_path(bad)
    _dismiss_error(qtbot, window)
    qtbot.waitUntil(lambda: window.current is not None and window.current.generate is not None, timeout=120_000)
    assert window.current_source == "generated"
