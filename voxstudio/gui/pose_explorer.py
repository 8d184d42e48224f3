"""Capsule pose explorer: the capsule network's decoder used as a generator.

After a classification, the predicted class capsule's pose vector (16 numbers)
appears as one slider per dimension. Moving a slider redraws the decoder's
reconstruction in the reconstruction view; "Decode as" feeds the same pose into
another class's slot of the decoder ("swap class"); Reset restores the pose
and class the classifier produced.

Why through the worker: decoding is torch work and a drag fires far more
changes than it can serve, so a :class:`PoseDecodeRequest` goes to the
reconstruction view's latest-wins channel, exactly like the GAN sliders' shape
requests go to the main one. The widget only emits ``poseChanged``; the
:class:`PoseExplorerController` turns that into requests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from voxstudio.gui.requests import ClassifyOutcome, EngineInfo, ShapeResult, ViewParams
from voxstudio.gui.slider_rows import rebuild_slider_rows
from voxstudio.gui.surface import grid_to_polydata
from voxstudio.gui.worker import CHANNEL_RECON
from voxstudio.session import SessionModel

if TYPE_CHECKING:  # pragma: no cover
    from voxstudio.gui.worker import EngineClient, EngineWorker

#: Class capsules are squashed to length < 1, so every pose component lies in (-1, 1).
POSE_LIMIT = 1.0
#: Slider ticks per pose unit: 0.005 steps, fine enough for the ~0.1-0.4 components.
POSE_STEPS = 200
#: Readouts of dimensions moved away from the classifier's value are drawn bold.
_CHANGED_EPS = 0.5 / POSE_STEPS


@dataclass
class PoseDecodeRequest:
    """Decode one pose in one class's slot and mesh it for the reconstruction view.

    Served on the worker thread through the worker's ``serve`` hook; the result is
    an ordinary reconstruction-view :class:`ShapeResult`, so the window shows it
    (and orders it by ``seq``) like the classifier's own reconstruction.
    """

    seq: int
    pose: np.ndarray  # (D,) float32
    class_id: int
    view: ViewParams
    label: str = "pose"
    failure_title: ClassVar[str] = "Pose decoding failed"

    def serve(self, worker: EngineWorker) -> ShapeResult:
        engine = worker.require_engine()
        start = time.perf_counter()
        grid = np.asarray(engine.decode_pose(self.pose, self.class_id), dtype=np.float32)
        decode_ms = (time.perf_counter() - start) * 1000.0
        start = time.perf_counter()
        mesh = grid_to_polydata(grid, self.view)
        worker.stats["decode_pose"] += 1
        return ShapeResult(
            seq=self.seq, target="recon", grid=grid, mesh=mesh, view=self.view, label=self.label,
            generate_ms=decode_ms, mesh_ms=(time.perf_counter() - start) * 1000.0,
        )


class PoseSlider(QWidget):
    """"d3 ----o---- +0.210": one pose dimension, in pose units.

    A value set in code (the classifier's pose, Reset) is kept exactly, not
    rounded to a slider tick, so Reset redraws exactly the classifier's
    reconstruction; a drag gives tick values.
    """

    valueChanged = Signal(float)

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self._original = 0.0
        self._exact: float | None = 0.0  # value set in code, until the user moves the slider
        self.name = QLabel(f"d{index + 1}")
        self.name.setMinimumWidth(26)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        limit = int(POSE_LIMIT * POSE_STEPS)
        self.slider.setRange(-limit, limit)
        self.slider.setSingleStep(2)
        self.slider.setPageStep(20)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.setToolTip(f"Pose dimension {index + 1} of the class capsule")
        self.readout = QLabel()
        self.readout.setMinimumWidth(self.readout.fontMetrics().horizontalAdvance("+0.000") + 4)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.name)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.readout)
        self.slider.valueChanged.connect(self._on_slider)
        self._update_readout()

    def value(self) -> float:
        return self._exact if self._exact is not None else self.slider.value() / POSE_STEPS

    def set_value(self, value: float, emit: bool = True) -> None:
        """Set in pose units (clamped to the slider range); ``emit`` sends ``valueChanged``."""
        exact = max(-POSE_LIMIT, min(POSE_LIMIT, float(value)))
        blocked = self.slider.blockSignals(True)
        self.slider.setValue(round(exact * POSE_STEPS))
        self.slider.blockSignals(blocked)
        self._exact = exact
        self._update_readout()
        if emit:
            self.valueChanged.emit(exact)

    def set_original(self, value: float) -> None:
        """The classifier's value: the slider shows it and Reset returns to it."""
        self._original = float(value)
        self.set_value(value, emit=False)

    def is_modified(self) -> bool:
        return abs(self.value() - self._original) > _CHANGED_EPS

    def _on_slider(self, _ticks: int) -> None:
        self._exact = None  # the user moved it: the tick is the value
        self._update_readout()
        self.valueChanged.emit(self.value())

    def _update_readout(self) -> None:
        self.readout.setText(f"{self.value():+.3f}")
        font = QFont(self.readout.font())
        font.setBold(self.is_modified())
        self.readout.setFont(font)
        self.readout.setToolTip(f"classifier's value {self._original:+.3f}")


class PoseExplorer(QGroupBox):
    """Sliders for the predicted class capsule's pose, a "Decode as" class, Reset."""

    poseChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Pose explorer", parent)
        self.sliders: list[PoseSlider] = []
        self._poses: np.ndarray | None = None  # (C, D) poses of the last classification
        self._predicted = 0

        self.info = QLabel()
        self.info.setWordWrap(True)
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("Swap class: decode the same pose in another class's slot of the decoder")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the classifier's pose and predicted class")
        row = QHBoxLayout()
        row.addWidget(QLabel("Decode as"))
        row.addWidget(self.class_combo, 1)
        row.addWidget(self.reset_button)

        self.sliders_layout = QGridLayout()
        self.sliders_layout.setHorizontalSpacing(14)
        self.sliders_layout.setVerticalSpacing(0)

        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addLayout(row)
        layout.addLayout(self.sliders_layout)

        self.class_combo.currentIndexChanged.connect(self._changed)
        self.reset_button.clicked.connect(self.reset)
        self.set_engine(None)

    # -- engine / classification --------------------------------------------------------
    def set_engine(self, info: EngineInfo | None) -> None:
        """Classes from the engine; the sliders stay disabled until a classification."""
        self._poses = None
        blocked = self.class_combo.blockSignals(True)
        self.class_combo.clear()
        if info is not None:
            self.class_combo.addItems(list(info.classes))
        self.class_combo.blockSignals(blocked)
        if info is not None and not info.has_classifier:
            self._set_message("This model has no capsule classifier.")
        else:
            self._set_message("Classify a shape to explore its class capsule\u2019s pose: each slider is one "
                              "pose dimension, decoded live in the reconstruction view.")

    def set_outcome(self, outcome: ClassifyOutcome) -> None:
        """Load the predicted class capsule's pose (silently: the outcome already shows its reconstruction)."""
        if outcome.poses is None:
            self._set_message("This classifier reports no capsule poses.")
            return
        poses = np.asarray(outcome.poses, dtype=np.float32)
        self._poses = poses
        self._predicted = int(outcome.predicted)
        self._build_sliders(poses.shape[1])
        if self.class_combo.count() != len(outcome.classes):
            self.class_combo.blockSignals(True)
            self.class_combo.clear()
            self.class_combo.addItems(list(outcome.classes))
            self.class_combo.blockSignals(False)
        self._load(poses[self._predicted], self._predicted)
        name = outcome.classes[self._predicted]
        length = float(np.linalg.norm(poses[self._predicted]))
        self.info.setText(f"<b>{name}</b> capsule pose ({poses.shape[1]}-D, length {length:.2f})")
        for widget in (self.class_combo, self.reset_button, *self.sliders):
            widget.setEnabled(True)

    # -- state ------------------------------------------------------------------------------
    def has_pose(self) -> bool:
        return self._poses is not None

    def pose(self) -> np.ndarray:
        """The pose the sliders show, ``(D,)`` float32."""
        return np.array([s.value() for s in self.sliders], dtype=np.float32)

    def original_pose(self) -> np.ndarray:
        """The classifier's pose for its predicted class (what Reset restores)."""
        if self._poses is None:
            raise RuntimeError("no classification yet")
        return self._poses[self._predicted].copy()

    def predicted(self) -> int:
        return self._predicted

    def class_id(self) -> int:
        """The decoder slot the pose is fed into ("Decode as")."""
        return max(0, self.class_combo.currentIndex())

    def is_modified(self) -> bool:
        return self.class_id() != self._predicted or any(s.is_modified() for s in self.sliders)

    def set_pose(self, values: np.ndarray) -> None:
        """Set every dimension at once (one ``poseChanged``)."""
        for slider, value in zip(self.sliders, np.asarray(values, dtype=np.float32).ravel()):
            slider.set_value(float(value), emit=False)
        self._changed()

    def reset(self) -> None:
        """Back to the classifier's pose and class (one ``poseChanged``)."""
        if self._poses is None:
            return
        self._load(self._poses[self._predicted], self._predicted)
        self._changed()

    # -- internals ----------------------------------------------------------------------------
    def _load(self, pose: np.ndarray, class_id: int) -> None:
        for slider, value in zip(self.sliders, pose):
            slider.set_original(float(value))
        blocked = self.class_combo.blockSignals(True)
        self.class_combo.setCurrentIndex(class_id)
        self.class_combo.blockSignals(blocked)

    def _build_sliders(self, count: int) -> None:
        rows = rebuild_slider_rows(
            self.sliders_layout, self.sliders, count,
            make=PoseSlider,
            on_change=self._changed,
            # two columns (d1-d8 | d9-d16): all 16 fit in the panel without scrolling at 1280x800
            place=lambda slider, index: self.sliders_layout.addWidget(slider, index % ((count + 1) // 2),
                                                                      index // ((count + 1) // 2)),
        )
        if rows is not None:
            self.sliders = rows

    def _set_message(self, text: str) -> None:
        self.info.setText(text)
        for widget in (self.class_combo, self.reset_button, *self.sliders):
            widget.setEnabled(False)

    def _changed(self, *_args: object) -> None:
        if self._poses is not None:
            self.poseChanged.emit()


class PoseExplorerController(QObject):
    """Connects a :class:`PoseExplorer` to the engine worker.

    Gets the session (engine state, sequence numbers, view parameters), the
    client, the explorer and the "show reconstruction" action it turns on.
    """

    def __init__(self, session: SessionModel, client: EngineClient, explorer: PoseExplorer,
                 show_reconstruction: QAction) -> None:
        super().__init__(explorer)
        self.session = session
        self.client = client
        self.explorer = explorer
        self.show_reconstruction = show_reconstruction
        self._last_seq = 0  # of the newest decode request sent
        self.explorer.poseChanged.connect(self.submit)
        session.events.classification.connect(self._on_classified)

    def submit(self) -> None:
        """Decode the explorer's pose on the worker (latest wins on the reconstruction channel)."""
        if not self.session.is_ready or not self.explorer.has_pose():
            return
        if not self.show_reconstruction.isChecked():
            self.show_reconstruction.setChecked(True)  # show the view that is being edited
        class_id = self.explorer.class_id()
        name = self.explorer.class_combo.itemText(class_id)
        label = "reconstruction" if not self.explorer.is_modified() else f"pose as {name}"
        self._last_seq = self.session.next_seq()
        request = PoseDecodeRequest(self._last_seq, self.explorer.pose(), class_id, self.session.view, label)
        self.client.submit(CHANNEL_RECON, request)

    def _on_classified(self, outcome: ClassifyOutcome) -> None:
        # A pose decode sent after this classification was requested wins the
        # reconstruction view (newer seq) but shows the *old* pose: redraw the new one.
        if self._last_seq > outcome.seq and self.explorer.has_pose():
            self.submit()
