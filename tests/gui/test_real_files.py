"""Real files in the window: up-axis choice, 90-degree turns that re-classify, "none of these"."""

from __future__ import annotations

import numpy as np
import pytest
from core_shapes import chair_grid
from gui_helpers import shared_engine

from voxstudio.core.io import save_voxels
from voxstudio.core.io.prepare import frame_grid, turned
from voxstudio.core.orientation import SHAPENET, Orientation, rotate_grid

pytestmark = pytest.mark.gui


def _upright_chair() -> np.ndarray:
    return frame_grid(chair_grid(32), 32)


def _as_shapenet_stores_it(grid: np.ndarray) -> np.ndarray:
    """Our z-up grid in ShapeNet's axes (y up, front -z): the inverse of SHAPENET."""
    inverse = tuple(tuple(int(v) for v in row) for row in SHAPENET.as_array().T)
    return rotate_grid(grid, Orientation("inverse", "inverse", inverse))


def test_up_axis_choice_opens_a_y_up_binvox_upright_and_reclassifies(qtbot, tmp_path, window):
    path = tmp_path / "chair.binvox"
    save_voxels(path, _as_shapenet_stores_it(_upright_chair()))
    panel = window.classify_panel
    assert not panel.rotate_buttons["x"].isEnabled()  # nothing opened yet

    with qtbot.waitSignal(window.classified, timeout=60_000):
        panel.up_combo.setCurrentIndex(panel.up_combo.findData("y"))
        window.open_path(path)
    np.testing.assert_array_equal(window.current.grid, _upright_chair())
    assert "y up, front -z (ShapeNet)" in panel.source_label.text()
    assert all(button.isEnabled() for button in panel.rotate_buttons.values())

    # choosing z up re-opens the shown file at once: it now lies as stored, and is classified again
    with qtbot.waitSignal(window.classified, timeout=60_000):
        panel.up_combo.setCurrentIndex(panel.up_combo.findData("z"))
    np.testing.assert_array_equal(window.current.grid, frame_grid(_as_shapenet_stores_it(_upright_chair()), 32))
    assert window.current.source_path == path
    assert "y up" not in panel.source_label.text().split("\u2014")[1].split("<br>")[0]


def test_rotate_90_turns_the_opened_shape_and_classifies_it_again(qtbot, tmp_path, window):
    lying = turned(_upright_chair(), "x", 3)  # on its back
    path = tmp_path / "lying.npy"
    save_voxels(path, lying)
    with qtbot.waitSignal(window.classified, timeout=60_000):
        window.open_path(path)
    np.testing.assert_array_equal(window.current.grid, frame_grid(lying, 32))

    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        window.classify_panel.rotate_buttons["x"].click()
    np.testing.assert_array_equal(window.current.grid, _upright_chair())
    expected = shared_engine().classify(_upright_chair())
    np.testing.assert_allclose(blocker.args[0].probabilities, expected.probabilities, rtol=1e-5, atol=1e-6)
    assert "turned 90\u00b0 about x" in window.current.source_note
    assert window.current.source_path == path  # still that file: a surface change keeps it
    shown = window.shown_seq("main")
    window.window_actions.smooth.setChecked(not window.window_actions.smooth.isChecked())  # re-meshes the shown shape
    qtbot.waitUntil(lambda: window.shown_seq("main") > shown, timeout=30_000)
    assert window.current.source_path == path and "turned" in window.current.source_note


def test_none_of_these_is_said_instead_of_a_class(qtbot, tmp_path, window, monkeypatch):
    # A threshold above any presence: whatever the (random) network sees, no class is there.
    monkeypatch.setitem(shared_engine().configs.setdefault("capsnet", {}), "none_threshold", 2.0)
    path = tmp_path / "thing.npy"
    save_voxels(path, _upright_chair())
    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        window.open_path(path)
    assert blocker.args[0].none_of_these
    assert "none of these classes" in window.classify_panel.result_label.text()
    monkeypatch.setitem(shared_engine().configs["capsnet"], "none_threshold", 0.0)
    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        window.classify_current()
    assert not blocker.args[0].none_of_these
    assert "looks like a" in window.classify_panel.result_label.text()
