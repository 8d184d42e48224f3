""""Open in generator": find the GAN latent of a loaded shape, then edit it with the sliders.

The search (``VoxelEngine.invert``: Adam on ``z`` from the VAE encoder's
estimate) takes seconds, so it runs on the engine worker like everything else
that touches torch. The GUI side is an :class:`InversionJob`: a small QObject
whose ``progressed`` signal the worker emits (delivered queued on the GUI
thread, feeding the dialog's progress bar) and whose cancel flag the worker
polls between steps. The result is handed to the Generate panel as a
:class:`~voxstudio.gui.loaded_latent.LoadedLatent` for end A (the base shape the
latent sliders edit) or B (the interpolation target), with the class it was
found in and the sliders reset.

The controller gets the session (engine state, the shown shape, messages), the
engine client and its own widgets (the button, the Generate panel it hands the
latent to, the dialog's parent), never the window.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from voxstudio.core.iou import grid_iou as voxel_iou  # the one IoU (thresholds at 0.5, resizes to the first)
from voxstudio.gui.inversion_dialog import InversionDialog
from voxstudio.gui.loaded_latent import LoadedLatent
from voxstudio.session import ClassifyOutcome, EngineState, SessionModel, ShapeResult

if TYPE_CHECKING:  # pragma: no cover
    from voxstudio.gui.generate_panel import GeneratePanel
    from voxstudio.gui.requests import Failure
    from voxstudio.gui.worker import EngineClient, EngineWorker


@dataclass
class InversionOutcome:
    job: InversionJob
    z: np.ndarray  # (latent_dim,) float32
    class_id: int
    iou: float  # generated shape (threshold 0.5) vs the original
    steps_run: int
    seconds: float
    label: str


class InversionJob(QObject):
    """One search: progress out (any thread -> GUI thread), cancellation in, the outcome out.

    The job lives on the GUI thread, so its signals emitted by the worker are
    delivered queued there.
    """

    progressed = Signal(int, int, float)  # step, steps, best IoU so far
    done = Signal(InversionOutcome)  # also for a cancelled job (ignored by the controller)

    def __init__(self, slot: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.slot = slot
        self.steps_run = 0
        self._cancel = threading.Event()

    def report(self, step: int, steps: int, iou: float) -> None:
        """``VoxelEngine.invert``'s progress callback (called on the worker thread)."""
        self.steps_run = step
        self.progressed.emit(step, steps, iou)

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()


@dataclass
class InversionRequest:
    """Served on the worker through its ``serve`` hook; never coalesced (unique channel)."""

    job: InversionJob
    grid: np.ndarray
    class_id: int
    steps: int
    label: str
    failure_title: ClassVar[str] = "Open in generator failed"

    def serve(self, worker: EngineWorker) -> None:
        """Run the search; the outcome goes out through ``job.done`` (nothing for the shared result signals)."""
        engine = worker.require_engine()
        if not engine.has_generator:
            raise RuntimeError("This model has no generator to open the shape in.")
        job = self.job
        start = time.perf_counter()
        z = np.asarray(engine.invert(
            self.grid, self.class_id, steps=self.steps, progress=job.report,
            should_cancel=lambda: job.is_cancelled() or worker.stopping,
        ), dtype=np.float32)
        seconds = time.perf_counter() - start
        if worker.stopping:
            return  # the window is closing: nobody is waiting for this
        generated = np.asarray(engine.generate(z, self.class_id)) >= 0.5
        worker.stats["invert"] += 1
        job.done.emit(InversionOutcome(job, z, self.class_id, voxel_iou(generated, self.grid), job.steps_run,
                                       seconds, self.label))


