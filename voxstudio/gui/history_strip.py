"""The strip of recent shapes under the 3D view, and the thread that draws their thumbnails.

Why a thread pool of one: a thumbnail is drawn from the shape's grid by
``voxstudio.core.thumbnail.render_thumbnail`` (numpy z-buffer, the app's camera
and height colours; a few ms, and unlike an offscreen VTK render it is safe on a
thread beside the Qt viewport's OpenGL context). It still never runs on the GUI
thread; one pool thread keeps the renders in order and off the engine worker, so
a thumbnail never delays the next slider frame. Results come back as a queued
signal; the GUI thread only wraps the pixels in a QImage.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from voxstudio.session.shape_state import ShapeState

THUMB_SIZE = 72
STRIP_HEIGHT = THUMB_SIZE + 22
STATE_ROLE = Qt.ItemDataRole.UserRole


class _Signals(QObject):
    rendered = Signal(object, object)  # key, RGB uint8 array (H, W, 3)
    failed = Signal(object, str)


class _RenderTask(QRunnable):
    def __init__(self, key: object, grid: np.ndarray, threshold: float, signals: _Signals) -> None:
        super().__init__()
        self.key = key
        self.grid = grid
        self.threshold = threshold
        self.signals = signals

    def run(self) -> None:  # pool thread
        from voxstudio.core.thumbnail import render_thumbnail

        try:
            image = render_thumbnail(self.grid, THUMB_SIZE, self.threshold)
        except Exception as error:  # noqa: BLE001 - a failed thumbnail is shown blank, never fatal
            self.signals.failed.emit(self.key, str(error))
            return
        self.signals.rendered.emit(self.key, image)


class ThumbnailRenderer(QObject):
    """Renders grids to small images on its own thread; ``rendered(key, QImage)`` on the GUI thread."""

    rendered = Signal(object, QImage)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one at a time, in request order, one core left to the engine
        self._signals = _Signals(self)
        self._signals.rendered.connect(self._on_rendered)
        self.rendered_count = 0
        self._closed = False

    def request(self, key: object, grid: np.ndarray, threshold: float = 0.5) -> None:
        """Queue a render of ``grid`` (copied: the caller may reuse its array)."""
        if not self._closed:
            self.pool.start(_RenderTask(key, np.array(grid, copy=True), threshold, self._signals))

    def _on_rendered(self, key: object, pixels: np.ndarray) -> None:
        if self._closed:
            return
        height, width, _ = pixels.shape
        data = np.ascontiguousarray(pixels, dtype=np.uint8)
        image = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        self.rendered_count += 1
        self.rendered.emit(key, image)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Drop queued renders and wait for the running one (window closing)."""
        self._closed = True
        self.pool.clear()
        return self.pool.waitForDone(timeout_ms)


class HistoryStrip(QListWidget):
    """A single row of thumbnails, oldest left; click one to go back to that state."""

    stateClicked = Signal(object)  # ShapeState

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_strip")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.setGridSize(QSize(THUMB_SIZE + 12, THUMB_SIZE + 8))
        self.setFixedHeight(STRIP_HEIGHT)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setToolTip("Recent shapes: click one to go back to it (Ctrl+Z / Ctrl+Shift+Z step through them)")
        self._placeholder = self._blank_icon()
        self.itemClicked.connect(self._on_clicked)

    @staticmethod
    def _blank_icon() -> QIcon:
        pixmap = QPixmap(THUMB_SIZE, THUMB_SIZE)
        pixmap.fill(QColor("#e8e8e8"))
        return QIcon(pixmap)

    # -- contents ---------------------------------------------------------------------------
    def states(self) -> list[ShapeState]:
        return [self.item(row).data(STATE_ROLE) for row in range(self.count())]

    def row_of(self, state: ShapeState) -> int:
        for row in range(self.count()):
            if self.item(row).data(STATE_ROLE) == state:
                return row
        return -1

    def add_state(self, state: ShapeState) -> QListWidgetItem:
        """Append a placeholder thumbnail for ``state`` (its picture arrives later)."""
        item = QListWidgetItem(self._placeholder, "")
        item.setData(STATE_ROLE, state)
        item.setToolTip(state.describe())
        item.setSizeHint(QSize(THUMB_SIZE + 8, THUMB_SIZE + 4))
        self.addItem(item)
        self.scrollToItem(item)
        return item

    def remove_state(self, state: ShapeState) -> None:
        row = self.row_of(state)
        if row >= 0:
            self.takeItem(row)

    def set_thumbnail(self, state: ShapeState, image: QImage) -> bool:
        row = self.row_of(state)
        if row < 0:
            return False
        self.item(row).setIcon(QIcon(QPixmap.fromImage(image)))
        return True

    def has_thumbnail(self, state: ShapeState) -> bool:
        row = self.row_of(state)
        return row >= 0 and self.item(row).icon().cacheKey() != self._placeholder.cacheKey()

    def mark_current(self, state: ShapeState | None) -> None:
        """Select the thumbnail of the state on screen (none when it is not in the strip)."""
        row = -1 if state is None else self.row_of(state)
        blocked = self.blockSignals(True)
        self.clearSelection()
        if row >= 0:
            self.setCurrentRow(row)
        self.blockSignals(blocked)

    def _on_clicked(self, item: QListWidgetItem) -> None:
        state = item.data(STATE_ROLE)
        if isinstance(state, ShapeState):
            self.stateClicked.emit(state)
