"""The class's named sliders ("Width", "Backrest", "Armrests", ...) as a column of rows.

Each row spans the slider's calibrated range (weights/sliders.json, fitted by
``python -m voxstudio.training.fit_sliders``) and carries its tooltip, so both ends
of every slider are plausible furniture. The box holds no engine: it is given the
rows for the current class (``set_sliders``, from ``SliderSet`` via the engine
info) and reports ``{name: value}`` (latent units) through ``valuesChanged``; the
worker turns them into a slider move with ``VoxelEngine.named_slider_offset``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

#: Integer slider steps per latent unit.
STEPS = 100

#: One row: name, calibrated low end, high end, tooltip (``models.sliders.slider_table``).
SliderRow = tuple[str, float, float, str]


class NamedSliderRow(QWidget):
    """Label + slider over ``[low, high]`` + value readout (latent units), with a tooltip.

    One row widget for every latent slider: the named ones here and the Generate
    panel's numbered "Mode k" directions (``generate_panel.LatentSlider``).
    """

    valueChanged = Signal(float)

    def __init__(self, name: str, low: float, high: float, tooltip: str = "", parent: QWidget | None = None,
                 label_width: int = 84) -> None:
        super().__init__(parent)
        self.slider_name = name
        self.low, self.high = float(low), float(high)
        self.label = QLabel(name)
        self.label.setMinimumWidth(label_width)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(self.low * STEPS), round(self.high * STEPS))
        self.slider.setSingleStep(5)
        self.slider.setPageStep(50)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.readout = QLabel()
        self.readout.setMinimumWidth(40)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if tooltip:
            text = f"{tooltip}\nRange {self.low:+.1f} .. {self.high:+.1f} (0: the seed's own shape)."
            for widget in (self, self.label, self.slider):
                widget.setToolTip(text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        self.slider.valueChanged.connect(self._on_slider)
        self._update_readout()

    def value(self) -> float:
        return self.slider.value() / STEPS

    def set_value(self, value: float, emit: bool = True) -> None:
        """Set in latent units, clamped to the range; ``emit=False`` updates silently (batch changes)."""
        ticks = round(max(self.low, min(self.high, float(value))) * STEPS)
        blocked = self.slider.blockSignals(not emit)
        self.slider.setValue(ticks)
        self.slider.blockSignals(blocked)
        self._update_readout()

    def _on_slider(self, _ticks: int) -> None:
        self._update_readout()
        self.valueChanged.emit(self.value())

    def _update_readout(self) -> None:
        self.readout.setText(f"{self.value():+.2f}")


class NamedSliderBox(QGroupBox):
    """The current class's named sliders; hidden when the class (or the model) has none."""

    valuesChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sliders", parent)
        self.rows: list[NamedSliderRow] = []
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(2)
        self.setVisible(False)

    def set_sliders(self, rows: Sequence[SliderRow]) -> None:
        """Replace the rows (all at zero) without emitting ``valuesChanged``."""
        for row in self.rows:
            self._layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for name, low, high, tooltip in rows:
            row = NamedSliderRow(name, low, high, tooltip)
            row.valueChanged.connect(lambda _v: self.valuesChanged.emit())
            self._layout.addWidget(row)
            self.rows.append(row)
        self.setVisible(bool(self.rows))

    def names(self) -> list[str]:
        return [row.slider_name for row in self.rows]

    def values(self) -> tuple[tuple[str, float], ...]:
        """The non-zero sliders as ``((name, value), ...)`` (hashable: it goes into GenerateParams)."""
        return tuple((row.slider_name, row.value()) for row in self.rows if row.value() != 0.0)

    def set_values(self, values: Mapping[str, float], emit: bool = True) -> None:
        """Set sliders by name (others to zero), emitting at most one ``valuesChanged``."""
        for row in self.rows:
            row.set_value(values.get(row.slider_name, 0.0), emit=False)
        if emit:
            self.valuesChanged.emit()

    def reset(self) -> None:
        self.set_values({}, emit=False)
