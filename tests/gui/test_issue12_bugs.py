"""Issue 12, part 6: what using the window turned up, one test per bug (in the real window)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import shared_engine, wait_for_shape
from PySide6.QtWidgets import QMessageBox

from voxstudio.core.io import save_voxels

pytestmark = pytest.mark.gui

DOCS = Path(__file__).resolve().parents[2] / "docs" / "images"


def _open(qtbot, window, path: Path) -> None:
    window.open_path(path)
    qtbot.waitUntil(lambda: window.current is not None and window.current.source_path == path, timeout=60_000)


def _classified(qtbot, window, action) -> object:
    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        action()
    return blocker.args[0]


def _a_file(tmp_path: Path) -> Path:
    engine = shared_engine()
    path = tmp_path / "mine.binvox"
    save_voxels(path, engine.generate(engine.latent_for_seed(11), 0) >= 0.5)
    return path


def test_classify_panel_names_the_generated_shape_not_the_last_file(qtbot, tmp_path, window):
    path = _a_file(tmp_path)
    _classified(qtbot, window, lambda: _open(qtbot, window, path))
    assert "mine.binvox" in window.classify_panel.source_label.text()
    wait_for_shape(qtbot, window, lambda: window.generate_panel.seed.setValue(5))
    _classified(qtbot, window, window.classify_current)
    source = window.classify_panel.source_label.text()
    assert "mine.binvox" not in source and "Generated shape" in source and "seed 5" in source
    assert "seed 5" in window.classify_panel.result_label.text()


def test_open_in_generator_needs_an_opened_file(qtbot, tmp_path, window):
    button = window.classify_panel.invert_button
    assert window.current is not None and window.current.source_path is None  # a generated shape
    assert not button.isEnabled() and "Open a file first" in button.toolTip()
    assert window.inversion.open_dialog() is None  # nothing inverted behind the user's back
    _open(qtbot, window, _a_file(tmp_path))
    qtbot.waitUntil(button.isEnabled, timeout=10_000)
    wait_for_shape(qtbot, window, lambda: window.generate_panel.seed.setValue(3))  # back to a generated one
    assert not button.isEnabled()


def test_open_in_generator_clears_the_old_decode_as_reconstruction(qtbot, tmp_path, window):
    path = _a_file(tmp_path)
    _classified(qtbot, window, lambda: _open(qtbot, window, path))
    explorer = window.classify_panel.pose_box
    qtbot.waitUntil(explorer.has_pose, timeout=10_000)
    before = window.latest_request_seq()
    explorer.class_combo.setCurrentIndex((explorer.predicted() + 1) % explorer.class_combo.count())  # "Decode as"
    qtbot.waitUntil(lambda: window.shown_seq("recon") > before, timeout=30_000)
    assert window.viewport.recon_polydata.n_points > 0 or "empty" in window.viewport.recon_caption()
    button = window.classify_panel.invert_button
    qtbot.waitUntil(button.isEnabled, timeout=10_000)
    button.click()
    dialog = window.inversion.dialog
    dialog.steps.setValue(5)
    with qtbot.waitSignal(window.inversion.inversionFinished, timeout=120_000):
        dialog.start_button.click()
    assert window.reconstruction is None and window.viewport.recon_polydata.n_points == 0
    assert not explorer.has_pose() and not explorer.class_combo.isEnabled()


def test_caption_font_draws_the_interpolation_arrow(qtbot, window):
    import vtk
    from vtk.util.numpy_support import vtk_to_numpy

    wait_for_shape(qtbot, window, lambda: window.generate_panel.t_slider.setValue(window.generate_panel.t_slider.maximum() // 2))
    caption = window.viewport.caption()
    assert "\u2192" in caption  # "chair · seed 0 → 1 (0.50)"

    def ink(text: str) -> int:
        image = vtk.vtkImageData()
        vtk.vtkTextRenderer().RenderString(window.viewport.caption_text_property(), text, image, [0, 0], 72)
        scalars = image.GetPointData().GetScalars()
        return 0 if scalars is None else int((vtk_to_numpy(scalars)[:, 3] > 0).sum())

    assert ink("\u2192") > 0  # VTK's default font drew nothing for it
    assert ink(caption) > ink(caption.replace("\u2192", " "))


def test_truncated_off_file_gives_a_plain_message(qtbot, tmp_path, window):
    path = tmp_path / "cut.off"
    path.write_text("OFF\n8 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1\n")  # cut off mid-file
    with qtbot.waitSignal(window.errorShown, timeout=60_000) as blocker:
        window.open_path(path)
    _title, message = blocker.args
    assert "truncated" in message and "cut.off" in message
    assert "setting an array element" not in message and "numpy" not in message.lower()
    window.error_dialog.button(QMessageBox.StandardButton.Ok).click()


def test_empty_reconstruction_says_why(qtbot, window):
    import pyvista as pv

    from voxstudio.gui.requests import ShapeResult

    empty = ShapeResult(seq=window.session.next_seq(), target="recon", grid=np.zeros((32,) * 3, bool), mesh=pv.PolyData(),
                        view=window.view_params(), label="pose as chair")
    window.shapes.show_shape(empty)
    caption = window.viewport.recon_caption()
    assert "empty" in caption and "threshold" in caption
    assert max(len(line) for line in caption.splitlines()) <= 45  # fits above a half-width view
    assert "empty" in window.statusBar().currentMessage()
    full = ShapeResult(seq=window.session.next_seq(), target="recon", grid=window.current.grid, mesh=window.current.mesh,
                       view=window.view_params(), label="reconstruction")
    window.shapes.show_shape(full)
    assert window.viewport.recon_caption() == "Reconstruction"


@pytest.mark.parametrize("size", [(1280, 800), (1440, 900)])  # the tests' and the app's default size
def test_all_pose_sliders_are_visible_without_scrolling(qtbot, tmp_path, make_window, size):
    window = make_window(size=size)
    _classified(qtbot, window, lambda: _open(qtbot, window, _a_file(tmp_path)))
    explorer = window.classify_panel.pose_box
    qtbot.waitUntil(explorer.has_pose, timeout=10_000)
    qtbot.wait(100)  # let the new rows be laid out
    scroll = window.classify_dock.widget()
    viewport = scroll.viewport()
    for slider in explorer.sliders:
        bottom = slider.mapTo(viewport, slider.rect().bottomLeft()).y()
        assert bottom <= viewport.height(), f"{slider.name.text()} is below the fold"
    assert len(explorer.sliders) == 16 and explorer.sliders[15].name.text() == "d16"


def test_help_lists_every_shortcut_and_links_the_docs(qtbot, window):
    from voxstudio.gui.actions import shortcut_rows

    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help")
    texts = [a.text().replace("&", "") for a in help_menu.actions()]
    assert "Keyboard shortcuts" in texts and "Documentation" in texts
    window.window_actions.shortcuts.trigger()
    dialog = window.shortcuts_dialog
    qtbot.waitExposed(dialog)
    shown = dict(dialog.rows())
    for command, keys, _tip in shortcut_rows(window.window_actions):
        assert shown[command] == keys
    assert shown["Quit"] == "Ctrl+Q" and shown["Export"] == "Ctrl+E" and shown["Keyboard shortcuts"] == "F1"
    assert "Orbit" in shown  # mouse controls too
    from PySide6.QtWidgets import QLabel

    link = dialog.findChild(QLabel, "docsLink")
    assert "README.md" in link.text() and link.openExternalLinks()
    out = DOCS / "shortcuts_dialog.png" if os.environ.get("VOXSTUDIO_UPDATE_DOCS") else None
    image = dialog.grab().toImage()
    assert image.height() > 300
    if out is not None:
        assert image.save(str(out))
    opened = []
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl = staticmethod(lambda url: opened.append(url) or True)  # no browser in tests
    try:
        assert window.open_documentation()
    finally:
        del QDesktopServices.openUrl
    assert opened[0].toLocalFile().endswith("README.md")


def test_quit_exits_the_process_quickly(tmp_path):
    """Ctrl+Q: the window closes, then ``quick_exit`` ends the process without the slow teardown."""
    import subprocess
    import sys

    script = tmp_path / "quit.py"
    script.write_text(
        "import sys, time\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "import voxstudio.gui\n"
        "from voxstudio.gui.app import quick_exit\n"
        "from voxstudio.gui.file_loader import shared_loader\n"
        "from voxstudio.gui.main_window import MainWindow\n"
        "app = QApplication([])\n"
        "w = MainWindow(engine_factory=None)\n"
        "w.show()\n"
        "shared_loader().warm_up()  # a reader child, as after opening a file\n"
        "QTimer.singleShot(1500, w.window_actions.quit.trigger)\n"
        "code = app.exec()\n"
        "print(f'closed {time.time():.3f}', flush=True)\n"
        "quick_exit(code)\n"
    )
    env = dict(os.environ, VOXSTUDIO_SETTINGS_DIR=str(tmp_path))
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()
    process.wait(timeout=60)
    ended = time.time()
    assert line.startswith("closed") and process.returncode == 0
    assert ended - float(line.split()[1]) < 1.0  # was ~2 s of interpreter shut-down
