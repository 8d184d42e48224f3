"""Classify panel: opened files and generated shapes get probabilities + reconstruction."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import shared_engine, wait_for_shape
from PySide6.QtCore import Qt

from voxstudio.core.io import save_voxels
from voxstudio.core.io.prepare import prepare_shape
from voxstudio.data.procedural import generate_shape
from voxstudio.gui.probability_chart import ACCENT
from voxstudio.gui.requests import ViewParams
from voxstudio.gui.surface import grid_to_polydata
from voxstudio.models.file_classifier import settle_pose

pytestmark = pytest.mark.gui


def test_opening_a_binvox_shows_sorted_probabilities_and_reconstruction(qtbot, tmp_path, window):
    path = tmp_path / "chair.binvox"
    save_voxels(path, generate_shape("chair", seed=3, resolution=32))
    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        window.open_path(path)
    outcome = blocker.args[0]
    assert window.current.source_path == path and window.current_source == "file"

    # the file went through the classification load path (a bare .binvox: pose search by the classifier)
    prepared = settle_pose(prepare_shape(path, 32), shared_engine().presence)
    np.testing.assert_array_equal(window.current.grid, prepared.grid)
    assert prepared.describe() in window.classify_panel.source_label.text()
    expected = shared_engine().classify(prepared.grid)
    np.testing.assert_allclose(outcome.probabilities, expected.probabilities, rtol=1e-5, atol=1e-6)
    entries = window.classify_panel.chart.entries()
    assert [name for name, _ in entries] == [shared_engine().classes[i] for i in np.argsort(-expected.probabilities, kind="stable")]
    probs = [p for _, p in entries]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1.0, abs=1e-5)
    assert window.classify_panel.chart.top() == entries[0]
    assert entries[0][0] == shared_engine().classes[expected.predicted]
    assert "chair.binvox" in window.classify_panel.result_label.text()

    # the reconstruction is shown side by side, meshed the same way as the input
    assert window.viewport.split
    assert window.viewport.plotter.ren_win.HasRenderer(window.viewport.plotter.renderers[1])
    np.testing.assert_allclose(window.reconstruction.grid, expected.reconstruction, atol=1e-5)
    assert window.viewport.recon_polydata.n_cells == grid_to_polydata(expected.reconstruction, ViewParams()).n_cells

    # the bar chart paints the top class in the accent colour
    image = window.classify_panel.chart.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert ACCENT.name() in colours

    window.window_actions.reconstruction.setChecked(False)  # toggle back to a single view
    assert not window.viewport.split
    assert not window.classify_panel.recon_check.isChecked()


def test_classify_current_works_on_the_generated_shape(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    wait_for_shape(qtbot, window, lambda: window.generate_panel.class_combo.setCurrentIndex(2))
    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    outcome = blocker.args[0]
    expected = shared_engine().classify(window.current.grid)
    np.testing.assert_allclose(outcome.probabilities, expected.probabilities, rtol=1e-5, atol=1e-6)
    assert len(window.classify_panel.chart.entries()) == len(shared_engine().classes)
    assert window.classify_panel.result_label.text().startswith(f"<b>{shared_engine().classes[2]}")


def test_live_classification_follows_the_sliders(qtbot, window):
    with qtbot.waitSignal(window.classified, timeout=60_000):
        window.classify_panel.live_check.setChecked(True)  # classifies what is shown at once
    first = window.last_classification
    with qtbot.waitSignal(window.classified, timeout=60_000):
        window.generate_panel.sliders[0].set_value(-2.0)
    assert window.last_classification.seq > first.seq
    expected = shared_engine().classify(window.current.grid)
    np.testing.assert_allclose(window.last_classification.probabilities, expected.probabilities, rtol=1e-5, atol=1e-6)
