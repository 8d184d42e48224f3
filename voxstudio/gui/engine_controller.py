"""The engine's life cycle as the user sees it: loading, ready, failed.

The engine is built by a factory *on the worker thread* (torch never runs on the
GUI thread); meanwhile the window stays usable. When it is ready, the panels get
its classes and sliders and the session announces ``READY`` (the shape
controller then generates the first shape); when it fails, the banner says why
and generation / classification stay disabled while files can still be opened,
viewed and exported.

Gets the session, the engine client and its own widgets (banner, the two panels
it enables, the status-bar labels), nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from voxstudio.gui.banner import Banner
from voxstudio.gui.classify_panel import ClassifyPanel
from voxstudio.gui.generate_panel import GeneratePanel
from voxstudio.gui.requests import EngineInfo, Failure, FailureKind, LoadEngineRequest
from voxstudio.gui.window_chrome import StatusWidgets
from voxstudio.gui.worker import EngineClient
from voxstudio.session import SessionModel

if TYPE_CHECKING:  # voxstudio.models: for the type checker only (no torch on the GUI path at start-up)
    from voxstudio.models.engine_protocol import EngineFactory

LOADING = "Loading model\u2026"


class EngineController(QObject):
    """Loads the engine on the worker and shows its state."""

    def __init__(self, session: SessionModel, client: EngineClient, generate_panel: GeneratePanel,
                 classify_panel: ClassifyPanel, banner: Banner, status: StatusWidgets) -> None:
        super().__init__(banner)
        self.session = session
        self.client = client
        self.generate_panel = generate_panel
        self.classify_panel = classify_panel
        self.banner = banner
        self.status = status
        client.engineLoaded.connect(self._loaded)
        client.engineLoadFailed.connect(self._failed)

    def load(self, factory: EngineFactory) -> None:
        """Build the engine on the worker; the window stays usable meanwhile."""
        self.session.engine_loading()
        self.generate_panel.set_engine(None, LOADING)
        self.classify_panel.set_engine(None, LOADING)
        self.banner.show_message(LOADING, "info", closable=False)
        self.status.model_label.setText("Model: loading\u2026")
        self.status.busy.show()
        self.session.notify(LOADING)
        self.client.submit_unique("engine", LoadEngineRequest(factory))

    def _loaded(self, info: EngineInfo) -> None:
        self.banner.hide()
        self.status.busy.hide()
        self.status.device_label.setText(f"Device: {info.device_text}")
        self.status.model_label.setText(f"Model: {info.model_text}")
        self.session.notify(f"Model loaded in {info.load_ms:.0f} ms", 4000)
        self.generate_panel.set_engine(info)
        self.classify_panel.set_engine(info)
        self.session.engine_ready(info)  # observers generate the first shape / classify an opened file

    def _failed(self, failure: Failure) -> None:
        message = failure.message
        self.status.busy.hide()
        headline = ("Model weights missing or unreadable" if failure.kind is FailureKind.WEIGHTS
                    else "The model could not be loaded")
        self.banner.show_message(
            f"<b>{headline}:</b> {message}<br>Generation and classification are disabled; "
            "you can still open, view and export files.", "warning",
        )
        self.status.model_label.setText("Model: unavailable")
        self.status.device_label.setText("Device: \u2013")
        self.session.notify(f"{headline}: {message}")
        self.generate_panel.set_engine(None, f"{headline}. Generation is disabled.", loading=False)
        self.classify_panel.set_engine(None, f"{headline}. Classification is disabled.", loading=False)
        self.session.engine_failed(message, weights=failure.kind is FailureKind.WEIGHTS)
