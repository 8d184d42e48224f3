"""File -> Export writes valid files in every format; settings persist."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from gui_helpers import wait_for_shape
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from voxstudio.core.export import EXPORT_EXTENSIONS
from voxstudio.core.io import VOXEL_EXTENSIONS, load_voxels
from voxstudio.data.sizes import default_voxel_size
from voxstudio.gui.export_dialog import ExportOptionsDialog, export_filters

pytestmark = pytest.mark.gui


def _export(qtbot, window, path: Path) -> Path:
    with qtbot.waitSignal(window.exportFinished, timeout=30_000) as blocker:
        window.export_to(path)
    return blocker.args[0]


def test_export_action_writes_a_mesh_matching_the_view(qtbot, tmp_path, monkeypatch, window):
    calls = []

    def fake_save(parent, caption, start, filters, selected):
        calls.append((start, filters))
        if len(calls) > 1:
            return "", ""  # cancelled
        return str(tmp_path / "out" / "shape"), "STL mesh (*.stl)"  # no extension typed

    (tmp_path / "out").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    shown = []
    monkeypatch.setattr(ExportOptionsDialog, "exec", lambda self: shown.append(self) or QDialog.DialogCode.Accepted)
    with qtbot.waitSignal(window.exportFinished, timeout=30_000) as blocker:
        window.window_actions.export.trigger()
    path = blocker.args[0]
    assert path == tmp_path / "out" / "shape.stl" and path.exists()
    assert all(f"*{ext}" in calls[0][1] for ext in EXPORT_EXTENSIONS)
    mesh = trimesh.load(path, force="mesh")
    assert mesh.is_watertight and mesh.is_winding_consistent
    # the options dialog's default size: the generated class's typical size, written in millimetres
    occupancy = window.current.grid >= window.threshold()
    voxel_mm = 1000 * default_voxel_size(window.generate_panel.class_name(), occupancy)
    assert shown[0].voxel_size() == pytest.approx(voxel_mm / 1000)
    assert mesh.volume == pytest.approx(occupancy.sum() * voxel_mm**3, rel=1e-6)
    # blocky export == the blocky surface in the viewport (same area), with coplanar faces merged
    assert mesh.area == pytest.approx(window.viewport.main_polydata.area * voxel_mm**2, rel=1e-6)
    assert len(mesh.faces) < window.viewport.main_polydata.n_cells
    assert window.settings.last_dir == str(tmp_path / "out")
    # the next export dialog starts in that folder, with the format used last
    _export(qtbot, window, tmp_path / "out" / "again.ply")
    window.window_actions.export.trigger()
    start, _filters = calls[-1]
    assert Path(start).parent == tmp_path / "out" and Path(start).suffix == ".ply"
    assert len(shown) == 1  # cancelling the file dialog asks for no options


@pytest.mark.parametrize("ext", EXPORT_EXTENSIONS)
def test_every_format_round_trips(qtbot, tmp_path, window, ext):
    path = _export(qtbot, window, tmp_path / f"generated{ext}")
    occupancy = window.current.grid >= window.threshold()
    if ext in VOXEL_EXTENSIONS:
        np.testing.assert_array_equal(load_voxels(path, resolution=32), occupancy)
    else:
        mesh = trimesh.load(path, force="mesh")
        assert mesh.area == pytest.approx(window.viewport.main_polydata.area, rel=1e-6)  # voxel units


def test_smooth_view_exports_smooth_mesh(qtbot, tmp_path, window):
    wait_for_shape(qtbot, window, lambda: window.window_actions.smooth.setChecked(True))
    path = _export(qtbot, window, tmp_path / "smooth.ply")
    mesh = trimesh.load(path, force="mesh")
    assert len(mesh.faces) == window.viewport.main_polydata.n_cells
    assert not np.allclose(mesh.vertices, np.round(mesh.vertices))  # marching cubes, not a lattice


def test_export_error_is_shown_in_a_dialog(qtbot, tmp_path, window):
    with qtbot.waitSignal(window.errorShown, timeout=30_000) as blocker:
        window.export_to(tmp_path / "missing-folder" / "x.stl")
    title, message = blocker.args
    assert title == "Export failed" and "x.stl" in message
    window.error_dialog.button(QMessageBox.StandardButton.Ok).click()
    assert _export(qtbot, window, tmp_path / "ok.obj").exists()  # still works


def test_export_filters_cover_core_formats():
    filters = export_filters()
    assert len(filters) == len(EXPORT_EXTENSIONS)
    assert all(any(f"(*{ext})" in f for f in filters) for ext in EXPORT_EXTENSIONS)


def test_settings_persist_between_sessions(qtbot, tmp_path, settings_path, make_window):
    first = make_window()
    first.window_actions.smooth.setChecked(True)
    first.window_actions.bounds.setChecked(False)
    first.resize(1100, 720)
    _export(qtbot, first, tmp_path / "a.npy")
    first.close()
    assert settings_path.exists()  # the isolated INI file, not the user's settings
    second = make_window(size=None)  # geometry comes from the settings
    assert second.window_actions.smooth.isChecked() and second.surface_mode() == "smooth"
    assert not second.window_actions.bounds.isChecked()
    assert second.settings.last_dir == str(tmp_path)
    assert (second.width(), second.height()) == (1100, 720)
    assert second.current.view.surface == "smooth"
