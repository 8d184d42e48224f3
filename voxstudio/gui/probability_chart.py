"""Horizontal bar chart of class probabilities, painted with QPainter.

A dedicated little widget instead of matplotlib: it is cheap to repaint on every
classification (live mode), follows the palette, and needs no extra dependency.
Bars are sorted high to low and the top class is drawn in the accent colour.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

ACCENT = QColor("#3d8fd1")
BAR = QColor("#8c96a6")
TRACK = QColor(128, 128, 128, 40)


class ProbabilityChart(QWidget):
    """Shows ``(class, probability)`` pairs as sorted horizontal bars."""

    ROW_HEIGHT = 16  # compact: the pose explorer below must fit in the panel (issue 12)
    ROW_GAP = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[tuple[str, float]] = []
        self._placeholder = "No classification yet"
        self._max_rows = 12
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(60)

    # -- data ------------------------------------------------------------------------
    def set_probabilities(self, classes: Sequence[str], probabilities: Sequence[float] | np.ndarray) -> None:
        """Replace the chart's data; sorted high to low."""
        probs = np.asarray(probabilities, dtype=np.float64).ravel()
        if len(classes) != probs.size:
            raise ValueError(f"{len(classes)} classes but {probs.size} probabilities")
        order = np.argsort(-probs, kind="stable")
        self._entries = [(str(classes[i]), float(probs[i])) for i in order]
        self._max_rows = max(self._max_rows, len(self._entries))
        self.updateGeometry()
        self.update()

    def clear(self, placeholder: str = "No classification yet") -> None:
        self._entries = []
        self._placeholder = placeholder
        self.update()

    def entries(self) -> list[tuple[str, float]]:
        """The bars as drawn, top first."""
        return list(self._entries)

    def top(self) -> tuple[str, float] | None:
        """The highlighted (most probable) class."""
        return self._entries[0] if self._entries else None

    # -- geometry ----------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        rows = max(len(self._entries), 1) if self._entries else self._max_rows
        return QSize(260, rows * (self.ROW_HEIGHT + self.ROW_GAP) + self.ROW_GAP)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(180, 60)

    # -- painting ----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_colour = palette.color(palette.ColorRole.WindowText)
        if not self.isEnabled():
            text_colour = palette.color(palette.ColorGroup.Disabled, palette.ColorRole.WindowText)
        font = QFont(self.font())
        metrics = QFontMetrics(font)
        if not self._entries:
            painter.setPen(palette.color(palette.ColorGroup.Disabled, palette.ColorRole.WindowText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            painter.end()
            return
        label_width = max(metrics.horizontalAdvance(name) for name, _ in self._entries) + 10
        value_width = metrics.horizontalAdvance("100.0%") + 8
        bar_left = label_width
        bar_width = max(10.0, self.width() - label_width - value_width)
        rows = len(self._entries)
        row_h = min(self.ROW_HEIGHT, max(10, (self.height() - self.ROW_GAP) // rows - self.ROW_GAP))
        for index, (name, prob) in enumerate(self._entries):
            top = self.ROW_GAP + index * (row_h + self.ROW_GAP)
            highlight = index == 0
            text_font = QFont(font)
            text_font.setBold(highlight)
            painter.setFont(text_font)
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(0, top, label_width - 6, row_h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name,
            )
            track = QRectF(bar_left, top + 2, bar_width, row_h - 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(TRACK)
            painter.drawRoundedRect(track, 3, 3)
            fill = QRectF(track.left(), track.top(), max(0.0, min(1.0, prob)) * bar_width, track.height())
            if fill.width() > 0.5:
                painter.setBrush(ACCENT if highlight else BAR)
                painter.drawRoundedRect(fill, 3, 3)
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(bar_left + bar_width + 4, top, value_width, row_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{100.0 * prob:.1f}%",
            )
        painter.end()
