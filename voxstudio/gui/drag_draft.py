"""Draft frames while the shape is dragged, a full-quality frame once the drag ends.

Why: under software OpenGL (Mesa llvmpipe) a frame's cost grows with its pixels,
and a slider drag asks for a new shape on every mouse move. While changes come
in quick succession the viewport renders drafts (``Viewport.set_draft``: a
quarter of the pixels, scaled up); when they stop for :data:`SETTLE_MS` it
renders the shape at full quality again. A single change (a click on a seed,
a class pick) is shown at full quality at once.

What counts as a drag: a change while a mouse button is held (a slider being
dragged), or a change within :data:`BURST_MS` of the previous one (keyboard
repeat, wheel, animation, a programmatic drag such as ``bench/bench_gui.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from voxstudio.gui.viewport import Viewport

#: A change this soon after the previous one continues a drag.
BURST_MS = 250
#: No change for this long ends the drag: the shown shape is rendered at full quality.
SETTLE_MS = 150


def mouse_button_held() -> bool:
    """Whether a mouse button is down (a slider is being dragged)."""
    return QGuiApplication.mouseButtons() != Qt.MouseButton.NoButton


class DraftDuringDrag(QObject):
    """Switches ``viewport`` to draft frames during a drag and back when it settles."""

    def __init__(self, viewport: Viewport, burst_ms: int = BURST_MS, settle_ms: int = SETTLE_MS,
                 clock: Callable[[], float] = time.perf_counter,
                 dragging: Callable[[], bool] = mouse_button_held) -> None:
        super().__init__(viewport)
        self.viewport = viewport
        self._burst_s = burst_ms / 1000.0
        self._clock = clock
        self._dragging = dragging
        self._last_change: float | None = None
        self.enabled = True  # False: always full quality (the benchmark's A/B)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(settle_ms)
        self._settle.timeout.connect(self.settle)

    def changed(self) -> None:
        """A new shape was asked for (call on every parameter change)."""
        if not self.enabled:
            return
        now = self._clock()
        in_burst = self._last_change is not None and now - self._last_change < self._burst_s
        self._last_change = now
        if in_burst or self._dragging():
            self.viewport.set_draft(True)
        if self.viewport.draft:
            self._settle.start()  # restarts: full quality SETTLE_MS after the last change

    def settle(self) -> None:
        """The drag is over: render what is shown at full quality."""
        self._settle.stop()
        self.viewport.set_draft(False)
