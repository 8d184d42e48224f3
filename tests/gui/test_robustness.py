"""Robustness cases test_errors.py does not cover: a weights folder that does not exist at all,
and a truncated weights download (valid JSON, damaged tensors file). In both the app must
show the problem, stay usable for files, and generate again once a working engine is loaded.
(Corrupt JSON, an empty weights folder and a 10 MB random drop are in test_errors.py.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import shared_engine, wait_for_shape

from voxstudio.core.io import save_voxels
from voxstudio.core.io.prepare import frame_grid
from voxstudio.gui.main_window import default_engine_factory
from voxstudio.paths import weights_dir

pytestmark = pytest.mark.gui


def _still_opens_files(qtbot, window, tmp_path: Path) -> None:
    grid = np.zeros((32, 32, 32), bool)
    grid[6:26, 10:22, 0:9] = True
    path = tmp_path / "block.npy"
    save_voxels(path, grid)
    wait_for_shape(qtbot, window, lambda: window.open_path(path))
    np.testing.assert_array_equal(window.current.grid, frame_grid(grid, 32))  # framed like the training data
    assert window.viewport.main_polydata.n_cells > 0


def _recovers_and_generates(qtbot, window) -> None:
    """After the failed load, a working engine makes the window generate again (worker not stuck)."""
    window.load_engine(shared_engine)
    qtbot.waitUntil(lambda: window.engine_state == "ready", timeout=120_000)
    assert not window.banner.isVisible()
    assert window.generate_panel.is_available()
    wait_for_shape(qtbot, window, lambda: window.generate_panel.seed.setValue(7))
    assert window.current_source == "generated" and window.current.generate.seed_a == 7
    assert window.viewport.main_polydata.n_cells > 0


def test_weights_folder_that_does_not_exist(qtbot, tmp_path, monkeypatch, make_window):
    missing = tmp_path / "not" / "there"
    monkeypatch.setenv("VOXSTUDIO_WEIGHTS", str(missing))
    window = make_window(default_engine_factory())
    assert window.engine_state == "failed"
    assert window.banner.isVisible() and window.banner.level == "warning"
    assert "not found" in window.banner.text() and "there" in window.banner.text()  # says which folder
    assert not window.generate_panel.is_available()
    assert not window.classify_panel.classify_button.isEnabled()
    _still_opens_files(qtbot, window, tmp_path)
    _recovers_and_generates(qtbot, window)


@pytest.mark.skipif(not (Path(weights_dir()) / "capsnet.json").is_file(), reason="needs the shipped capsnet weights")
@pytest.mark.parametrize("damage", ["truncated", "random"])
def test_damaged_tensors_file_next_to_a_valid_config(qtbot, tmp_path, monkeypatch, make_window, damage):
    """An interrupted download: capsnet.json is fine, capsnet.safetensors is cut short or garbage."""
    folder = tmp_path / "weights"
    folder.mkdir()
    shutil.copy(Path(weights_dir()) / "capsnet.json", folder / "capsnet.json")
    original = (Path(weights_dir()) / "capsnet.safetensors").read_bytes()
    rng = np.random.default_rng(0)
    data = original[: len(original) // 3] if damage == "truncated" else rng.bytes(len(original))
    (folder / "capsnet.safetensors").write_bytes(data)
    monkeypatch.setenv("VOXSTUDIO_WEIGHTS", str(folder))
    window = make_window(default_engine_factory())
    assert window.engine_state == "failed"
    assert window.banner.isVisible() and "capsnet" in window.banner.text()
    assert "capsnet" in window.statusBar().currentMessage()
    assert not window.classify_panel.classify_button.isEnabled()
    _still_opens_files(qtbot, window, tmp_path)
    _recovers_and_generates(qtbot, window)
