"""Classify panel: open a file, classify it (or the generated shape), show results.

Holds the probability chart, the reconstruction toggle, the "Open in generator"
button (voxstudio.gui.inversion) and the capsule pose explorer
(voxstudio.gui.pose_explorer). Like the generate panel it only emits intents;
the window (and those modules' controllers) talk to the worker.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voxstudio.gui.pose_explorer import PoseExplorer
from voxstudio.gui.probability_chart import ProbabilityChart
from voxstudio.gui.requests import ClassifyOutcome, EngineInfo


class ClassifyPanel(QWidget):
    """File input, class probabilities, reconstruction toggle, open in generator, pose explorer."""

    openRequested = Signal()
    classifyRequested = Signal()
    #: The up axis for opening files changed ("auto", "z" or "y"): re-open the shown file with it.
    upAxisChanged = Signal(str)
    #: Turn the shown file's shape 90 degrees about an axis ("x", "y" or "z") and classify it again.
    rotateRequested = Signal(str)
    liveToggled = Signal(bool)
    reconstructionToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_button = QPushButton("Open file\u2026")
        self.open_button.setToolTip(
            "Open .binvox .vox .npy .off .obj .stl .ply .glb (Ctrl+O), or drop a file on the window"
        )
        self.classify_button = QPushButton("Classify current")
        self.classify_button.setToolTip("Classify the shape in the view (Ctrl+K)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.classify_button)

        # Orientation of opened files: their convention by default, or forced; then 90-degree turns.
        self.up_combo = QComboBox()
        for text, key in (("Auto (by file type)", "auto"), ("Z up", "z"), ("Y up", "y")):
            self.up_combo.addItem(text, key)
        self.up_combo.setToolTip(
            "Up axis of opened files. Auto: ModelNet .off / STL / PLY / .vox z up; ShapeNet files y up, "
            "front -z; glTF / OBJ y up, front +z; a bare .binvox by the pose the classifier sees best. "
            "Changing it re-opens the shown file."
        )
        self.rotate_buttons: dict[str, QPushButton] = {}
        orientation = QHBoxLayout()
        orientation.addWidget(QLabel("Up axis:"))
        orientation.addWidget(self.up_combo, 1)
        for axis in ("x", "y", "z"):
            button = QPushButton(f"\u21bb {axis.upper()}")
            button.setToolTip(f"Rotate the opened shape 90\u00b0 about {axis} (re-framed) and classify it again")
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, a=axis: self.rotateRequested.emit(a))
            self.rotate_buttons[axis] = button
            orientation.addWidget(button)

        self.source_label = QLabel("No file opened")
        self.source_label.setWordWrap(True)
        self.live_check = QCheckBox("Classify live")
        self.live_check.setToolTip("Classify generated shapes as they change")
        self.recon_check = QCheckBox("Show reconstruction")
        self.recon_check.setToolTip("Show the capsule network's reconstruction beside the input")
        self.recon_check.setChecked(True)

        results = QGroupBox("Class probabilities")
        self.chart = ProbabilityChart()
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        results_layout = QVBoxLayout(results)
        results_layout.addWidget(self.chart)
        results_layout.addWidget(self.result_label)
        self.invert_button = QPushButton("Open in generator\u2026")
        self.invert_button.setToolTip(
            "Find the GAN latent of the shape in the view, then morph it with the Generate panel's sliders"
        )
        self.invert_button.setEnabled(False)
        results_layout.addWidget(self.invert_button)

        self.status = QLabel("Loading model\u2026")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: palette(mid);")

        self.pose_box = PoseExplorer()

        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addLayout(orientation)
        layout.addWidget(self.source_label)
        toggles = QHBoxLayout()  # one row for both: the pose sliders below stay above the fold
        toggles.addWidget(self.live_check)
        toggles.addWidget(self.recon_check)
        layout.addLayout(toggles)
        layout.addWidget(results)
        layout.addWidget(self.pose_box)
        layout.addStretch(1)

        self.open_button.clicked.connect(self.openRequested)
        self.classify_button.clicked.connect(self.classifyRequested)
        self.live_check.toggled.connect(self.liveToggled)
        self.up_combo.currentIndexChanged.connect(lambda _index: self.upAxisChanged.emit(self.up_axis()))
        self.recon_check.toggled.connect(self.reconstructionToggled)
        self.set_engine(None)

    def set_engine(self, info: EngineInfo | None, message: str = "Loading model\u2026", loading: bool = True) -> None:
        """Enable classification when the engine has a classifier; files always open."""
        available = info is not None and info.has_classifier
        if info is not None and not info.has_classifier:
            message = "This model has no classifier."
        for widget in (self.classify_button, self.live_check, self.recon_check):
            widget.setEnabled(available)
        self.chart.setEnabled(available)
        self.pose_box.set_engine(info)
        self.status.setVisible(not available)
        self.status.setText("" if available else message)
        if not available:
            self.chart.clear("Waiting for the model\u2026" if loading and info is None else "Classifier unavailable")
        elif not self.chart.entries():
            self.chart.clear("Open a file or classify the current shape")

    def is_available(self) -> bool:
        return self.classify_button.isEnabled()

    def set_source(self, text: str) -> None:
        self.source_label.setText(text)

    def up_axis(self) -> str:
        """The chosen up axis for opening files: "auto", "z" or "y"."""
        return str(self.up_combo.currentData())

    def set_file_shown(self, shown: bool) -> None:
        """The rotate buttons act on an opened file's shape only."""
        for button in self.rotate_buttons.values():
            button.setEnabled(shown)

    def show_outcome(self, outcome: ClassifyOutcome, subject: str) -> None:
        self.chart.set_probabilities(outcome.classes, outcome.probabilities)
        top = outcome.classes[outcome.predicted]
        prob = float(outcome.probabilities[outcome.predicted])
        if outcome.none_of_these:
            self.result_label.setText(
                f"<b>{subject}</b> is <b>none of these classes</b> (closest: {top}, {100 * prob:.1f}%; "
                f"class presence {outcome.presence:.2f}) \u00b7 {outcome.classify_ms:.0f} ms"
            )
        else:
            self.result_label.setText(
                f"<b>{subject}</b> looks like a <b>{top}</b> ({100 * prob:.1f}%) \u00b7 {outcome.classify_ms:.0f} ms"
            )
        self.pose_box.set_outcome(outcome)
