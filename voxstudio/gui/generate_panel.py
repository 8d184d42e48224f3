"""Generate panel: class, seed, latent-direction sliders, interpolation, animation.

End A and end B of the interpolation are seeds, or the latents of loaded shapes
found by "Open in generator" (voxstudio.gui.inversion), shown as chips.
The panel owns no engine: it only turns its controls into a ``GenerateParams``
and emits ``paramsChanged`` (once per user change, once per animation tick). The
window submits that to the worker, whose latest-wins slot absorbs floods.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from voxstudio.gui.loaded_latent import LoadedLatent, LoadedLatentChip
from voxstudio.gui.named_sliders import NamedSliderBox, NamedSliderRow
from voxstudio.gui.requests import EngineInfo, GenerateParams
from voxstudio.gui.slider_rows import rebuild_slider_rows

SEED_MAX = 2**31 - 1
SLIDER_LIMIT = 3.0  # slider units (1.0 = the direction's saved scale)
T_STEPS = 1000
ANIMATION_INTERVAL_MS = 33
ANIMATION_MODES = ("A \u21c4 B", "Random walk")


class LatentSlider(NamedSliderRow):
    """One numbered latent direction ("Mode k") over +-SLIDER_LIMIT."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, -SLIDER_LIMIT, SLIDER_LIMIT, parent=parent, label_width=52)


