"""Non-modal message strip above the viewport (loading state, missing weights).

A banner instead of a modal dialog: the app must stay usable (files can still be
opened and exported without a model) and tests must not be blocked by a dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

_STYLES = {
    "info": ("#20364d", "#cfe3f7", "#35597d"),
    "warning": ("#4d3a16", "#f7e3bd", "#8a6a2a"),
    "error": ("#4d1f1f", "#f5c9c9", "#8a3a3a"),
}


class Banner(QFrame):
    """A dismissible one-line message with an info / warning / error look."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("\u2715")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.close_button.clicked.connect(self.dismiss)
        self.level = "info"
        self.hide()

    def show_message(self, text: str, level: str = "info", closable: bool = True) -> None:
        background, foreground, border = _STYLES.get(level, _STYLES["info"])
        self.level = level
        self.setStyleSheet(
            f"QFrame#banner {{ background: {background}; border-bottom: 1px solid {border}; }}"
            f"QFrame#banner QLabel {{ color: {foreground}; }}"
            f"QFrame#banner QToolButton {{ color: {foreground}; border: none; }}"
        )
        self.label.setText(text)
        self.close_button.setVisible(closable)
        self.show()

    def text(self) -> str:
        return self.label.text()

    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
