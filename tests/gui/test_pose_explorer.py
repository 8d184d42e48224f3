"""Capsule pose explorer: pose sliders redraw the decoder's reconstruction through the worker.

Uses the shipped capsule network (``weights/capsnet.*`` is committed): an
untrained one has poses of length ~1e-6, whose decodes barely move.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

import numpy as np
import pytest
from gui_helpers import mesh_signature

from voxstudio.gui.pose_explorer import POSE_STEPS
from voxstudio.paths import resource_path, weights_dir

pytestmark = pytest.mark.gui

SAMPLE = "chair"


@functools.cache
def shipped_engine() -> Any:
    from voxstudio.models.engine import VoxelEngine

    return VoxelEngine.load(device="cpu")


class RecordingEngine:
    """The shipped engine, recording the thread of every ``decode_pose`` (plus an optional delay)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self._engine = shipped_engine()
        self.delay_s = delay_s
        self.decode_threads: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def decode_pose(self, pose: np.ndarray, class_id: int) -> np.ndarray:
        self.decode_threads.append(threading.get_ident())
        time.sleep(self.delay_s)
        return self._engine.decode_pose(pose, class_id)


@pytest.fixture
def explored(qtbot, make_window):
    """(window, engine, outcome): the chair sample opened and classified, explorer loaded."""
    if not (weights_dir() / "capsnet.safetensors").exists():
        pytest.skip("needs the shipped capsule network weights")
    return _open_sample(qtbot, make_window, RecordingEngine())


def _open_sample(qtbot, make_window, engine: RecordingEngine):
    window = make_window(factory=lambda: engine)
    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        window.open_path(resource_path("samples", f"{SAMPLE}.binvox"))
    return window, engine, blocker.args[0]


def _wait_recon(qtbot, window, action) -> None:
    """Run ``action`` and wait until the reconstruction view shows its newest request."""
    before = window.latest_request_seq()
    action()
    target = window.latest_request_seq()
    assert target > before, "the action sent no request to the worker"
    qtbot.waitUntil(lambda: window.shown_seq("recon") >= target, timeout=30_000)


def test_classification_fills_the_sliders_with_the_predicted_capsule_pose(explored):
    window, engine, outcome = explored
    explorer = window.classify_panel.pose_box
    predicted = outcome.predicted
    assert engine.classes[predicted] == SAMPLE
    assert len(explorer.sliders) == outcome.poses.shape[1] == 16
    assert all(s.isEnabled() for s in explorer.sliders) and explorer.reset_button.isEnabled()
    np.testing.assert_array_equal(explorer.pose(), outcome.poses[predicted])  # exact, not rounded to ticks
    assert explorer.class_id() == predicted and not explorer.is_modified()
    assert SAMPLE in explorer.info.text()
    # the classifier's reconstruction is the decoder's output for exactly this pose and class
    np.testing.assert_allclose(shipped_engine().decode_pose(outcome.poses[predicted], predicted),
                               outcome.reconstruction.grid, atol=1e-5)


def test_moving_a_pose_slider_redraws_the_reconstruction_and_reset_restores_it(qtbot, explored):
    window, engine, outcome = explored
    explorer = window.classify_panel.pose_box
    original_grid = window.reconstruction.grid.copy()
    original_mesh = mesh_signature(window.viewport.recon_polydata)
    slider = explorer.sliders[1]
    start = slider.value()

    _wait_recon(qtbot, window, lambda: slider.slider.setValue(slider.slider.value() + 60))  # +0.30, like a drag
    assert slider.value() == pytest.approx(start + 0.30, abs=0.5 / POSE_STEPS)
    assert explorer.is_modified() and slider.readout.font().bold()
    moved = window.reconstruction.grid
    expected = shipped_engine().decode_pose(explorer.pose(), outcome.predicted)
    np.testing.assert_allclose(moved, expected, atol=1e-5)
    assert np.abs(moved - original_grid).max() > 0.1
    assert mesh_signature(window.viewport.recon_polydata) != original_mesh
    assert window.viewport.split  # the view being edited is on screen
    # decoding ran on the engine worker, never on the GUI thread
    assert engine.decode_threads and threading.get_ident() not in engine.decode_threads

    _wait_recon(qtbot, window, explorer.reset_button.click)
    assert not explorer.is_modified() and not slider.readout.font().bold()
    assert slider.value() == pytest.approx(start, abs=1e-6)
    np.testing.assert_allclose(window.reconstruction.grid, original_grid, atol=1e-5)
    assert mesh_signature(window.viewport.recon_polydata) == original_mesh


def test_swap_class_decodes_the_same_pose_in_another_class_slot(qtbot, explored):
    window, engine, outcome = explored
    explorer = window.classify_panel.pose_box
    other = engine.classes.index("bed")
    pose = explorer.pose()
    _wait_recon(qtbot, window, lambda: explorer.class_combo.setCurrentIndex(other))
    np.testing.assert_array_equal(explorer.pose(), pose)  # same pose, other slot
    np.testing.assert_allclose(window.reconstruction.grid, shipped_engine().decode_pose(pose, other), atol=1e-5)
    assert np.abs(window.reconstruction.grid - outcome.reconstruction.grid).max() > 0.1
    assert explorer.is_modified()
    _wait_recon(qtbot, window, explorer.reset)
    assert explorer.class_id() == outcome.predicted
    np.testing.assert_allclose(window.reconstruction.grid, outcome.reconstruction.grid, atol=1e-5)


def test_a_pose_drag_is_coalesced_latest_wins(qtbot, make_window):
    if not (weights_dir() / "capsnet.safetensors").exists():
        pytest.skip("needs the shipped capsule network weights")
    window, engine, outcome = _open_sample(qtbot, make_window, RecordingEngine(delay_s=0.05))
    slider = window.classify_panel.pose_box.sliders[3]
    decodes_before = len(engine.decode_threads)
    ticks = slider.slider.value()
    moves = 30
    for step in range(1, moves + 1):  # a fast drag: far more moves than 50 ms decodes can serve
        slider.slider.setValue(ticks + 2 * step)
    target = window.latest_request_seq()
    qtbot.waitUntil(lambda: window.shown_seq("recon") >= target, timeout=30_000)
    served = len(engine.decode_threads) - decodes_before
    assert 1 <= served < moves
    final = window.classify_panel.pose_box.pose()
    expected = shipped_engine().decode_pose(final, outcome.predicted)
    np.testing.assert_allclose(window.reconstruction.grid, expected, atol=1e-5)


def test_a_new_classification_replaces_the_pose(qtbot, explored):
    window, engine, _ = explored
    explorer = window.classify_panel.pose_box
    explorer.sliders[0].set_value(0.5)  # edited pose of the chair...
    with qtbot.waitSignal(window.classified, timeout=60_000) as blocker:
        window.open_path(resource_path("samples", "bed.binvox"))  # ...then another shape arrives
    outcome = blocker.args[0]
    assert engine.classes[outcome.predicted] == "bed"
    assert explorer.class_id() == outcome.predicted and not explorer.is_modified()
    np.testing.assert_array_equal(explorer.pose(), outcome.poses[outcome.predicted])
    qtbot.waitUntil(lambda: window.shown_seq("recon") >= window.latest_request_seq(), timeout=30_000)
    np.testing.assert_allclose(window.reconstruction.grid, outcome.reconstruction.grid, atol=1e-5)
