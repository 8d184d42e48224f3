"""Classification: what is sent to the classifier, and how its answer is shown.

Classifies the main view's shape on request (button, Ctrl+K), a newly opened
file on arrival, generated shapes live when asked to; shows the probabilities
in the Classify panel and splits the viewport for the reconstruction.

Gets the session, the engine client and its own widgets (the Classify panel,
the viewport it splits, the "show reconstruction" action it keeps in step with
the panel's check box), nothing more.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from voxstudio.gui.classify_panel import ClassifyPanel
from voxstudio.gui.requests import ClassifyRequest
from voxstudio.gui.viewport import Viewport
from voxstudio.gui.worker import CHANNEL_CLASSIFY, EngineClient
from voxstudio.session import ClassifyOutcome, EngineState, SessionModel, ShapeResult, ShapeSource


class ClassifyController(QObject):
    """Sends classification requests and shows their outcomes."""

    classified = Signal(ClassifyOutcome)  # after the panel and the session show it

    def __init__(self, session: SessionModel, client: EngineClient, panel: ClassifyPanel, viewport: Viewport,
                 show_reconstruction: QAction) -> None:
        super().__init__(panel)
        self.session = session
        self.client = client
        self.panel = panel
        self.viewport = viewport
        self.show_reconstruction = show_reconstruction
        self._subject: dict[int, str] = {}  # seq -> what the request classified ("chair.off", "chair seed 3")

        panel.classifyRequested.connect(self.classify_current)
        panel.liveToggled.connect(self._on_live_toggled)
        panel.reconstructionToggled.connect(show_reconstruction.setChecked)
        show_reconstruction.toggled.connect(self._on_reconstruction_toggled)
        client.classified.connect(self.show_outcome)
        session.events.engine.connect(self._on_engine)

    def classify_current(self) -> None:
        """Classify whatever the main view shows (generated or opened)."""
        current = self.session.current
        if current is None:
            self.session.notify("Nothing to classify yet", 3000)
            return
        if not self.session.is_ready or not self.panel.is_available():
            self.session.notify("Classification is unavailable (no classifier loaded)", 4000)
            return
        seq = self.session.next_seq()
        self._subject[seq] = current.label or "shape"
        self.client.submit(CHANNEL_CLASSIFY, ClassifyRequest(seq, current.grid, self.session.view))

    def on_shape_shown(self, result: ShapeResult, fresh_file: bool) -> None:
        """A newly opened (or turned) file is classified right away; generated shapes when live."""
        live = result.generate is not None and self.panel.live_check.isChecked()
        if (fresh_file and self.panel.is_available()) or live:
            self.classify_current()

    def show_outcome(self, outcome: ClassifyOutcome) -> None:
        if not self.session.accept("classify", outcome.seq):
            return
        subject = self._subject.pop(outcome.seq, "shape")
        for stale in [seq for seq in self._subject if seq < outcome.seq]:
            del self._subject[stale]  # coalesced away: never answered
        self.panel.show_outcome(outcome, subject)
        self.session.set_classification(outcome)  # the shape controller shows its reconstruction
        if self.show_reconstruction.isChecked() and not self.viewport.split:
            self.viewport.set_split(True)
            self.viewport.reset_camera()
        self.classified.emit(outcome)

    def _on_engine(self, state: EngineState) -> None:
        if state is EngineState.READY and self.session.current_source is ShapeSource.FILE \
                and self.session.has_classifier:
            self.classify_current()  # a file opened while the model was loading

    def _on_live_toggled(self, on: bool) -> None:
        if on and self.session.current is not None:
            self.classify_current()

    def _on_reconstruction_toggled(self, on: bool) -> None:
        check = self.panel.recon_check
        blocked = check.blockSignals(True)
        check.setChecked(on)
        check.blockSignals(blocked)
        self.viewport.set_split(on and self.session.reconstruction is not None)
        self.viewport.reset_camera()
