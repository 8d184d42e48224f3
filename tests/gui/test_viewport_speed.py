"""Frame cost: the viewport's blit without pyvistaqt's alpha clear shows the same, opaque picture."""

from __future__ import annotations

from typing import Any

import numpy as np


def _frame(window: Any, qtbot: Any) -> np.ndarray:
    """The widget framebuffer as RGBA after a fresh paint (what Qt composites on screen)."""
    plotter = window.viewport.plotter
    painted = window.viewport.frames
    plotter.repaint()
    qtbot.waitUntil(lambda: window.viewport.frames > painted, timeout=10_000)
    image = plotter.grabFramebuffer().convertToFormat(plotter.grabFramebuffer().Format.Format_RGBA8888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()].copy()


def test_frames_are_opaque_and_unchanged_without_the_alpha_clear(window: Any, qtbot: Any) -> None:
    view = window.viewport
    assert view.plotter.opaque_frames  # this pyvistaqt has the blit the viewport overrides
    view.show_mesh(view.main_polydata.copy(), "recon")  # both renderers and both captions drawn
    view.set_split(True)
    fast = _frame(window, qtbot)
    assert view.main_polydata.n_cells > 0
    assert (fast[..., 3] == 255).all(), "VTK's frame must already be opaque where the alpha clear is skipped"
    view.plotter.opaque_frames = False  # pyvistaqt's own blit + alpha clear
    try:
        reference = _frame(window, qtbot)
    finally:
        view.plotter.opaque_frames = True
    assert np.array_equal(fast, reference)
    assert len(np.unique(fast[..., :3].reshape(-1, 3), axis=0)) > 30  # a real picture, not a blank frame
