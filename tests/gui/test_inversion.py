""""Open in generator": latent inversion on the worker, progress, cancel, hand-over to the Generate panel."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
from gui_helpers import SlowInversionEngine, shared_engine

from voxstudio.core.io import save_voxels
from voxstudio.gui.inversion import voxel_iou
from voxstudio.models.latent import slerp

pytestmark = pytest.mark.gui

CLASS_ID = 3
STEPS = 30


def _target(seed: int) -> np.ndarray:
    engine = shared_engine()
    return engine.generate(engine.latent_for_seed(seed), CLASS_ID) >= 0.5


def _open(qtbot, window, path) -> None:
    window.open_path(path)
    qtbot.waitUntil(lambda: window.current is not None and window.current.source_path == path, timeout=60_000)


def _invert_current(qtbot, window, slot: str = "A", steps: int = STEPS) -> Any:
    """Click "Open in generator...", pick class / slot / steps, Start; wait for the hand-over."""
    button = window.classify_panel.invert_button
    qtbot.waitUntil(button.isEnabled, timeout=10_000)
    button.click()
    dialog = window.inversion.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.class_combo.setCurrentIndex(CLASS_ID)
    dialog.slot_combo.setCurrentIndex(0 if slot == "A" else 1)
    dialog.steps.setValue(steps)
    progress: list[int] = []
    dialog.progress.valueChanged.connect(progress.append)
    with qtbot.waitSignal(window.inversion.inversionFinished, timeout=120_000) as blocker:
        dialog.start_button.click()
    assert progress and 1 <= max(progress) <= steps  # the bar followed the search
    qtbot.waitUntil(lambda: window.inversion.dialog is None, timeout=10_000)  # closed itself
    return blocker.args[0]


def test_open_in_generator_hands_the_found_latent_to_the_generate_panel(qtbot, tmp_path, window):
    target = _target(seed=11)
    path = tmp_path / "mine.binvox"
    save_voxels(path, target)
    _open(qtbot, window, path)
    target = window.current.grid  # what the app inverts: the file framed like the training data
    window.generate_panel.sliders[0].set_value(1.0, emit=False)  # to be reset by the hand-over

    outcome = _invert_current(qtbot, window)
    engine = shared_engine()
    assert outcome.class_id == CLASS_ID and outcome.label == "mine.binvox" and 1 <= outcome.steps_run <= STEPS
    # the reported IoU is the generated shape's, and at least as good as the best start
    generated = engine.generate(outcome.z, CLASS_ID)
    assert outcome.iou == pytest.approx(voxel_iou(generated, target))
    start = engine.invert(target, CLASS_ID, steps=0)
    assert outcome.iou >= voxel_iou(engine.generate(start, CLASS_ID), target) - 1e-9

    panel = window.generate_panel
    loaded = panel.loaded_latent("A")
    assert loaded is not None and loaded.label == "mine.binvox"
    np.testing.assert_array_equal(loaded.array(), outcome.z)
    assert panel.chip_a.isVisible() and "mine.binvox" in panel.chip_a.label.text()
    assert panel.class_combo.currentIndex() == CLASS_ID
    assert all(s.value() == 0.0 for s in panel.sliders) and panel.t_slider.value() == 0
    qtbot.waitUntil(lambda: window.current.generate is not None and window.current.generate.latent_a is not None,
                    timeout=30_000)
    np.testing.assert_array_equal(window.current.grid >= 0.5, generated >= 0.5)
    assert "mine.binvox" in window.current.label

    # the latent sliders now morph the user's shape
    panel.sliders[0].set_value(2.0)
    qtbot.waitUntil(lambda: window.current.generate.sliders[0] == 2.0, timeout=30_000)
    offset = engine.slider_offset(np.eye(len(panel.sliders))[0] * 2.0)
    np.testing.assert_array_equal(window.current.grid >= 0.5, engine.generate(outcome.z, CLASS_ID, offset=offset) >= 0.5)

    # a new seed means "use the seed" again
    panel.seed.setValue(5)
    assert panel.loaded_latent("A") is None and not panel.chip_a.isVisible()
    qtbot.waitUntil(lambda: window.current.generate is not None and window.current.generate.seed_a == 5
                    and window.current.generate.latent_a is None, timeout=30_000)


def test_two_loaded_shapes_interpolate(qtbot, tmp_path, window):
    paths = []
    for name, seed in (("first.binvox", 21), ("second.binvox", 22)):
        paths.append(tmp_path / name)
        save_voxels(paths[-1], _target(seed))
    _open(qtbot, window, paths[0])
    a = _invert_current(qtbot, window, "A")
    _open(qtbot, window, paths[1])
    assert window.inversion.default_slot() == "B"  # A already holds another loaded shape
    b = _invert_current(qtbot, window, "B")
    panel = window.generate_panel
    assert panel.loaded_latent("A").label == "first.binvox" and panel.loaded_latent("B").label == "second.binvox"

    engine = shared_engine()
    for ticks, expected_z in ((1000, b.z), (500, slerp(a.z, b.z, 0.5))):
        panel.t_slider.setValue(ticks)
        qtbot.waitUntil(lambda: window.current.generate is not None
                        and window.current.generate.t == ticks / 1000, timeout=30_000)
        assert window.current.generate.latent_b is not None
        np.testing.assert_array_equal(window.current.grid >= 0.5, engine.generate(expected_z, CLASS_ID) >= 0.5)
    assert "first.binvox \u2192 second.binvox" in window.current.label


def test_cancel_stops_the_search_and_changes_nothing(qtbot, tmp_path, make_window):
    engine = SlowInversionEngine()
    window = make_window(factory=lambda: engine)
    path = tmp_path / "mine.binvox"
    save_voxels(path, _target(seed=11))
    _open(qtbot, window, path)
    params_before = window.generate_panel.params()

    window.classify_panel.invert_button.click()
    dialog = window.inversion.dialog
    dialog.steps.setValue(2000)
    dialog.start_button.click()
    assert not dialog.start_button.isEnabled() and not dialog.class_combo.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 3, timeout=60_000)
    dialog.cancel_button.click()
    assert window.inversion.dialog is None  # closed at once
    assert engine.returned.wait(10.0), "the worker did not stop the search"
    assert engine.steps_done < 2000
    qtbot.waitUntil(lambda: window.inversion.job is None, timeout=10_000)  # its (ignored) result came back
    assert window.generate_panel.params() == params_before
    assert window.generate_panel.loaded_latent("A") is None
    assert window.error_dialog is None


def test_closing_the_window_stops_a_running_search(qtbot, tmp_path, make_window):
    engine = SlowInversionEngine()
    window = make_window(factory=lambda: engine)
    path = tmp_path / "mine.binvox"
    save_voxels(path, _target(seed=11))
    _open(qtbot, window, path)
    window.classify_panel.invert_button.click()
    dialog = window.inversion.dialog
    dialog.steps.setValue(2000)
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 3, timeout=60_000)
    start = time.perf_counter()
    window.close()
    assert engine.returned.is_set() and engine.steps_done < 2000
    assert time.perf_counter() - start < 5.0


def test_open_in_generator_needs_a_model_and_a_shape(make_window):
    window = make_window(factory=None)  # no engine, nothing shown
    assert window.current is None and not window.classify_panel.invert_button.isEnabled()
    assert window.inversion.open_dialog() is None and window.inversion.dialog is None


def test_opening_a_file_warms_up_the_first_inversion_on_the_worker(qtbot, tmp_path, make_window):
    """Generating only never pays the optimiser's first import; an opened file (Open in generator
    offered) has it done on the worker thread before the user clicks."""

    class RecordingWarmUp:
        def __init__(self) -> None:
            self._engine = shared_engine()
            self.warmed_on: list[int] = []
            self.generated_on: set[int] = set()

        def __getattr__(self, name: str) -> Any:
            return getattr(self._engine, name)

        def warm_up_inversion(self) -> None:
            self.warmed_on.append(threading.get_ident())

        def generate(self, z: Any, class_id: Any, offset: Any = None) -> Any:
            self.generated_on.add(threading.get_ident())
            return self._engine.generate(z, class_id, offset=offset)

    engine = RecordingWarmUp()
    window = make_window(factory=lambda: engine)
    window.generate_panel.seed.setValue(3)
    qtbot.wait(300)
    assert engine.warmed_on == []  # a generated shape: nothing to invert
    path = tmp_path / "mine.binvox"
    save_voxels(path, _target(seed=5))
    _open(qtbot, window, path)
    qtbot.waitUntil(lambda: len(engine.warmed_on) == 1, timeout=10_000)
    assert set(engine.warmed_on) == engine.generated_on  # the worker thread, the one that runs torch ops
