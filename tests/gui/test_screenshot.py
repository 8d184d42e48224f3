"""A picture of the whole window (the README's docs/images/window.png).

Uses the shipped weights when they are present (that is the picture the README
wants), the random-init engine otherwise. The image always goes to a temporary
file; set VOXSTUDIO_UPDATE_DOCS=1 to also write docs/images/window.png.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import shared_engine, wait_for_shape
from PySide6.QtGui import QImage

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]
DOCS_IMAGE = REPO / "docs" / "images" / "window.png"


def _engine_factory():
    from voxstudio.paths import weights_dir

    if (weights_dir() / "gan.safetensors").exists():
        from voxstudio.models.engine import VoxelEngine

        return lambda: VoxelEngine.load(weights_dir(), device="cpu")
    return shared_engine


def _region_std(image: QImage, x0: int, y0: int, x1: int, y1: int) -> float:
    values = [image.pixelColor(x, y).lightness() for x in range(x0, x1, 7) for y in range(y0, y1, 7)]
    return float(np.std(values))


def test_whole_window_screenshot(qtbot, tmp_path, make_window):
    window = make_window(_engine_factory(), size=(1600, 1000))
    classes = window.engine_info.classes
    panel = window.generate_panel
    wait_for_shape(qtbot, window, lambda: panel.class_combo.setCurrentIndex(classes.index("chair") if "chair" in classes else 0))
    wait_for_shape(qtbot, window, lambda: panel.seed.setValue(4))
    if window.classify_panel.is_available():
        with qtbot.waitSignal(window.classified, timeout=60_000):
            window.classify_current()
    qtbot.wait(200)
    image = window.grab_window_image()
    path = tmp_path / "window.png"
    assert image.save(str(path))
    assert (image.width(), image.height()) == (window.width(), window.height())
    # the 3D view really was painted in (a plain grab leaves it black or blank)
    corner = window.viewport.plotter.mapTo(window, window.viewport.plotter.rect().topLeft())
    w, h = window.viewport.plotter.width(), window.viewport.plotter.height()
    assert _region_std(image, corner.x(), corner.y(), corner.x() + w, corner.y() + h) > 8.0
    if os.environ.get("VOXSTUDIO_UPDATE_DOCS") == "1":
        DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGE)


def test_real_file_classification_screenshot(qtbot, tmp_path, make_window):
    """A CC0 Kenney sofa (glTF: y up, front +z) opened, framed and classified (docs/images/classify_real_file.png)."""
    window = make_window(_engine_factory(), size=(1600, 1000))
    path = REPO / "tests" / "data" / "kenney" / "sofa" / "kenney_loungeSofa.glb"
    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        window.open_path(path)
    qtbot.wait(200)
    source = window.classify_panel.source_label.text()
    assert "y up, front +z (glTF) \u2192 z up" in source and "voxelised at 32\u00b3" in source
    outcome = blocker.args[0]
    assert outcome.classes[outcome.predicted] in window.classify_panel.result_label.text()
    image = window.grab_window_image()
    shot = tmp_path / "classify_real_file.png"
    assert image.save(str(shot))
    if os.environ.get("VOXSTUDIO_UPDATE_DOCS") == "1":
        shutil.copyfile(shot, DOCS_IMAGE.with_name("classify_real_file.png"))
