"""The main window's view toolbar and status-bar widgets.

Kept out of ``main_window.py`` so that the window module is about wiring and
state; these only build widgets (the window connects their signals).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QSlider, QStatusBar, QToolBar, QWidget

from voxstudio.gui.actions import WindowActions

THRESHOLD_STEPS = 100  # threshold slider ticks per unit


class ViewToolbar(QToolBar):
    """File and view actions, colour mode, occupancy threshold, screenshot."""

    def __init__(self, actions: WindowActions, parent: QWidget | None = None) -> None:
        super().__init__("View", parent)
        self.setObjectName("view_toolbar")
        self.setMovable(False)
        self.setIconSize(QSize(18, 18))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        a = actions
        self.addActions([a.open, a.export])
        self.addSeparator()
        self.addActions([a.reset_camera, a.smooth, a.wireframe, a.bounds])
        self.addSeparator()
        self.colour_combo = QComboBox()
        self.colour_combo.addItems(["Colour by height", "Material colour"])
        self.colour_combo.setToolTip("How the surface is coloured")
        self.addWidget(self.colour_combo)
        self.addAction(a.material_colour)
        self.addSeparator()
        self.addWidget(QLabel(" Threshold "))
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(5, 95)
        self.threshold_slider.setValue(50)
        self.threshold_slider.setFixedWidth(140)
        self.threshold_slider.setToolTip("Occupancy threshold for the surface")
        self.addWidget(self.threshold_slider)
        self.threshold_label = QLabel("0.50")
        self.threshold_label.setMinimumWidth(34)
        self.addWidget(self.threshold_label)
        self.threshold_slider.valueChanged.connect(
            lambda value: self.threshold_label.setText(f"{value / THRESHOLD_STEPS:.2f}"))
        self.addSeparator()
        self.addAction(a.screenshot)

    def threshold(self) -> float:
        return self.threshold_slider.value() / THRESHOLD_STEPS


class StatusWidgets:
    """Permanent status-bar widgets: busy indicator, timings, model, device."""

    def __init__(self, status: QStatusBar) -> None:
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: "loading"
        self.busy.setMaximumWidth(110)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.device_label = QLabel("Device: \u2013")
        self.model_label = QLabel("Model: loading\u2026")
        self.timing_label = QLabel("")
        self.timing_label.setMinimumWidth(self.timing_label.fontMetrics().horizontalAdvance(
            "gen 000 ms \u00b7 mesh 000 ms \u00b7 draw 000 ms") + 8)
        for label in (self.timing_label, self.model_label, self.device_label):
            label.setContentsMargins(8, 0, 8, 0)
        for widget in (self.busy, self.timing_label, self.model_label, self.device_label):
            status.addPermanentWidget(widget)
