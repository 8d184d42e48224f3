"""Sculpt and snap in the real window: picks edit voxels, undo/redo, Snap on the worker, before / after."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import SlowInversionEngine, mesh_signature, shared_engine
from PySide6.QtCore import QElapsedTimer, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtTest import QTest

from voxstudio.gui.inversion import voxel_iou
from voxstudio.gui.sculpt import SculptController

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]
DOCS_IMAGE = REPO / "docs" / "images" / "sculpt_snap.png"


def _tool(window: Any) -> SculptController:
    tool = getattr(window, "sculpt", None)
    assert isinstance(tool, SculptController), "the window has no sculpt tool"
    return tool


def _settle(qtbot: Any, window: Any) -> None:
    """Until the newest main-view request is on screen (start-up may send more than one)."""
    session = window.session
    qtbot.waitUntil(lambda: session.shown_seq("main") >= session.latest_request_seq()
                    and session.painted_seq() >= session.shown_seq("main"), timeout=30_000)
    qtbot.wait(100)
    qtbot.waitUntil(lambda: session.shown_seq("main") >= session.latest_request_seq(), timeout=30_000)


def _enter(qtbot: Any, window: Any) -> SculptController:
    _settle(qtbot, window)
    tool = _tool(window)
    assert tool.action.shortcut().toString() == "E" and tool.action.isEnabled()
    tool.action.trigger()
    assert tool.active and tool.action.isChecked() and tool.toolbar.isVisible()
    assert tool.model is not None
    return tool


def _wait_shown(qtbot: Any, window: Any, tool: SculptController) -> None:
    """Until the main view's shape is the sculpted grid (meshed on the worker, uploaded)."""
    def shown() -> bool:
        current = window.session.current
        if current is None or tool.model is None:
            return False
        grid = np.asarray(current.grid)
        occupancy = grid if grid.dtype == bool else grid >= window.session.view.threshold
        return bool(np.array_equal(occupancy, tool.model.grid))

    qtbot.waitUntil(shown, timeout=30_000)


