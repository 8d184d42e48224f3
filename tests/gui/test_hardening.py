"""Hostile files in the window (issue 14): a clear error message, never a hang or a traceback."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import trimesh
from gui_helpers import wait_for_shape
from PySide6.QtWidgets import QMessageBox

pytestmark = [pytest.mark.gui, pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")]


def _open_and_get_error(qtbot, window, path: Path) -> tuple[str, str, float]:
    """Open ``path``; wait for the error dialog; return (title, message, seconds) after closing it."""
    start = time.perf_counter()
    with qtbot.waitSignal(window.errorShown, timeout=30_000) as blocker:
        window.open_path(path)
    elapsed = time.perf_counter() - start
    qtbot.waitUntil(lambda: window.error_dialog is not None and window.error_dialog.isVisible(), timeout=10_000)
    assert window.error_dialog.text() == blocker.args[1]
    window.error_dialog.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: window.error_dialog is None)
    return blocker.args[0], blocker.args[1], elapsed


def test_gltf_whose_buffer_is_a_fifo_shows_an_error_instead_of_hanging(qtbot, tmp_path, window):
    files = trimesh.creation.box(extents=(1, 2, 3)).export(file_type="gltf")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    buffer = json.loads(files["model.gltf"])["buffers"][0]["uri"]
    (tmp_path / buffer).unlink()
    os.mkfifo(tmp_path / buffer)  # nobody ever writes to it: reading it would block forever
    title, message, elapsed = _open_and_get_error(qtbot, window, tmp_path / "model.gltf")
    assert title == "Could not open file"
    assert "model.gltf" in message and "FIFO" in message and buffer in message
    assert "Traceback" not in message
    assert elapsed < 30
    # the app still works: the next action renders
    wait_for_shape(qtbot, window, lambda: window.generate_panel.seed.setValue(5))


def test_oversize_binvox_shows_the_limit_in_the_window(qtbot, tmp_path, window):
    path = tmp_path / "flat.binvox"  # 8 KB that would frame into a 1024^3 (1 GB) grid
    path.write_bytes(b"#binvox 1\ndim 1024 1 1024\ndata\n" + b"\x01\xff" * 4112 + b"\x01\x10")
    title, message, _ = _open_and_get_error(qtbot, window, path)
    assert title == "Could not open file"
    assert "flat.binvox" in message and "over the limit of 134,217,728 voxels (512^3)" in message
    assert "Traceback" not in message
    wait_for_shape(qtbot, window, lambda: window.generate_panel.seed.setValue(6))
