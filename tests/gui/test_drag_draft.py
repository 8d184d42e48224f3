"""Draft frames during a slider drag: cheap frames while it goes on, a full-quality one after."""

from __future__ import annotations

from typing import Any

import numpy as np

from voxstudio.gui.drag_draft import DraftDuringDrag
from voxstudio.gui.viewport import DRAFT_SCALE


def _full_size(window: Any) -> tuple[int, int]:
    plotter = window.viewport.plotter
    ratio = plotter.devicePixelRatioF()
    return round(plotter.width() * ratio), round(plotter.height() * ratio)


def _painted_sizes(window: Any) -> list[tuple[int, int]]:
    sizes: list[tuple[int, int]] = []
    window.viewport.frameRendered.connect(lambda _ms: sizes.append(window.viewport.last_frame_size))
    return sizes


def _framebuffer(window: Any, qtbot: Any) -> np.ndarray:
    """The widget framebuffer (RGB) after a fresh paint: what Qt shows on screen."""
    plotter = window.viewport.plotter
    painted = window.viewport.frames
    plotter.repaint()
    qtbot.waitUntil(lambda: window.viewport.frames > painted, timeout=10_000)
    image = plotter.grabFramebuffer().convertToFormat(plotter.grabFramebuffer().Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine())[:, : 3 * image.width()].copy()


def _drag(qtbot: Any, window: Any, values: range) -> None:
    """Move slider 1 through ``values`` like a held mouse drag, one move per shown frame."""
    slider = window.generate_panel.sliders[1].slider
    slider.setSliderDown(True)
    try:
        for value in values:
            slider.setValue(value)
            target = window.latest_request_seq()
            qtbot.waitUntil(lambda target=target: window.painted_seq() >= target, timeout=10_000)
    finally:
        slider.setSliderDown(False)


def test_a_drag_draws_drafts_and_the_still_frame_after_it_is_full_quality(qtbot: Any, window: Any) -> None:
    view = window.viewport
    # Wide timings, so that a slow frame on a loaded machine never ends the drag early.
    window.shapes.drafts = DraftDuringDrag(view, burst_ms=5_000, settle_ms=1_000, dragging=lambda: False)
    full = _full_size(window)
    draft = (round(full[0] * DRAFT_SCALE), round(full[1] * DRAFT_SCALE))
    sizes = _painted_sizes(window)
    _drag(qtbot, window, range(-100, 60, 20))
    assert view.draft
    assert sizes[-1] == draft, "frames during a drag are drafts"
    assert sizes.count(draft) >= 5
    qtbot.waitUntil(lambda: not view.draft, timeout=5_000)  # settles SETTLE_MS after the last change
    qtbot.waitUntil(lambda: sizes[-1] == full, timeout=5_000)  # and draws the shape at full quality
    assert window.current.generate.sliders[1] == window.generate_panel.params().sliders[1] != 0.0
    # The still frame is exactly what a window that never drafted shows for the same shape.
    settled = _framebuffer(window, qtbot)
    window.shapes.drafts.enabled = False
    window.shapes.regenerate()  # the same parameters: only re-meshed, never drafted
    qtbot.waitUntil(lambda: window.painted_seq() >= window.latest_request_seq(), timeout=10_000)
    assert not view.draft and view.last_frame_size == full
    assert np.array_equal(_framebuffer(window, qtbot), settled)
    assert len(np.unique(settled.reshape(-1, 3), axis=0)) > 30  # a real picture


def test_a_single_change_is_shown_at_full_quality_at_once(qtbot: Any, window: Any) -> None:
    clock = [100.0]
    drafts = window.shapes.drafts = DraftDuringDrag(window.viewport, clock=lambda: clock[0], dragging=lambda: False)
    sizes = _painted_sizes(window)
    slider = window.generate_panel.sliders[0].slider
    slider.setValue(80)  # one change: no drag going on
    qtbot.waitUntil(lambda: window.painted_seq() >= window.latest_request_seq(), timeout=10_000)
    assert not window.viewport.draft and sizes[-1] == _full_size(window)
    clock[0] += 1.0  # a second later: still a single change
    slider.setValue(-80)
    assert not window.viewport.draft
    clock[0] += 0.05  # 50 ms later: a burst, i.e. a drag (keyboard repeat, wheel, animation)
    slider.setValue(-60)
    assert window.viewport.draft
    drafts.settle()
    assert not window.viewport.draft


def test_a_screenshot_during_a_drag_is_full_quality(qtbot: Any, window: Any) -> None:
    view = window.viewport
    view.set_draft(True)
    image = view.render_image()
    plotter = view.plotter
    assert image.shape[:2] == (plotter.height(), plotter.width())
    assert not view.draft


def test_a_fast_drag_generates_only_the_newest_parameters(qtbot: Any, window: Any) -> None:
    """Slider moves faster than the worker: stale requests are dropped, the last one is shown."""
    slider = window.generate_panel.sliders[2].slider
    generated = window.client.stats["generate"]
    slider.setSliderDown(True)
    for value in range(-200, 201, 4):  # 101 moves without waiting for a frame
        slider.setValue(value)
        qtbot.wait(1)
    slider.setSliderDown(False)
    qtbot.waitUntil(lambda: window.painted_seq() >= window.latest_request_seq(), timeout=10_000)
    assert window.client.stats["generate"] - generated < 101
    assert window.current.generate == window.generate_panel.params()


def test_a_change_while_the_mouse_holds_a_slider_is_a_drag_from_the_first_move(qtbot: Any, window: Any) -> None:
    held = [True]
    drafts = DraftDuringDrag(window.viewport, settle_ms=50, clock=lambda: 0.0, dragging=lambda: held[0])
    drafts.changed()  # the first move of a mouse drag: no earlier change, yet a drag
    assert window.viewport.draft
    held[0] = False
    qtbot.waitUntil(lambda: not window.viewport.draft, timeout=2_000)  # settled after 50 ms without a change
