"""The export options dialog: size per class and unit, keep the main piece, .vox colours (+ docs picture)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor

from voxstudio.core.io.vox import read_vox
from voxstudio.data.sizes import CLASS_SIZES
from voxstudio.gui.export_dialog import ExportOptionsDialog

pytestmark = pytest.mark.gui

DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "export_dialog.png"


def _chair() -> np.ndarray:
    grid = np.zeros((32, 32, 32), bool)
    grid[8:24, 8:24, 12:14] = True  # seat
    for x in (8, 22):
        for y in (8, 22):
            grid[x : x + 2, y : y + 2, 0:12] = True  # legs
    grid[8:24, 22:24, 14:30] = True  # backrest: 30 voxels tall in all
    grid[2, 2, 20] = True  # a floating speck
    return grid


def test_defaults_follow_the_class_and_the_unit_of_the_format(qtbot, tmp_path):
    dialog = ExportOptionsDialog(None, tmp_path / "chair.stl", _chair(), "chair")
    qtbot.addWidget(dialog)
    assert dialog.height_spin.value() == pytest.approx(CLASS_SIZES["chair"].longest_m, abs=1e-3)  # ~0.96 m tall
    assert dialog.voxel_size() == pytest.approx(0.032, abs=1e-4)
    summary = dialog.size_label.text()
    assert "file units: mm" in summary and "32.0 mm per voxel" in summary
    dialog.height_spin.setValue(0.6)
    assert dialog.voxel_size() == pytest.approx(0.02)
    assert "0.44 \u00d7 0.44 \u00d7 0.60 m" in dialog.size_label.text()  # with the speck
    assert "drops 1 small piece" in dialog.main_piece_check.text()
    dialog.main_piece_check.setChecked(True)
    assert "0.32 \u00d7 0.32 \u00d7 0.60 m" in dialog.size_label.text()
    assert dialog.options().keep_main_piece and dialog.options().voxel_size == pytest.approx(0.02)
    assert not dialog.colour_combo.isEnabled()  # .vox only
    glb = ExportOptionsDialog(None, tmp_path / "chair.glb", _chair(), None)
    qtbot.addWidget(glb)
    assert glb.height_spin.value() == pytest.approx(1.0)  # unknown class: about a metre
    assert "file units: m " in glb.size_label.text()
    vox = ExportOptionsDialog(None, tmp_path / "chair.vox", _chair(), "chair")
    qtbot.addWidget(vox)
    assert not vox.height_spin.isEnabled() and vox.voxel_size() is None
    assert vox.colour_combo.isEnabled() and vox.vox_colour() is None  # by height
    vox.colour_combo.setCurrentIndex(1)
    vox.set_colour(QColor(10, 200, 30))
    assert vox.vox_colour() == (10, 200, 30)


def test_dialog_options_reach_the_written_files(qtbot, tmp_path, window, monkeypatch):
    """Through the window: keep the main piece and a chosen .vox colour, on the worker."""
    from voxstudio.gui import export_controller as main_window  # the export dialogs are asked there

    def accept_with(configure):
        def fake(parent, path, occupancy, class_name):
            dialog = ExportOptionsDialog(parent, path, occupancy, class_name)
            configure(dialog)
            return dialog.options()
        return fake

    grid = np.asarray(window.current.grid) >= window.threshold()
    monkeypatch.setattr(main_window, "ask_export_path", lambda *a: tmp_path / "shape.vox")

    def pick(dialog):
        dialog.main_piece_check.setChecked(True)
        dialog.colour_combo.setCurrentIndex(1)
        dialog.set_colour(QColor(200, 100, 50))

    monkeypatch.setattr(main_window, "ask_export_options", accept_with(pick))
    with qtbot.waitSignal(window.exportFinished, timeout=30_000):
        window.window_actions.export.trigger()
    model = read_vox(tmp_path / "shape.vox")
    from voxstudio.core.grid import largest_component

    np.testing.assert_array_equal(model.occupancy, largest_component(grid))
    np.testing.assert_array_equal(model.palette[1], [200, 100, 50, 255])
    # a cancelled options dialog exports nothing
    monkeypatch.setattr(main_window, "ask_export_options", lambda *a: None)
    monkeypatch.setattr(main_window, "ask_export_path", lambda *a: tmp_path / "never.stl")
    window.window_actions.export.trigger()
    qtbot.wait(200)
    assert not (tmp_path / "never.stl").exists()


def test_export_dialog_picture(qtbot, tmp_path):
    dialog = ExportOptionsDialog(None, tmp_path / "chair.stl", _chair(), "chair")
    qtbot.addWidget(dialog)
    dialog.main_piece_check.setChecked(True)
    dialog.show()
    qtbot.waitExposed(dialog)
    image = dialog.grab().toImage()
    assert image.width() > 300 and image.height() > 150
    out = DOCS_IMAGE if os.environ.get("VOXSTUDIO_UPDATE_DOCS") else tmp_path / "export_dialog.png"
    assert image.save(str(out))
