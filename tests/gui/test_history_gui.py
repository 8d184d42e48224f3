"""History and favourites in the real window (issue 12 part 2): undo / redo, the recent strip,
favourites through a file, the last shape restored at start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import wait_for_shape
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def controller(window: Any) -> Any:
    """The window's HistoryController (undo / redo, strip, favourites)."""
    return window.history


def shown_grid(window: Any) -> np.ndarray:
    return np.array(window.current.grid, copy=True)


def drag_slider(qtbot: Any, window: Any, index: int, values: list[float]) -> Any:
    """Drag slider ``index`` through ``values`` like a mouse does: pressed, moved, released."""
    row = window.generate_panel.sliders[index]
    row.slider.setSliderDown(True)
    for value in values:
        wait_for_shape(qtbot, window, lambda v=value: row.set_value(v))
    row.slider.setSliderDown(False)  # emits sliderReleased: the drag is one step
    return window.current


def press(qtbot: Any, window: Any, key: Qt.Key, modifiers: Any) -> Any:
    """A key press as the user makes it: window shortcuts need the window active."""
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    return wait_for_shape(qtbot, window, lambda: qtbot.keyClick(window, key, modifiers))


def test_undo_redo_over_seed_and_a_slider_drag(qtbot: Any, window: Any) -> None:
    history = controller(window)
    panel = window.generate_panel
    start = shown_grid(window)
    start_state = history.current_state()
    wait_for_shape(qtbot, window, lambda: panel.seed.setValue(5))
    seeded = shown_grid(window)
    assert not np.array_equal(seeded, start)
    drag_slider(qtbot, window, 0, [0.4, 0.9, 1.6, 2.5])
    dragged = shown_grid(window)
    assert not np.array_equal(dragged, seeded)
    assert history.history.undo_states() == [start_state, history.history.undo_states()[1]]  # 2 steps, not 5
    assert history.history.current.sliders[0] == pytest.approx(2.5)

    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert np.array_equal(shown_grid(window), seeded)
    assert panel.seed.value() == 5 and panel.sliders[0].value() == 0.0
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert np.array_equal(shown_grid(window), start)
    assert not history.undo_action.isEnabled()
    press(qtbot, window, Qt.Key.Key_Z, CTRL_SHIFT)
    assert np.array_equal(shown_grid(window), seeded)
    press(qtbot, window, Qt.Key.Key_Z, CTRL_SHIFT)
    assert np.array_equal(shown_grid(window), dragged)
    assert panel.sliders[0].value() == pytest.approx(2.5) and not history.redo_action.isEnabled()
    # undo / redo applied states: nothing new was recorded
    assert len(history.history.undo_states()) == 2


def test_arrow_key_nudges_of_one_slider_are_one_step(qtbot: Any, window: Any) -> None:
    history = controller(window)
    slider = window.generate_panel.sliders[1].slider
    slider.setFocus()
    for _ in range(4):
        wait_for_shape(qtbot, window, lambda: qtbot.keyClick(slider, Qt.Key.Key_Right))
    assert window.generate_panel.sliders[1].value() == pytest.approx(0.2)
    assert len(history.history.undo_states()) == 1
    window.setFocus()
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert window.generate_panel.sliders[1].value() == 0.0


def test_clicking_a_thumbnail_goes_back_to_that_shape(qtbot: Any, window: Any) -> None:
    history = controller(window)
    strip = history.strip
    start = shown_grid(window)
    for seed in (11, 12, 13):
        wait_for_shape(qtbot, window, lambda s=seed: window.generate_panel.seed.setValue(s))
    assert strip.count() == 4 and strip.isVisible()
    qtbot.waitUntil(lambda: all(strip.has_thumbnail(s) for s in strip.states()), timeout=30_000)
    assert history.renderer.rendered_count >= 4  # real pictures, not the placeholders
    first = strip.item(0)
    assert first.data(Qt.ItemDataRole.UserRole).seed == 0
    assert not first.icon().pixmap(32, 32).toImage().isNull()
    rect = strip.visualItemRect(first)
    wait_for_shape(qtbot, window, lambda: qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton,
                                                           pos=rect.center()))
    assert np.array_equal(shown_grid(window), start)
    assert window.generate_panel.seed.value() == 0
    assert strip.count() == 4 and strip.currentRow() == 0  # no new thumbnail, the first is marked
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # the click itself is undoable
    assert window.generate_panel.seed.value() == 13