class GeneratePanel(QWidget):
    """Controls that define the generated shape."""

    paramsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rng = random.Random()
        self.sliders: list[LatentSlider] = []
        self._anim_direction = 1.0
        self._velocity: list[float] = []

        self.status = QLabel("Loading model\u2026")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: palette(mid);")

        self.class_combo = QComboBox()
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.seed = QSpinBox()
        self.seed.setRange(0, SEED_MAX)
        self.seed.setKeyboardTracking(False)
        self.random_button = QPushButton("Random")
        self.random_button.setToolTip("Random seed (Ctrl+R)")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Sliders and interpolation back to zero")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.random_button)
        seed_row.addWidget(self.reset_button)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Class", self.class_combo)
        form.addRow("Seed", seed_row)
        self.chip_a = LoadedLatentChip("A")
        form.addRow(self.chip_a)

        self.named_box = NamedSliderBox()  # the class's named sliders (Width, Backrest, ...)
        self._named_rows: dict[str, tuple] = {}
        self._named_class: str | None = None  # the class whose rows the box shows
        self.sliders_box = QGroupBox("Latent directions")
        self.sliders_layout = QVBoxLayout(self.sliders_box)
        self.sliders_layout.setSpacing(2)

        interp = QGroupBox("Interpolation")
        self.seed_b = QSpinBox()
        self.seed_b.setRange(0, SEED_MAX)
        self.seed_b.setValue(1)
        self.seed_b.setKeyboardTracking(False)
        self.random_b_button = QPushButton("Random")
        self.t_slider = QSlider(Qt.Orientation.Horizontal)
        self.t_slider.setRange(0, T_STEPS)
        self.t_readout = QLabel("0.00")
        self.t_readout.setMinimumWidth(32)
        self.animate_button = QPushButton("Animate")
        self.animate_button.setCheckable(True)
        self.animate_mode = QComboBox()
        self.animate_mode.addItems(ANIMATION_MODES)
        grid = QGridLayout(interp)
        grid.addWidget(QLabel("Seed B"), 0, 0)
        grid.addWidget(self.seed_b, 0, 1)
        grid.addWidget(self.random_b_button, 0, 2)
        grid.addWidget(QLabel("A \u2192 B"), 1, 0)
        grid.addWidget(self.t_slider, 1, 1)
        grid.addWidget(self.t_readout, 1, 2)
        grid.addWidget(self.animate_mode, 2, 0, 1, 2)
        grid.addWidget(self.animate_button, 2, 2)
        self.chip_b = LoadedLatentChip("B")
        grid.addWidget(self.chip_b, 3, 0, 1, 3)
        grid.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(form)
        layout.addWidget(self.named_box)
        layout.addWidget(self.sliders_box)
        layout.addWidget(interp)
        layout.addStretch(1)

        self.timer = QTimer(self)
        self.timer.setInterval(ANIMATION_INTERVAL_MS)
        self.timer.timeout.connect(self._animation_tick)

        self.class_combo.currentIndexChanged.connect(self._on_class)
        self.named_box.valuesChanged.connect(self._changed)
        self.seed.valueChanged.connect(lambda _v: self._on_seed(self.chip_a))
        self.seed_b.valueChanged.connect(lambda _v: self._on_seed(self.chip_b))
        self.chip_a.cleared.connect(self._changed)
        self.chip_b.cleared.connect(self._changed)
        self.t_slider.valueChanged.connect(self._on_t)
        self.random_button.clicked.connect(self.randomise_seed)
        self.random_b_button.clicked.connect(self._randomise_seed_b)
        self.reset_button.clicked.connect(self.reset)
        self.animate_button.toggled.connect(self.set_animating)
        self.set_engine(None)

    # -- engine ----------------------------------------------------------------------
    def set_engine(self, info: EngineInfo | None, message: str = "Loading model\u2026", loading: bool = True) -> None:
        """Populate classes and sliders from the engine, or disable (``None``)."""
        available = info is not None and info.has_generator
        if info is not None and not info.has_generator:
            message = "This model has no generator."
        blocked = self.class_combo.blockSignals(True)
        self.class_combo.clear()
        if info is not None:
            self.class_combo.addItems(list(info.classes))
        self.class_combo.blockSignals(blocked)
        self.chip_a.set_latent(None)  # latents belong to the previous model
        self.chip_b.set_latent(None)
        self._build_sliders(info.n_directions if info is not None else 8)
        self._named_rows = dict(info.named_sliders) if info is not None else {}
        self._named_class = None
        self._sync_named_box()
        self.status.setVisible(not available)
        self.status.setText("" if available else message)
        for widget in self._controls():
            widget.setEnabled(available)
        if not available:
            self.set_animating(False)

    def is_available(self) -> bool:
        return self.class_combo.isEnabled()

    def _controls(self) -> Sequence[QWidget]:
        return (
            self.class_combo, self.seed, self.random_button, self.reset_button, self.sliders_box, self.named_box,
            self.seed_b, self.random_b_button, self.t_slider, self.animate_button, self.animate_mode,
        )

    def _build_sliders(self, count: int) -> None:
        rows = rebuild_slider_rows(
            self.sliders_layout, self.sliders, count,
            make=lambda index: LatentSlider(f"Mode {index + 1}"),
            on_change=self._changed,
            place=lambda slider, _index: self.sliders_layout.addWidget(slider),
        )
        if rows is not None:
            self.sliders = rows
            self._velocity = [0.0] * count

    # -- state -----------------------------------------------------------------------
    def params(self) -> GenerateParams:
        return GenerateParams(
            class_id=max(0, self.class_combo.currentIndex()),
            seed_a=int(self.seed.value()),
            seed_b=int(self.seed_b.value()),
            t=self.t_slider.value() / T_STEPS,
            sliders=tuple(slider.value() for slider in self.sliders),
            latent_a=self.chip_a.z(),
            latent_b=self.chip_b.z(),
            named=self.named_box.values(),
        )

    def class_name(self) -> str:
        return self.class_combo.currentText()

    def describe(self) -> str:
        """Short title for the viewport, e.g. "chair \u00b7 seed 42"."""
        p = self.params()
        a, b = self.chip_a.latent, self.chip_b.latent
        text = f"{self.class_name()} \u00b7 " + (a.label if a is not None else f"seed {p.seed_a}")
        if p.t > 0:
            text += f" \u2192 {b.label if b is not None else p.seed_b} ({p.t:.2f})"
        return text

    def set_class(self, index: int) -> None:
        self.class_combo.setCurrentIndex(index)

    def loaded_latent(self, slot: str) -> LoadedLatent | None:
        """The loaded shape's latent at end ``slot`` ("A" or "B"), or None (a seed)."""
        return (self.chip_a if slot == "A" else self.chip_b).latent

    def set_loaded_latent(self, slot: str, latent: LoadedLatent, class_id: int | None = None, *,
                          sliders: Sequence[float] = (), named: Mapping[str, float] | None = None) -> None:
        """Hand over a latent found by "Open in generator" (one ``paramsChanged``).

        End A becomes the base shape: class set, interpolation reset and the sliders
        set to ``sliders`` / ``named`` (zero unless given: a gallery variation keeps
        the sliders it was drawn with), so the view shows the found shape. End B is
        the interpolation target: the A \u2192 B slider then morphs towards it.
        """
        if slot not in ("A", "B"):
            raise ValueError(f"slot must be 'A' or 'B', got {slot!r}")
        (self.chip_a if slot == "A" else self.chip_b).set_latent(latent)
        if class_id is not None:
            blocked = self.class_combo.blockSignals(True)
            self.class_combo.setCurrentIndex(int(class_id))
            self.class_combo.blockSignals(blocked)
        if slot == "A":
            self._set_t_and_sliders(0.0, sliders, named)  # emits paramsChanged
        else:
            self._changed()

    def _on_class(self, _index: int) -> None:
        """Another class brings its own named sliders (at zero)."""
        self._sync_named_box()
        self._changed()

    def _sync_named_box(self) -> None:
        """Show the current class's named sliders (at zero) if the box shows another class's.

        Called on every path that can change the class, including those that set
        the class box with its signals blocked (history, gallery, Open in generator).
        """
        name = self.class_combo.currentText()
        if name != self._named_class:
            self._named_class = name
            self.named_box.set_sliders(self._named_rows.get(name, ()))

    def _on_seed(self, chip: LoadedLatentChip) -> None:
        """A new seed for an end means "use the seed": drop that end's loaded shape."""
        chip.set_latent(None)
        self._changed()

    def set_slider_values(self, values: Sequence[float], named: Mapping[str, float] | None = None) -> None:
        """Set all sliders at once (and the class's named ones, when given), emitting a single ``paramsChanged``."""
        for slider, value in zip(self.sliders, values):
            slider.set_value(value, emit=False)
        self._sync_named_box()
        if named is not None:
            self.named_box.set_values(named, emit=False)
        self._changed()

    def set_shape(self, class_id: int, seed: int, *, seed_b: int | None = None, t: float = 0.0,
                  sliders: Sequence[float] = (), named: Mapping[str, float] | None = None) -> None:
        """Class, seeds, interpolation and all sliders at once, emitting a single ``paramsChanged``.

        For callers that set a whole shape (history, favourites, gallery picks): each
        widget is set with its signals blocked, so the shape is regenerated once, not
        once per control. Sliders not given are zero; ``seed_b`` None keeps end B's seed.
        """
        widgets = (self.class_combo, self.seed, self.seed_b)
        blocked = [widget.blockSignals(True) for widget in widgets]
        try:
            self.class_combo.setCurrentIndex(int(class_id))
            self.seed.setValue(int(seed))
            if seed_b is not None:
                self.seed_b.setValue(int(seed_b))
        finally:
            for widget, was in zip(widgets, blocked):
                widget.blockSignals(was)
        self._set_t_and_sliders(t, sliders, named)

    def _set_t_and_sliders(self, t: float, sliders: Sequence[float], named: Mapping[str, float] | None) -> None:
        """Interpolation to ``t``, sliders to the values given (the others to zero): one ``paramsChanged``."""
        blocked = self.t_slider.blockSignals(True)
        self.t_slider.setValue(round(float(t) * T_STEPS))
        self.t_slider.blockSignals(blocked)
        self._update_t_readout()
        self._velocity = [0.0] * len(self.sliders)
        values = list(sliders[:len(self.sliders)]) + [0.0] * max(0, len(self.sliders) - len(sliders))
        self.set_slider_values(values, named=named or {})

    def randomise_seed(self) -> None:
        if self.is_available():
            self.seed.setValue(self._rng.randrange(SEED_MAX))

    def _randomise_seed_b(self) -> None:
        self.seed_b.setValue(self._rng.randrange(SEED_MAX))

    def reset(self) -> None:
        """Sliders and interpolation to zero (one regeneration)."""
        self._set_t_and_sliders(0.0, (), None)

    def _on_t(self, _value: int) -> None:
        self._update_t_readout()
        self._changed()

    def _update_t_readout(self) -> None:
        self.t_readout.setText(f"{self.t_slider.value() / T_STEPS:.2f}")

    def _changed(self, *_args: object) -> None:
        if self.is_available():
            self.paramsChanged.emit()

    # -- animation ---------------------------------------------------------------------
    def set_animating(self, on: bool) -> None:
        """Start/stop the QTimer that plays A \u21c4 B or a random walk of the sliders."""
        on = bool(on) and self.is_available()
        if self.animate_button.isChecked() != on:
            blocked = self.animate_button.blockSignals(True)
            self.animate_button.setChecked(on)
            self.animate_button.blockSignals(blocked)
        self.animate_button.setText("Stop" if on else "Animate")
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    def is_animating(self) -> bool:
        return self.timer.isActive()

    def _animation_tick(self) -> None:
        if self.animate_mode.currentIndex() == 0:
            t = self.t_slider.value() / T_STEPS + self._anim_direction * 0.02
            if t >= 1.0 or t <= 0.0:
                self._anim_direction = -self._anim_direction
                t = min(1.0, max(0.0, t))
            self.t_slider.setValue(round(t * T_STEPS))  # emits one paramsChanged
            return
        # Random walk: damped random velocity per slider, reflected at +-2.5.
        limit = 2.5
        values = []
        for index, slider in enumerate(self.sliders):
            v = 0.85 * self._velocity[index] + self._rng.gauss(0.0, 0.04)
            x = slider.value() + v
            if abs(x) > limit:
                x = max(-limit, min(limit, x))
                v = -v
            self._velocity[index] = v
            values.append(x)
        self.set_slider_values(values)