def _top_voxel(grid: np.ndarray) -> tuple[int, int, int]:
    """A voxel of the highest occupied layer (its top face is visible from the default camera)."""
    cells = np.argwhere(grid)
    k = int(cells[:, 2].max())
    assert k + 1 < grid.shape[2], "no room above the shape"
    top = cells[cells[:, 2] == k]
    # prefer one inside a flat patch of the top layer: a pixel off still lands on that layer
    flat = [c for c in top if grid[c[0] - 1:c[0] + 2, c[1] - 1:c[1] + 2, k].all()
            and not grid[c[0] - 1:c[0] + 2, c[1] - 1:c[1] + 2, k + 1:].any()]
    i, j, _ = (flat or list(top))[len(flat or top) // 2]
    return int(i), int(j), k


def _display_point(window: Any, world: tuple[float, float, float]) -> QPoint:
    """Qt widget position of a world point in the main view (VTK display y is flipped)."""
    renderer = window.viewport.plotter.renderers[0]
    renderer.SetWorldPoint(*world, 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    plotter = window.viewport.plotter
    ratio = plotter.devicePixelRatioF()
    height = plotter.height() * ratio
    return QPoint(round(x / ratio), round((height - 1 - y) / ratio))  # as QVTK's SetEventInformationFlipY


def test_pick_adds_the_voxel_beyond_and_shift_removes_it_with_undo(qtbot, window):
    shortcuts = {action: action.shortcut().toString() for action in window.findChildren(QAction)}
    assert [keys for keys in shortcuts.values() if keys == "E"] == ["E"]  # the Sculpt key is no one else's
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions() if a.menu() is not None}
    assert _tool(window).action in menus["Sculpt"].actions() and _tool(window).action in window.toolbar.actions()
    dialog = window.show_shortcuts()  # Help > Keyboard shortcuts lists the Sculpt key
    assert ("Sculpt", "E") in dialog.rows()
    dialog.close()
    tool = _enter(qtbot, window)
    for action, keys in shortcuts.items():  # while sculpting, Ctrl+Z / Ctrl+Shift+Z are the sculpt tool's
        if keys in ("Ctrl+Z", "Ctrl+Shift+Z"):
            assert action.shortcut().isEmpty() or action in (tool.undo_action, tool.redo_action)
    smooth = window.window_actions.smooth
    assert not smooth.isChecked() and not smooth.isEnabled()  # voxel blocks while sculpting
    start = tool.model.grid
    i, j, k = _top_voxel(start)
    signature = mesh_signature(window.viewport.main_polydata)

    edit = tool.apply_pick((i + 0.5, j + 0.5, k + 1.0), (0.0, 0.0, 1.0))  # the top face of (i, j, k)
    assert edit is not None and edit.cells.tolist() == [[i, j, k + 1]]
    _wait_shown(qtbot, window, tool)
    assert window.session.current.grid[i, j, k + 1]
    qtbot.waitUntil(lambda: mesh_signature(window.viewport.main_polydata) != signature, timeout=10_000)
    assert "sculpted (1 voxels changed)" in window.viewport.caption()

    edit = tool.apply_pick((i + 0.5, j + 0.5, k + 2.0), (0.0, 0.0, 1.0), remove=True)  # shift-click on it
    assert edit is not None and edit.cells.tolist() == [[i, j, k + 1]] and not edit.add
    _wait_shown(qtbot, window, tool)
    np.testing.assert_array_equal(window.session.current.grid, start)
    qtbot.waitUntil(lambda: mesh_signature(window.viewport.main_polydata) == signature, timeout=10_000)

    # Ctrl+Z / Ctrl+Shift+Z step through the voxel edits while sculpting
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _wait_shown(qtbot, window, tool)
    assert tool.model.occupied((i, j, k + 1))
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    _wait_shown(qtbot, window, tool)
    assert not tool.model.occupied((i, j, k + 1))
    assert tool.toolbar.undo_button.isEnabled() and not tool.toolbar.redo_button.isEnabled()

    # brush 2: a 3x3x3 cube around the voxel beyond the face
    tool.toolbar.brush_size.setValue(2)
    edit = tool.apply_pick((i + 0.5, j + 0.5, k + 1.0), (0.0, 0.0, 1.0))
    assert edit is not None
    cube = {(a, b, c) for a in range(i - 1, i + 2) for b in range(j - 1, j + 2) for c in range(k, k + 3)
            if 0 <= a < start.shape[0] and 0 <= b < start.shape[1] and c < start.shape[2] and not start[a, b, c]}
    assert {tuple(c) for c in edit.cells.tolist()} == cube
    _wait_shown(qtbot, window, tool)
    tool.revert()
    _wait_shown(qtbot, window, tool)
    np.testing.assert_array_equal(window.session.current.grid, start)

    tool.action.trigger()  # leave: the window's own keys and surface come back
    assert not tool.active and not tool.toolbar.isVisible()
    assert all(action.shortcut().toString() == keys for action, keys in shortcuts.items())
    assert not tool.undo_action.isEnabled() and smooth.isEnabled()
    assert tool.apply_pick((i + 0.5, j + 0.5, k + 1.0), (0.0, 0.0, 1.0)) is None  # no edits outside the mode


def test_a_real_click_through_the_interactor(qtbot, window):
    _real_clicks(qtbot, window)


def test_sculpt_works_when_the_app_builds_the_3d_view_late(qtbot, make_window, monkeypatch):
    """The app builds the VTK view after the window shows (start-up): the tool must not need it before."""
    from voxstudio.gui import viewport

    monkeypatch.setattr(viewport, "DEFER_PLOTTER", True)
    window = make_window(wait_engine=False)
    assert not window.viewport.ready and isinstance(window.sculpt, SculptController)
    window.viewport.build_plotter_soon()
    qtbot.waitUntil(lambda: window.viewport.ready, timeout=60_000)
    qtbot.waitUntil(lambda: window.session.current is not None, timeout=120_000)
    _real_clicks(qtbot, window)


def _real_clicks(qtbot: Any, window: Any) -> None:
    """Click the top face of a voxel through Qt -> the interactor: it grows; Shift+click removes it again."""
    tool = _enter(qtbot, window)
    i, j, k = _top_voxel(tool.model.grid)
    _wait_shown(qtbot, window, tool)
    qtbot.wait(200)
    frames = window.viewport.frames
    window.viewport.request_frame()
    qtbot.waitUntil(lambda: window.viewport.frames > frames, timeout=10_000)  # framed and painted
    point = _display_point(window, (i + 0.5, j + 0.5, k + 1.0))
    plotter = window.viewport.plotter
    assert plotter.rect().contains(point)
    camera = window.viewport.plotter.renderers[0].camera.position

    QTest.mouseClick(plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    qtbot.waitUntil(lambda: tool.model.occupied((i, j, k + 1)), timeout=5_000)
    assert tool.model.changed_voxels() == 1
    assert window.viewport.plotter.renderers[0].camera.position == camera  # a click is not a drag
    _wait_shown(qtbot, window, tool)

    # Shift+click on the same spot hits the new voxel's top face: it goes again
    QTest.mouseClick(plotter, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, point)
    qtbot.waitUntil(lambda: not tool.model.occupied((i, j, k + 1)), timeout=5_000)
    assert tool.model.changed_voxels() == 0 and tool.model.edit_count == 2


def test_snap_runs_on_the_worker_and_puts_the_result_on_the_sliders(qtbot, make_window):
    engine = SlowInversionEngine(step_delay_s=0.05)  # 40 steps: at least 2 s
    window = make_window(factory=lambda: engine)
    tool = _enter(qtbot, window)
    class_id = window.session.current.generate.class_id
    i, j, k = _top_voxel(tool.model.grid)
    tool.toolbar.brush_size.setValue(2)
    tool.apply_pick((i + 0.5, j + 0.5, k + 1.0), (0.0, 0.0, 1.0))
    edited = tool.model.grid
    _wait_shown(qtbot, window, tool)
    assert tool.toolbar.class_combo.currentIndex() == class_id

    tool.snap_steps = 40
    progress: list[int] = []
    tool.toolbar.progress.valueChanged.connect(progress.append)
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(lambda: gaps.append(clock.restart()))
    ticker.start()
    started = time.perf_counter()
    with qtbot.waitSignal(tool.snapFinished, timeout=120_000) as blocker:
        assert tool.snap() is not None
        assert not tool.toolbar.snap_button.isEnabled() and tool.toolbar.progress.isVisible()
    took_ms = (time.perf_counter() - started) * 1000
    ticker.stop()
    outcome = blocker.args[0]
    assert engine.steps_done == 40 and progress and max(progress) >= 30
    # the GUI thread kept running its timer all along (a blocking snap leaves one gap as long as the snap;
    # the bound is loose because the test machine's two cores are shared)
    assert took_ms >= 2000 and len(gaps) > 20
    assert max(gaps[1:]) < took_ms / 3, f"the GUI thread stalled for {max(gaps[1:])} ms of a {took_ms:.0f} ms snap"

    # the IoU reported is the snapped shape's with the edited grid
    snapped = shared_engine().generate(outcome.z, class_id)
    assert outcome.class_id == class_id
    assert outcome.iou == pytest.approx(voxel_iou(snapped, edited))
    assert f"IoU {outcome.iou:.2f}" in tool.toolbar.status.text()
    panel = window.generate_panel
    loaded = panel.loaded_latent("A")
    assert loaded is not None and loaded.iou == pytest.approx(outcome.iou)
    np.testing.assert_array_equal(loaded.array(), outcome.z)
    assert panel.class_combo.currentIndex() == class_id and all(s.value() == 0.0 for s in panel.sliders)
    # the snapped shape is the current shape, generated from the loaded latent; the edit is beside it
    qtbot.waitUntil(lambda: window.session.current.generate is not None
                    and window.session.current.generate.latent_a is not None, timeout=30_000)
    np.testing.assert_array_equal(window.session.current.grid >= 0.5, snapped >= 0.5)
    qtbot.waitUntil(lambda: window.viewport.split and window.viewport.recon_caption().startswith("Before snap"),
                    timeout=10_000)
    np.testing.assert_array_equal(window.session.reconstruction.grid, edited)
    assert tool.toolbar.compare_check.isChecked()
    tool.toolbar.compare_check.setChecked(False)
    assert not window.viewport.split
    # sculpting goes on from the snapped shape
    np.testing.assert_array_equal(tool.model.grid, snapped >= window.session.view.threshold)


def test_cancel_snap_changes_nothing(qtbot, make_window):
    engine = SlowInversionEngine(step_delay_s=0.02)
    window = make_window(factory=lambda: engine)
    tool = _enter(qtbot, window)
    params = window.generate_panel.params()
    tool.snap_steps = 2000
    tool.snap()
    qtbot.waitUntil(lambda: tool.toolbar.progress.value() >= 3, timeout=60_000)
    tool.toolbar.cancel_button.click()
    assert tool.job is None and tool.toolbar.snap_button.isEnabled()
    assert engine.returned.wait(10.0) and engine.steps_done < 2000
    qtbot.wait(200)
    assert window.generate_panel.params() == params and window.generate_panel.loaded_latent("A") is None
    assert tool.last_snap is None


def _engine_factory():
    from voxstudio.paths import weights_dir

    if (weights_dir() / "gan.safetensors").exists():
        from voxstudio.models.engine import VoxelEngine

        return lambda: VoxelEngine.load(weights_dir(), device="cpu")
    return shared_engine


def test_sculpt_and_snap_screenshot(qtbot, tmp_path, make_window):
    """docs/images/sculpt_snap.png: a chair sculpted (backrest cut down), then snapped (VOXSTUDIO_UPDATE_DOCS=1)."""
    window = make_window(_engine_factory(), size=(1400, 860))
    classes = window.session.engine_info.classes
    panel = window.generate_panel
    if "chair" in classes:
        panel.class_combo.setCurrentIndex(classes.index("chair"))
        qtbot.waitUntil(lambda: window.session.current.generate is not None
                        and window.session.current.generate.class_id == classes.index("chair"), timeout=30_000)
    tool = _enter(qtbot, window)
    tool.toolbar.brush_size.setValue(3)
    start = tool.model.grid
    top = int(np.argwhere(start)[:, 2].max())
    for _ in range(60):  # shift-clicks with a big brush on the highest part (a chair's backrest) cut it down
        cells = np.argwhere(tool.model.grid)
        i, j, k = cells[np.argmax(cells[:, 2])]
        if k <= top - 6:
            break
        tool.apply_pick((i + 0.5, j + 0.5, k + 1.0), (0.0, 0.0, 1.0), remove=True)
    assert tool.model.changed_voxels() > 20 and not (tool.model.grid & ~start).any()
    _wait_shown(qtbot, window, tool)
    qtbot.wait(300)
    sculpted = window.grab_window_image()
    with qtbot.waitSignal(tool.snapFinished, timeout=300_000) as blocker:
        tool.snap()
    qtbot.waitUntil(lambda: window.viewport.split and window.viewport.recon_caption().startswith("Before snap"),
                    timeout=30_000)
    qtbot.waitUntil(lambda: window.session.current.generate is not None
                    and window.session.current.generate.latent_a is not None, timeout=30_000)
    qtbot.wait(300)
    snapped = window.grab_window_image()
    assert blocker.args[0].iou > 0.0

    width = 1200
    top, bottom = (img.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation) for img in (sculpted, snapped))
    sheet = QImage(width, top.height() + bottom.height() + 8, QImage.Format.Format_RGB32)
    sheet.fill(Qt.GlobalColor.white)
    painter = QPainter(sheet)
    painter.drawImage(0, 0, top)
    painter.drawImage(0, top.height() + 8, bottom)
    painter.end()
    path = tmp_path / "sculpt_snap.png"
    assert sheet.save(str(path))
    if os.environ.get("VOXSTUDIO_UPDATE_DOCS") == "1":
        shutil.copyfile(path, DOCS_IMAGE)


def _history(window: Any) -> Any:
    """The window's shape history (built here too while the window does not build it yet)."""
    history = getattr(window, "history", None)
    if history is None:
        from voxstudio.gui.history_controller import HistoryController

        history = window.history = HistoryController(window.session, window.generate_panel, window.settings, window)
    return history


def _press(qtbot: Any, window: Any, key: Qt.Key, modifiers: Any) -> None:
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window, key, modifiers)