def test_favourites_round_trip_through_a_file(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    window = make_window()
    history = controller(window)
    panel = window.generate_panel
    wait_for_shape(qtbot, window, lambda: panel.set_class(3))
    wait_for_shape(qtbot, window, lambda: panel.seed.setValue(77))
    drag_slider(qtbot, window, 2, [-1.0, -1.5])
    favourite = shown_grid(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_D, CTRL)
    assert len(history.favourites) == 1
    exported = history.export_favourites(tmp_path / "shared" / "favs.json")
    assert exported is not None
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert document["favourites"][0]["state"]["seed"] == 77

    other = make_window(settings=tmp_path / "other" / "settings.ini")
    other_history = controller(other)
    assert len(other_history.favourites) == 0
    assert other_history.import_favourites(exported) == 1
    assert other_history.import_favourites(exported) == 0  # already there
    assert [a.text() for a in other_history.favourite_actions] == [document["favourites"][0]["name"]]
    wait_for_shape(qtbot, other, other_history.favourite_actions[0].trigger)
    assert np.array_equal(shown_grid(other), favourite)
    assert other.generate_panel.class_combo.currentIndex() == 3
    # the app's own copy persists beside the settings file
    assert (tmp_path / "other" / "favourites.json").is_file()


def test_bad_favourites_file_shows_the_problem(qtbot: Any, window: Any, tmp_path: Path) -> None:
    history = controller(window)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "voxstudio-favourites", "version": 1, "favourites": [{"state": {"seed": 1}}]}')
    with qtbot.waitSignal(window.errorShown) as blocker:
        assert history.import_favourites(bad) is None
    title, message = blocker.args
    assert title == "Could not import favourites"
    assert "bad.json" in message and "'class' field is missing" in message


