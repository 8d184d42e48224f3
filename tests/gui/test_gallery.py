"""The Gallery in the real window: fills off the GUI thread, picks, "more like this", cancelling."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from gui_helpers import SlowEngine, shared_engine, wait_for_shape
from PySide6.QtCore import QElapsedTimer, Qt, QTimer

from voxstudio.gui.gallery import GalleryController
from voxstudio.session.shape_latent import current_latent

pytestmark = pytest.mark.gui


def gallery_of(window: Any) -> GalleryController:
    """The window's gallery (Generate > Gallery…)."""
    gallery = window.gallery
    assert isinstance(gallery, GalleryController)
    return gallery


class GapMeter:
    """Longest wait of the GUI event loop while it runs (a 5 ms timer that notes late ticks)."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = 0
        self.gaps: list[int] = []

    def start(self) -> None:
        self.clock.start()
        self.last = 0
        self.timer.start()

    def _tick(self) -> None:
        now = self.clock.elapsed()
        self.gaps.append(now - self.last)
        self.last = now

    def stop(self) -> int:
        self.timer.stop()
        return max(self.gaps)


def _fill(qtbot: Any, gallery: GalleryController, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: gallery.job is not None and gallery.filled() == gallery.job.spec.count, timeout=timeout)


def test_the_gallery_fills_progressively_while_the_event_loop_keeps_running(qtbot, make_window):
    slow = SlowEngine(shared_engine(), 0.6)  # each chunk of 4 takes >= 0.6 s on the worker
    window = make_window(factory=lambda: slow)
    gallery = gallery_of(window)
    start = time.perf_counter()
    dialog = gallery.open()
    assert dialog is not None and dialog.isVisible()
    assert time.perf_counter() - start < 0.5  # opening returns at once
    assert dialog.grid.count() == 12 and gallery.filled() == 0  # placeholders first
    qtbot.waitExposed(dialog)
    shown_at: list[float] = []
    gallery.thumbnailShown.connect(lambda _i: shown_at.append(time.perf_counter()))
    meter = GapMeter()
    meter.start()
    start = time.perf_counter()
    dialog.shuffle_button.click()  # a new batch, filled while the meter watches the event loop
    assert time.perf_counter() - start < 0.2
    _fill(qtbot, gallery)
    longest = meter.stop()
    total = time.perf_counter() - start
    assert gallery.filled() == 12 and len(shown_at) == 12
    assert total > 1.8  # three slow chunks...
    assert shown_at[0] - start < total - 1.0  # ...and the first pictures were there long before the last
    assert longest < 300, f"the GUI thread stalled {longest} ms while the gallery filled"
    assert len(meter.gaps) > total * 1000 / 50  # the loop ticked all along
    icons = [dialog.grid.item(i).icon().pixmap(64, 64).toImage() for i in range(12)]
    assert all(not icon.isNull() for icon in icons)
    assert dialog.status.text().startswith("12 samples in")


def test_ctrl_g_and_the_generate_menu_open_the_gallery(qtbot, window):
    from voxstudio.gui.actions import shortcut_rows

    action = window.window_actions.gallery
    assert action.shortcut().toString() == "Ctrl+G" and action.isEnabled()
    generate_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Generate")
    assert action in generate_menu.actions()
    assert any(row[0] == "Gallery" and row[1] == "Ctrl+G" for row in shortcut_rows(window.window_actions))
    window.activateWindow()  # window shortcuts need the active window (Xvfb has no window manager to give it)
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    dialog = window.gallery.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.class_combo.currentIndex() == window.current.generate.class_id  # the current class
    _fill(qtbot, window.gallery)


def test_clicking_a_sample_shows_exactly_that_shape_in_the_main_window(qtbot, window):
    engine = shared_engine()
    gallery = gallery_of(window)
    dialog = gallery.open()
    dialog.class_combo.setCurrentIndex(3)  # a batch of another class
    _fill(qtbot, gallery)
    assert {s.class_id for s in gallery.samples.values()} == {3}
    grid_view = dialog.grid
    item = grid_view.item(5)
    sample = gallery.samples[5]
    rect = grid_view.visualItemRect(item)

    def click() -> None:
        qtbot.mouseClick(grid_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    shown = wait_for_shape(qtbot, window, click)
    panel = window.generate_panel
    assert panel.class_combo.currentIndex() == 3 and panel.seed.value() == sample.seed
    assert all(s.value() == 0.0 for s in panel.sliders) and panel.loaded_latent("A") is None
    assert shown.generate.class_id == 3 and shown.generate.seed_a == sample.seed
    expected = engine.generate(engine.latent_for_seed(sample.seed), 3)
    np.testing.assert_array_equal(shown.grid, expected)
    np.testing.assert_allclose(gallery.grids[5], expected, atol=1e-5)  # the thumbnail's shape is that shape
    assert dialog.isVisible()  # a click previews; the gallery stays open

    # Use: the selected sample, and the gallery closes
    grid_view.setCurrentRow(7)
    other = gallery.samples[7]
    shown = wait_for_shape(qtbot, window, dialog.use_button.click)
    assert shown.generate.seed_a == other.seed and not dialog.isVisible()
    np.testing.assert_array_equal(shown.grid, engine.generate(engine.latent_for_seed(other.seed), 3))


def test_more_like_this_varies_the_current_shape(qtbot, window):
    engine = shared_engine()
    panel = window.generate_panel
    wait_for_shape(qtbot, window, lambda: panel.seed.setValue(42))
    wait_for_shape(qtbot, window, lambda: panel.set_slider_values([0.8, -0.5] + [0.0] * (len(panel.sliders) - 2)))
    params = window.current.generate
    base = current_latent(engine, params).z
    gallery = gallery_of(window)
    dialog = gallery.open()
    dialog.spread_spin.setValue(0.25)
    _fill(qtbot, gallery)
    assert gallery.more_like_this()
    _fill(qtbot, gallery)
    samples = [gallery.samples[i] for i in range(12)]
    latents = np.stack([s.array() for s in samples])
    assert all(s.seed is None and s.class_id == params.class_id for s in samples)
    near = np.linalg.norm(latents - base, axis=1)
    others = np.linalg.norm(np.stack([engine.latent_for_seed(s) for s in range(1000, 1012)]) - base, axis=1)
    assert near.max() < 0.5 * others.min()  # around the current latent
    pairwise = np.linalg.norm(latents[:, None] - latents[None], axis=-1)[np.triu_indices(12, 1)]
    assert pairwise.min() > 0.5  # and different from each other
    assert samples[3].label == "seed 42 + sliders ~4"
    assert dialog.status.text().startswith("12 like seed 42 + sliders (spread 0.25) in")
    grids = np.stack([gallery.grids[i] >= 0.5 for i in range(12)])
    assert len({g.tobytes() for g in grids}) > 1

    # the batch seed makes it reproducible
    before = [s.latent for s in samples]
    dialog.seed_spin.setValue(dialog.seed_spin.value() + 1)
    _fill(qtbot, gallery)
    assert [gallery.samples[i].latent for i in range(12)] != before
    dialog.seed_spin.setValue(dialog.seed_spin.value() - 1)
    _fill(qtbot, gallery)
    assert [gallery.samples[i].latent for i in range(12)] == before

    # double-click: that latent becomes end A, with the sliders it was drawn with, and the gallery closes
    chosen = gallery.samples[2]
    item = dialog.grid.item(2)
    rect = dialog.grid.visualItemRect(item)

    def double_click() -> None:  # as a mouse does it: press, release, double-click
        qtbot.mouseClick(dialog.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(dialog.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    shown = wait_for_shape(qtbot, window, double_click)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert panel.loaded_latent("A") is not None and panel.loaded_latent("A").z == chosen.latent
    assert shown.generate.sliders == params.sliders and shown.generate.t == 0.0
    assert [s.value() for s in panel.sliders[:2]] == pytest.approx([0.8, -0.5])
    np.testing.assert_array_equal(shown.grid, engine.generate(chosen.array(), params.class_id,
                                                              offset=current_latent(engine, params).offset))
    np.testing.assert_allclose(shown.grid, gallery.grids[2], atol=1e-5)  # what its thumbnail showed


def test_shuffle_and_count_give_new_batches(qtbot, window):
    gallery = gallery_of(window)
    dialog = gallery.open()
    _fill(qtbot, gallery)
    first = {s.seed for s in gallery.samples.values()}
    dialog.shuffle_button.click()
    _fill(qtbot, gallery)
    assert first.isdisjoint(s.seed for s in gallery.samples.values())
    kept = [gallery.samples[i].seed for i in range(12)]
    dialog.count_spin.setValue(16)
    _fill(qtbot, gallery)
    assert dialog.grid.count() == 16 and [gallery.samples[i].seed for i in range(12)] == kept


def test_closing_while_filling_stops_the_work_and_reopening_finishes_it(qtbot, make_window):
    slow = SlowEngine(shared_engine(), 0.3)
    window = make_window(factory=lambda: slow)
    gallery = gallery_of(window)
    dialog = gallery.open()
    qtbot.waitUntil(lambda: gallery.filled() >= 1, timeout=30_000)
    dialog.close()
    calls = len(slow.calls)
    filled = gallery.filled()
    qtbot.wait(1200)  # time for two more chunks, had it gone on
    assert gallery.filled() == filled < 12
    assert len(slow.calls) <= calls + 1  # at most the chunk that was already running
    assert gallery.open() is dialog
    _fill(qtbot, gallery)


def test_closing_the_window_while_the_gallery_fills_does_not_crash(qtbot, make_window):
    slow = SlowEngine(shared_engine(), 0.2)
    window = make_window(factory=lambda: slow)
    gallery = gallery_of(window)
    gallery.open()
    qtbot.waitUntil(lambda: gallery.filled() >= 1, timeout=30_000)
    window.close()
    qtbot.wait(800)
    assert gallery.job is not None and gallery.job.is_cancelled()
    assert gallery.pool.activeThreadCount() == 0


def test_gallery_picture(qtbot, make_window, tmp_path):
    """The window with the gallery over it; ``VOXSTUDIO_UPDATE_DOCS=1`` draws it with the shipped
    weights into docs/images/gallery.png."""
    import os
    from pathlib import Path

    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter

    from voxstudio.gui.main_window import default_engine_factory

    update = bool(os.environ.get("VOXSTUDIO_UPDATE_DOCS"))
    window = make_window(factory=default_engine_factory(device="cpu") if update else shared_engine,
                         size=(1440, 900))
    chair = window.engine_info.classes.index("chair")
    wait_for_shape(qtbot, window, lambda: window.generate_panel.set_class(chair))
    gallery = gallery_of(window)
    dialog = gallery.open()
    dialog.resize(4 * 136 + 60, 560)  # four columns, over the (empty) Classify dock
    dialog.move(window.geometry().topLeft() + QPoint(window.width() - dialog.width() - 8, 250))
    _fill(qtbot, gallery)

    def click(index: int) -> None:
        rect = dialog.grid.visualItemRect(dialog.grid.item(index))
        qtbot.mouseClick(dialog.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    wait_for_shape(qtbot, window, lambda: click(4))  # a sample of the class...
    assert gallery.more_like_this()  # ...and shapes like it
    _fill(qtbot, gallery)
    wait_for_shape(qtbot, window, lambda: click(5))
    qtbot.waitUntil(lambda: window.painted_seq() >= window.shown_seq("main"), timeout=10_000)
    qtbot.wait(300)
    image = window.grab_window_image()
    painter = QPainter(image)
    painter.drawPixmap(dialog.geometry().topLeft() - window.geometry().topLeft(), dialog.grab())
    painter.end()
    assert image.width() >= 1000 and dialog.width() > 500
    out = Path(__file__).resolve().parents[2] / "docs" / "images" / "gallery.png" if update else tmp_path / "g.png"
    assert image.save(str(out))


def test_more_like_this_needs_a_generated_shape(qtbot, window):
    from voxstudio.paths import resource_path

    gallery = gallery_of(window)
    dialog = gallery.open()
    assert dialog.like_button.isEnabled()
    wait_for_shape(qtbot, window, lambda: window.open_path(resource_path("samples", "sofa.binvox")))
    assert not dialog.like_button.isEnabled() and "file" in dialog.like_button.toolTip()
    job = gallery.job
    assert not gallery.more_like_this() and gallery.job is job  # nothing to vary: the batch stays


def test_enter_applies_a_field_or_picks_the_current_sample_and_nothing_else(qtbot, window):
    gallery = gallery_of(window)
    dialog = gallery.open()
    _fill(qtbot, gallery)
    seeds = [gallery.samples[i].seed for i in range(12)]
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    dialog.count_spin.setFocus()
    dialog.count_spin.selectAll()
    qtbot.keyClicks(dialog.count_spin, "8")
    qtbot.keyClick(dialog.count_spin, Qt.Key.Key_Return)  # applies the count; no default button fires
    _fill(qtbot, gallery)
    assert dialog.grid.count() == 8 and [gallery.samples[i].seed for i in range(8)] == seeds[:8]
    dialog.grid.setFocus()
    dialog.grid.setCurrentRow(3)
    shown = wait_for_shape(qtbot, window, lambda: qtbot.keyClick(dialog.grid, Qt.Key.Key_Return))
    assert shown.generate.seed_a == seeds[3] and not dialog.isVisible()


def test_a_pick_is_one_undoable_step(qtbot, window):
    panel = window.generate_panel
    wait_for_shape(qtbot, window, lambda: panel.seed.setValue(5))
    qtbot.wait(50)
    before = window.current.generate
    gallery = gallery_of(window)
    gallery.open()
    _fill(qtbot, gallery)
    picked = wait_for_shape(qtbot, window, lambda: gallery.pick(2))
    assert picked.generate.seed_a == gallery.samples[2].seed
    back = wait_for_shape(qtbot, window, window.history.undo)  # Edit > Undo shape change
    assert back.generate == before