class InversionController(QObject):
    """Owns the "Open in generator" button, dialog and job of one window."""

    inversionFinished = Signal(InversionOutcome)  # after the hand-over (not for cancelled jobs)
    #: The reconstruction view's shape belonged to the file, not to the shape now in the generator.
    reconstructionStale = Signal()

    def __init__(self, session: SessionModel, client: EngineClient, button: QPushButton,
                 generate_panel: GeneratePanel, dialog_parent: QWidget | None = None) -> None:
        super().__init__(button)
        self.session = session
        self.client = client
        self.generate_panel = generate_panel
        self.dialog_parent = dialog_parent
        self.dialog: InversionDialog | None = None
        self.job: InversionJob | None = None
        self._subject = ""
        self._grid: np.ndarray | None = None
        self._prediction: tuple[int, int] | None = None  # (seq of the classified main shape, class)
        self.button = button
        self.button.clicked.connect(self.open_dialog)
        session.events.engine.connect(self._on_engine)
        session.events.current.connect(self._on_current)
        session.events.classification.connect(self._on_classified)
        client.failed.connect(self._on_failed)
        self._update_button()

    # -- state ------------------------------------------------------------------------------
    def available(self) -> bool:
        # An opened file only: a generated shape already is in the generator (inverting
        # it silently replaced it by its own approximation).
        current = self.session.current
        return self.session.has_generator and current is not None and current.source_path is not None

    def _on_engine(self, state: EngineState) -> None:
        if state is not EngineState.LOADING:
            self._update_button()

    def _on_current(self, _shape: ShapeResult) -> None:
        self._update_button()

    def _update_button(self, *_args: object) -> None:
        on = self.available()
        self.button.setEnabled(on)
        if on:
            self.client.warm_up_inversion()  # "Open in generator" is offered: make its first run quick
        self.button.setToolTip(
            "Find the GAN latent of the opened file's shape, then morph it with the Generate panel's sliders"
            if on else "Open a file first: this finds the generator latent of an opened shape")

    def _on_classified(self, outcome: ClassifyOutcome) -> None:
        if self.session.current is not None:
            self._prediction = (self.session.current.seq, int(outcome.predicted))

    def default_class(self) -> tuple[int, str]:
        """(class id, why): the classifier's prediction for the shown shape, else its generated class."""
        current = self.session.current
        if current is not None and self._prediction is not None and self._prediction[0] == current.seq:
            return self._prediction[1], "Default: the class the capsule network predicted."
        if current is not None and current.generate is not None:
            return int(current.generate.class_id), "Default: the class the shape was generated in."
        return max(0, self.generate_panel.class_combo.currentIndex()), ""

    def default_slot(self) -> str:
        """B when A already holds another loaded shape (so two shapes can be interpolated)."""
        current = self.session.current
        held = self.generate_panel.loaded_latent("A")
        if held is not None and current is not None and current.source_path is not None \
                and current.source_path.name != held.label:
            return "B"
        return "A"

    # -- user ---------------------------------------------------------------------------------
    def open_dialog(self) -> InversionDialog | None:
        """Show the dialog for the shape in the main view (window-modal, returns at once)."""
        current, info = self.session.current, self.session.engine_info
        if not self.available() or current is None or info is None:
            self.session.notify("Open a file (and load a model with a generator) first", 4000)
            return None
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        self._subject = current.source_path.name if current.source_path is not None else (current.label or "shape")
        self._grid = np.array(current.grid, copy=True)
        class_id, note = self.default_class()
        dialog = InversionDialog(self._subject, info.classes, class_id, note, self.default_slot(),
                                 self.dialog_parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.startRequested.connect(self.start)
        dialog.cancelRequested.connect(self.cancel)
        dialog.finished.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def start(self, class_id: int, steps: int, slot: str) -> None:
        if self._grid is None:
            return
        job = InversionJob(slot, self)
        if self.dialog is not None:
            job.progressed.connect(self.dialog.set_progress)
        job.done.connect(self._on_done)
        self.job = job
        request = InversionRequest(job, self._grid, int(class_id), int(steps), self._subject)
        self.client.submit_unique("invert", request)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.session.notify("Open in generator cancelled", 4000)

    def _dialog_closed(self, _result: int) -> None:
        self.dialog = None

    # -- worker -------------------------------------------------------------------------------
    def _on_done(self, result: InversionOutcome) -> None:
        if result.job is not self.job:
            return
        self.job = None
        if result.job.is_cancelled():
            return
        slot = result.job.slot
        latent = LoadedLatent.from_array(result.z, result.label, result.iou)
        self.reconstructionStale.emit()  # its pose / "Decode as" shape was the file's, not the new one's
        self.generate_panel.set_loaded_latent(slot, latent, result.class_id)
        class_name = self.generate_panel.class_combo.itemText(result.class_id)
        message = (f"{result.label} opened in the generator as {slot} ({class_name}): "
                   f"IoU {result.iou:.2f} after {result.steps_run} steps, {result.seconds:.1f} s")
        if self.dialog is not None:
            self.dialog.set_done(message)
        self.session.notify(message, 8000)
        self.inversionFinished.emit(result)

    def _on_failed(self, failure: Failure) -> None:
        request = failure.request
        if isinstance(request, InversionRequest) and request.job is self.job:
            self.job = None
            if self.dialog is not None:
                self.dialog.set_failed(failure.message)
