"""A "loaded shape" latent in the Generate panel (the result of "Open in generator").

Why a separate little type: a latent found by inversion replaces a *seed* as the
source of interpolation end A (the base shape the sliders edit) or B (the
interpolation target). The panel shows which end holds a loaded shape with a
chip that names it and can drop it again ("back to the seed").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

SLOTS = ("A", "B")


@dataclass(frozen=True)
class LoadedLatent:
    """A latent found for a user's shape: ``z`` as a tuple so ``GenerateParams`` stay hashable."""

    z: tuple[float, ...]
    label: str  # what it came from, e.g. "chair.binvox"
    iou: float | None = None  # IoU of the generated shape with the original

    @classmethod
    def from_array(cls, z: np.ndarray, label: str, iou: float | None = None) -> LoadedLatent:
        return cls(tuple(float(v) for v in np.asarray(z, dtype=np.float32).ravel()), label, iou)

    def array(self) -> np.ndarray:
        return np.asarray(self.z, dtype=np.float32)

    def describe(self) -> str:
        return self.label if self.iou is None else f"{self.label} (IoU {self.iou:.2f})"


class LoadedLatentChip(QFrame):
    """"A: chair.binvox (IoU 0.87) [x]": shown while an end holds a loaded shape."""

    cleared = Signal()

    def __init__(self, slot: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if slot not in SLOTS:
            raise ValueError(f"slot must be one of {SLOTS}, got {slot!r}")
        self.slot = slot
        self.latent: LoadedLatent | None = None
        self.setObjectName("loaded_latent_chip")
        self.setStyleSheet(
            "QFrame#loaded_latent_chip { border: 1px solid palette(mid); border-radius: 4px; }"
        )
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.clear_button = QToolButton()
        self.clear_button.setText("\u2715")
        self.clear_button.setAutoRaise(True)
        self.clear_button.setToolTip(f"Forget the loaded shape: end {slot} follows its seed again")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 2, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.clear_button)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.hide()

    def set_latent(self, latent: LoadedLatent | None) -> None:
        """Show ``latent`` (or hide the chip for ``None``); emits nothing."""
        self.latent = latent
        if latent is None:
            self.hide()
            return
        self.label.setText(f"<b>{self.slot}</b> = loaded shape: {latent.describe()}")
        self.label.setToolTip(f"End {self.slot} uses the latent found for {latent.label}, not the seed")
        self.show()

    def z(self) -> tuple[float, ...] | None:
        return None if self.latent is None else self.latent.z

    def _on_clear_clicked(self) -> None:
        self.set_latent(None)
        self.cleared.emit()
