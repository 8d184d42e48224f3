"""Export of the shown shape and screenshots of the 3D view.

Exports run on the worker (meshing and writing are never done on the GUI
thread) through a unique channel, so none is dropped; the surface kind and
threshold follow the view. The file dialogs remember the last folder and
format in the settings.

Gets the session, the engine client and its own widgets (the Generate panel
whose class names a generated shape, the viewport it screenshots, the dialogs'
parent) and the settings it remembers folders in, nothing more.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from voxstudio.core.export import EXPORT_EXTENSIONS, ExportOptions
from voxstudio.gui.export_dialog import ask_export_options, ask_export_path, ask_screenshot_path
from voxstudio.gui.generate_panel import GeneratePanel
from voxstudio.gui.requests import ExportOutcome, ExportRequest, Failure
from voxstudio.gui.settings import AppSettings
from voxstudio.gui.viewport import Viewport
from voxstudio.gui.worker import EngineClient
from voxstudio.session import SessionModel


class ExportController(QObject):
    """File > Export and File > Save screenshot."""

    exportFinished = Signal(Path)
    screenshotSaved = Signal(Path)

    def __init__(self, session: SessionModel, client: EngineClient, generate_panel: GeneratePanel,
                 viewport: Viewport, settings: AppSettings, dialog_parent: QWidget) -> None:
        super().__init__(viewport)
        self.session = session
        self.client = client
        self.generate_panel = generate_panel
        self.viewport = viewport
        self.settings = settings
        self.dialog_parent = dialog_parent
        self.last_export_path: Path | None = None
        client.exported.connect(self._exported)
        client.exportFailed.connect(self._export_failed)

    def export_dialog(self) -> None:
        current = self.session.current
        if current is None:
            self.session.notify("Nothing to export yet", 3000)
            return
        stem = (current.source_path.stem if current.source_path is not None
                else (self.generate_panel.class_name() or "shape"))
        path = ask_export_path(self.dialog_parent, self.settings.last_dir, f"{stem}{self.settings.last_export_ext}")
        if path is None:
            return
        occupancy = np.asarray(current.grid) >= self.session.view.threshold
        options = ask_export_options(self.dialog_parent, path, occupancy, self.export_class_name())
        if options is not None:
            self.export_to(path, options)

    def export_class_name(self) -> str | None:
        """The shown shape's class, for the export size: the generator's, else a confident classification's."""
        current = self.session.current
        if current is None:
            return None
        if current.generate is not None and self.generate_panel.class_name():
            return self.generate_panel.class_name()
        outcome = self.session.classification_of_current()
        if outcome is not None and not outcome.none_of_these:
            return str(outcome.classes[outcome.predicted])
        return None

    def export_to(self, path: str | Path, options: ExportOptions | None = None) -> None:
        """Export the shown shape (surface kind and threshold follow the view), atomically."""
        current = self.session.current
        if current is None:
            raise RuntimeError("nothing to export")
        path = Path(path)
        self.settings.last_dir = str(path.parent)
        if path.suffix.lower() in EXPORT_EXTENSIONS:
            self.settings.last_export_ext = path.suffix
        self.session.notify(f"Exporting {path.name}\u2026")
        view = self.session.view
        self.client.submit_unique("export", ExportRequest(path, current.grid, view.surface, view.threshold, options))

    def _exported(self, outcome: ExportOutcome) -> None:
        self.last_export_path = outcome.path
        self.session.notify(f"Exported {outcome.path} ({outcome.ms:.0f} ms)", 6000)
        self.exportFinished.emit(outcome.path)

    def _export_failed(self, failure: Failure) -> None:
        request = failure.request
        if isinstance(request, ExportRequest):
            self.session.notify(f"Export to {request.path.name} failed", 6000)
        self.session.report_error(request.failure_title, failure.message)

    def screenshot_dialog(self) -> None:
        path = ask_screenshot_path(self.dialog_parent, self.settings.last_dir)
        if path is not None:
            self.save_screenshot(path)

    def save_screenshot(self, path: str | Path) -> Path | None:
        try:
            saved = self.viewport.save_screenshot(path)
        except OSError as error:
            self.session.report_error("Screenshot failed", str(error))
            return None
        self.settings.last_dir = str(saved.parent)
        self.session.notify(f"Saved {saved}", 5000)
        self.screenshotSaved.emit(saved)
        return saved