def test_ctrl_z_undoes_voxels_while_sculpting_and_shapes_after_and_a_snap_is_a_history_step(qtbot, window):
    history = _history(window)
    panel = window.generate_panel
    ctrl = Qt.KeyboardModifier.ControlModifier
    panel.seed.setValue(5)
    qtbot.waitUntil(lambda: window.session.current.generate is not None
                    and window.session.current.generate.seed_a == 5, timeout=30_000)
    qtbot.waitUntil(history.history.can_undo, timeout=10_000)
    tool = _enter(qtbot, window)
    i, j, k = _top_voxel(tool.model.grid)
    tool.apply_pick((i + 0.5, j + 0.5, k + 1.0), (0.0, 0.0, 1.0))
    _wait_shown(qtbot, window, tool)

    _press(qtbot, window, Qt.Key.Key_Z, ctrl)  # the voxel edit, not the seed
    _wait_shown(qtbot, window, tool)
    assert tool.model.changed_voxels() == 0 and panel.seed.value() == 5

    tool.apply_pick((i + 0.5, j + 0.5, k + 1.0), (0.0, 0.0, 1.0))
    tool.snap_steps = 10
    with qtbot.waitSignal(tool.snapFinished, timeout=120_000):
        tool.snap()
    qtbot.waitUntil(lambda: window.session.current.generate is not None
                    and window.session.current.generate.latent_a is not None, timeout=30_000)
    qtbot.waitUntil(lambda: history.history.current is not None and history.history.current.latent is not None,
                    timeout=10_000)  # the snap is a step of the shape history
    tool.action.trigger()  # leave sculpt mode: Ctrl+Z is the shape history's again
    _press(qtbot, window, Qt.Key.Key_Z, ctrl)
    qtbot.waitUntil(lambda: panel.loaded_latent("A") is None, timeout=10_000)
    assert panel.seed.value() == 5
    qtbot.waitUntil(lambda: window.session.current.generate is not None
                    and window.session.current.generate.latent_a is None, timeout=30_000)


def test_sculpting_shows_blocks_and_gives_the_smooth_surface_back(qtbot, window):
    smooth = window.window_actions.smooth
    smooth.setChecked(True)
    assert window.session.view.surface == "smooth"
    tool = _enter(qtbot, window)
    assert not smooth.isChecked() and window.session.view.surface == "blocky"
    tool.action.trigger()
    assert smooth.isChecked() and smooth.isEnabled() and window.session.view.surface == "smooth"
