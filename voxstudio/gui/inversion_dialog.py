"""The "Open in generator" dialog: pick class, end and effort; watch progress; cancel.

Only a view: it emits ``startRequested`` / ``cancelRequested`` and is told about
progress and the end of the job by :class:`voxstudio.gui.inversion.InversionController`,
which runs the search on the engine worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

DEFAULT_STEPS = 300
SLOT_CHOICES = (
    ("A", "A \u2014 base shape (edit it with the latent sliders)"),
    ("B", "B \u2014 interpolation target (drag A \u2192 B)"),
)


class InversionDialog(QDialog):
    """Window-modal, non-blocking (``open()``): the worker does the work meanwhile."""

    startRequested = Signal(int, int, str)  # class_id, steps, slot ("A" | "B")
    cancelRequested = Signal()

    def __init__(
        self,
        subject: str,
        classes: Sequence[str],
        class_id: int,
        class_note: str = "",
        slot: str = "A",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open in generator")
        self.setObjectName("inversion_dialog")
        self.running = False

        intro = QLabel(
            f"Search the GAN's latent space for the shape closest to <b>{escape(subject)}</b>, then "
            "continue in the Generate panel: morph it with the latent sliders, or interpolate to "
            "another loaded shape."
        )
        intro.setWordWrap(True)

        self.class_combo = QComboBox()
        self.class_combo.addItems(list(classes))
        self.class_combo.setCurrentIndex(class_id)
        self.class_combo.setToolTip("The generator class the shape is matched in")
        self.slot_combo = QComboBox()
        for key, text in SLOT_CHOICES:
            self.slot_combo.addItem(text, key)
        self.slot_combo.setCurrentIndex(0 if slot == "A" else 1)
        self.steps = QSpinBox()
        self.steps.setRange(10, 2000)
        self.steps.setSingleStep(50)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setToolTip("Most optimisation steps; the search stops earlier once the match stops improving")
        form = QFormLayout()
        form.addRow("Class", self.class_combo)
        if class_note:
            note = QLabel(class_note)
            note.setStyleSheet("color: palette(mid);")
            form.addRow("", note)
        form.addRow("Load as", self.slot_combo)
        form.addRow("Max steps", self.steps)

        self.progress = QProgressBar()
        self.progress.setRange(0, DEFAULT_STEPS)
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m steps")
        self.status = QLabel("")
        self.status.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.start_button: QPushButton = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button: QPushButton = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._on_start)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    # -- user -----------------------------------------------------------------------------
    def slot(self) -> str:
        return str(self.slot_combo.currentData())

    def _on_start(self) -> None:
        if self.running:
            return
        self.running = True
        for widget in (self.class_combo, self.slot_combo, self.steps, self.start_button):
            widget.setEnabled(False)
        self.progress.setRange(0, self.steps.value())
        self.progress.setValue(0)
        self.status.setText("Searching\u2026")
        self.startRequested.emit(self.class_combo.currentIndex(), self.steps.value(), self.slot())

    def reject(self) -> None:
        """Cancel (button, Esc or the close box): stops a running search, then closes."""
        if self.running:
            self.running = False
            self.status.setText("Cancelling\u2026")
            self.cancelRequested.emit()
        super().reject()

    # -- controller ---------------------------------------------------------------------------
    def set_progress(self, step: int, steps: int, iou: float) -> None:
        if not self.running:
            return
        self.progress.setMaximum(steps)
        self.progress.setValue(step)
        self.status.setText(f"Step {step} of at most {steps} \u00b7 best IoU so far {iou:.3f}")

    def set_done(self, message: str) -> None:
        """The search finished and its latent was handed over: close."""
        self.running = False
        self.progress.setValue(self.progress.maximum())
        self.status.setText(message)
        self.accept()

    def set_failed(self, message: str) -> None:
        self.running = False
        self.status.setText(message)
        super().reject()
