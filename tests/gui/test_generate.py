"""Generate panel and view controls drive the real window and engine."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import mesh_signature, shared_engine, wait_for_shape
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


def test_window_shows_engine_classes_sliders_and_status(window):
    engine = shared_engine()
    panel = window.generate_panel
    assert [panel.class_combo.itemText(i) for i in range(panel.class_combo.count())] == list(engine.classes)
    assert len(panel.sliders) == len(engine.directions) >= 8
    assert panel.is_available() and not window.banner.isVisible()
    assert window.device_label.text() == "Device: CPU"
    assert "GAN" in window.model_label.text()
    assert "gen" in window.timing_label.text() and "ms" in window.timing_label.text()
    # the first shape is on screen and is the engine's output for seed 0, class 0
    expected = engine.generate(engine.latent_for_seed(0), 0)
    np.testing.assert_array_equal(window.current.grid >= 0.5, expected >= 0.5)
    assert window.viewport.main_polydata.n_cells > 0


def test_moving_a_slider_changes_the_mesh(qtbot, window):
    before = mesh_signature(window.viewport.main_polydata)
    slider = window.generate_panel.sliders[0]
    wait_for_shape(qtbot, window, lambda: slider.slider.setValue(250))  # +2.5 units, like a drag
    after = mesh_signature(window.viewport.main_polydata)
    assert after != before
    assert window.current.generate.sliders[0] == pytest.approx(2.5)
    # the viewport shows exactly the mesh of the grid the engine produced
    engine = shared_engine()
    offset = engine.slider_offset(np.eye(len(engine.directions))[0] * 2.5)
    np.testing.assert_array_equal(window.current.grid >= 0.5, engine.generate(engine.latent_for_seed(0), 0, offset=offset) >= 0.5)


def test_switching_class_changes_the_mesh(qtbot, window):
    before = mesh_signature(window.viewport.main_polydata)
    wait_for_shape(qtbot, window, lambda: window.generate_panel.class_combo.setCurrentIndex(3))
    assert window.current.generate.class_id == 3
    assert mesh_signature(window.viewport.main_polydata) != before
    assert window.current.label.startswith(window.generate_panel.class_combo.itemText(3))


def test_random_seed_shortcut_and_reset(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    before = mesh_signature(window.viewport.main_polydata)
    wait_for_shape(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier))
    assert window.generate_panel.seed.value() != 0
    assert mesh_signature(window.viewport.main_polydata) != before
    window.generate_panel.sliders[1].set_value(1.5)
    wait_for_shape(qtbot, window, window.generate_panel.reset)
    assert all(v == 0.0 for v in window.current.generate.sliders)


def test_interpolation_slider_and_animation(qtbot, window):
    panel = window.generate_panel
    before = mesh_signature(window.viewport.main_polydata)
    wait_for_shape(qtbot, window, lambda: panel.t_slider.setValue(1000))  # all the way to seed B
    engine = shared_engine()
    np.testing.assert_array_equal(window.current.grid >= 0.5, engine.generate(engine.latent_for_seed(1), 0) >= 0.5)
    assert mesh_signature(window.viewport.main_polydata) != before

    frames = window.viewport.frames
    window.window_actions.animate.trigger()  # Ctrl+P: plays A <-> B with a QTimer
    assert panel.is_animating()
    qtbot.waitUntil(lambda: window.viewport.frames >= frames + 3, timeout=30_000)
    assert panel.t_slider.value() < 1000  # it moved back towards A
    window.window_actions.animate.trigger()
    assert not panel.is_animating()

    panel.animate_mode.setCurrentIndex(1)  # random walk over the sliders
    panel.set_animating(True)
    qtbot.waitUntil(lambda: any(s.value() != 0.0 for s in panel.sliders), timeout=10_000)
    panel.set_animating(False)


def test_surface_mode_and_threshold_remesh_without_regenerating(qtbot, window):
    generated = window.client.stats["generate"]
    blocky = mesh_signature(window.viewport.main_polydata)
    wait_for_shape(qtbot, window, lambda: window.window_actions.smooth.setChecked(True))
    smooth = mesh_signature(window.viewport.main_polydata)
    assert smooth != blocky
    assert "Normals" in window.viewport.main_polydata.point_data  # smooth shading
    assert window.settings.surface == "smooth"
    wait_for_shape(qtbot, window, lambda: window.threshold_slider.setValue(70))
    assert window.current.view.threshold == pytest.approx(0.7)
    assert mesh_signature(window.viewport.main_polydata) != smooth
    # only the surface changed: the worker re-meshed its cached grid
    assert window.client.stats["generate"] == generated


def test_view_toggles_and_reset_camera(qtbot, window):
    view = window.viewport.views[0]
    window.window_actions.wireframe.setChecked(True)
    assert view.actor.prop.style == "Wireframe"
    window.window_actions.wireframe.setChecked(False)
    assert view.actor.prop.style == "Surface"
    window.window_actions.bounds.setChecked(False)
    assert not view.bounds_actor.visibility
    window.window_actions.bounds.setChecked(True)
    assert view.bounds_actor.visibility
    window.colour_combo.setCurrentIndex(1)
    assert not view.mapper.GetScalarVisibility()
    window.set_material_colour("#ff0000")
    assert view.actor.prop.color.hex_rgb == "#ff0000"
    window.colour_combo.setCurrentIndex(0)
    assert view.mapper.GetScalarVisibility()

    camera = window.viewport.plotter.renderers[0].camera
    home = camera.position
    camera.azimuth = 70.0
    camera.elevation = 20.0
    assert camera.position != pytest.approx(home)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert camera.position == pytest.approx(home)


def test_screenshot_writes_png(tmp_path, window):
    from PySide6.QtGui import QImage

    path = window.save_screenshot(tmp_path / "view.png")
    image = QImage(str(path))
    assert not image.isNull()
    assert (image.width(), image.height()) == (window.viewport.plotter.width(), window.viewport.plotter.height())
    assert window.settings.last_dir == str(tmp_path)


def test_clean_up_fragments_shows_and_exports_the_main_piece_and_is_off_by_default(qtbot, window, tmp_path):
    from scipy import ndimage

    from voxstudio.core.cleanup import clean_fragments
    from voxstudio.core.io import load_voxels

    engine = shared_engine()
    panel = window.generate_panel
    action = window.window_actions.clean
    assert not action.isChecked() and not window.view_params().clean
    # a seed whose raw sample is in several pieces (26-connected, as the one-piece metric counts)
    seed = next(s for s in range(1, 50)  # the window starts at seed 0
                if ndimage.label(engine.generate(engine.latent_for_seed(s), panel.params().class_id) > 0.5,
                                 structure=np.ones((3, 3, 3)))[1] > 1)
    wait_for_shape(qtbot, window, lambda: panel.seed.setValue(seed))
    raw = engine.generate(engine.latent_for_seed(seed), panel.params().class_id)
    np.testing.assert_array_equal(window.current.grid, raw)

    wait_for_shape(qtbot, window, lambda: action.setChecked(True))
    cleaned = clean_fragments(raw)
    np.testing.assert_array_equal(window.current.grid > 0.5, cleaned)
    assert ndimage.label(window.current.grid > 0.5, structure=np.ones((3, 3, 3)))[1] == 1
    assert window.settings.clean_fragments
    window.export_to(tmp_path / "clean.npy")
    qtbot.waitUntil((tmp_path / "clean.npy").exists, timeout=10_000)
    np.testing.assert_array_equal(load_voxels(tmp_path / "clean.npy") > 0.5, cleaned)

    wait_for_shape(qtbot, window, lambda: action.setChecked(False))
    np.testing.assert_array_equal(window.current.grid, raw)