def test_restart_restores_the_last_shape(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    settings = tmp_path / "restart" / "settings.ini"
    first = make_window(settings=settings)
    controller(first)
    panel = first.generate_panel
    wait_for_shape(qtbot, first, lambda: panel.set_class(2))
    wait_for_shape(qtbot, first, lambda: panel.seed.setValue(4242))
    drag_slider(qtbot, first, 0, [1.25])
    expected = shown_grid(first)
    assert controller(first).add_favourite()
    first.close()
    assert (tmp_path / "restart" / "last_state.json").is_file()

    second = make_window(settings=settings, wait_engine=False)
    shown: list[Any] = []
    second.shapeShown.connect(shown.append)  # connected before the engine is ready: sees the first shape
    qtbot.waitUntil(lambda: bool(shown), timeout=120_000)
    assert shown[0].generate.seed_a == 4242  # started on the remembered shape, not bathtub seed 0
    qtbot.waitUntil(lambda: second.generate_panel.seed.value() == 4242, timeout=30_000)
    qtbot.waitUntil(lambda: second.current is not None and second.current.generate is not None
                    and second.current.generate.seed_a == 4242, timeout=30_000)
    assert second.generate_panel.class_combo.currentIndex() == 2
    assert second.generate_panel.sliders[0].value() == pytest.approx(1.25)
    assert np.array_equal(shown_grid(second), expected)
    history = controller(second)
    assert history.history.current == history.current_state() and not history.history.can_undo()
    assert history.strip.count() == 1
    assert [f.state for f in history.favourites] == [history.current_state()]  # the app's favourites file


def test_damaged_last_state_starts_on_the_default_and_says_why(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    settings = tmp_path / "damaged" / "settings.ini"
    settings.parent.mkdir()
    (settings.parent / "last_state.json").write_text('{"format": "voxstudio-last-state", "version": 1, '
                                                     '"state": {"class": "chair", "seed": "x"}}')
    window = make_window(settings=settings)
    assert window.generate_panel.seed.value() == 0 and window.generate_panel.class_combo.currentIndex() == 0
    assert "Last shape not restored" in window.statusBar().currentMessage()
    assert "state.seed: expected an integer" in window.statusBar().currentMessage()


def test_history_strip_screenshot(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    """The window with a filled strip (docs/images/history_strip.png with VOXSTUDIO_UPDATE_DOCS=1)."""
    import os
    import shutil

    from test_screenshot import _engine_factory, _region_std

    window = make_window(_engine_factory(), size=(1600, 1000))
    history = controller(window)
    panel = window.generate_panel
    classes = window.engine_info.classes
    wait_for_shape(qtbot, window, lambda: panel.set_class(classes.index("chair") if "chair" in classes else 0))
    for seed in (3, 4, 9):
        wait_for_shape(qtbot, window, lambda s=seed: panel.seed.setValue(s))
    drag_slider(qtbot, window, 0, [1.0, 2.0])
    wait_for_shape(qtbot, window, lambda: panel.set_class(classes.index("sofa") if "sofa" in classes else 1))
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # back to the dragged chair: its thumbnail is marked
    strip = history.strip
    qtbot.waitUntil(lambda: all(strip.has_thumbnail(s) for s in strip.states()), timeout=60_000)
    qtbot.wait(200)
    image = window.grab_window_image()
    shot = tmp_path / "history_strip.png"
    assert image.save(str(shot))
    corner = strip.mapTo(window, strip.rect().topLeft())
    assert _region_std(image, corner.x(), corner.y(), corner.x() + strip.width(), corner.y() + strip.height()) > 8.0
    assert strip.currentRow() == strip.count() - 2
    if os.environ.get("VOXSTUDIO_UPDATE_DOCS") == "1":
        shutil.copyfile(shot, Path(__file__).resolve().parents[2] / "docs" / "images" / "history_strip.png")


def test_menus_and_shortcut_list_show_the_history_commands(qtbot: Any, window: Any) -> None:
    history = controller(window)
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles.index("Edit") < titles.index("View") and "Favourites" in titles
    assert [a.text() for a in history.edit_menu.actions()] == [history.undo_action.text(), history.redo_action.text()]
    assert history.add_favourite_action in history.favourites_menu.actions()
    rows = dict(window.show_shortcuts().rows())
    assert rows["Undo shape change"] == "Ctrl+Z"
    assert rows["Redo shape change"] == "Ctrl+Shift+Z"
    assert rows["Add to favourites"] == "Ctrl+D"


def test_a_real_mouse_drag_is_one_undo_step(qtbot: Any, window: Any) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    history = controller(window)
    before = shown_grid(window)
    slider = window.generate_panel.sliders[0].slider
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    handle = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                           QStyle.SubControl.SC_SliderHandle, slider).center()
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=handle)
    for dx in (10, 20, 30, 45):
        qtbot.mouseMove(slider, QPoint(handle.x() + dx, handle.y()))
        qtbot.wait(30)
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=QPoint(handle.x() + 45, handle.y()))
    value = window.generate_panel.sliders[0].value()
    assert value > 0.3
    qtbot.waitUntil(lambda: window.current.generate.sliders[0] == value, timeout=30_000)
    assert len(history.history.undo_states()) == 1 and history.history.current.sliders[0] == value
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert window.generate_panel.sliders[0].value() == 0.0 and np.array_equal(shown_grid(window), before)


def test_a_file_opened_at_start_still_gets_the_generated_shape_a_thumbnail(qtbot: Any, make_window: Any,
                                                                            tmp_path: Path) -> None:
    """As `voxstudio-gui FILE` (or a double-clicked file) starts: the file is shown, the generator's
    shape never is -- its strip entry still gets a real thumbnail, generated off screen."""
    from voxstudio.core.io import save_voxels

    path = tmp_path / "box.binvox"
    grid = np.zeros((32, 32, 32), bool)
    grid[8:24, 8:24, 0:12] = True
    save_voxels(path, grid)
    window = make_window(wait_engine=False)
    window.open_path(path)  # what app.launch does with a file argument
    qtbot.waitUntil(lambda: window.current is not None and window.current.source_path is not None, timeout=60_000)
    history = controller(window)
    strip = history.strip
    qtbot.waitUntil(lambda: len(strip.states()) == 1, timeout=30_000)
    assert window.current.generate is None  # only the file was ever shown
    qtbot.waitUntil(lambda: strip.has_thumbnail(strip.states()[0]), timeout=30_000)
