"""VoxStudio's main window: assembles the widgets, the session, the engine client and the controllers.

Why it only assembles: the state lives in the Qt-free ``SessionModel``
(``voxstudio.session``), the work in one controller per job, each given the
session, the engine client and its own widgets (``shape_controller``,
``classify_controller``, ``engine_controller``, ``export_controller``,
``view_controller``, ``pose_explorer``, ``inversion``). This module builds the
widgets, creates those objects, connects them, shows the session's status
messages and errors, and keeps the window's own chrome (docks, menus, dialogs,
drag and drop, settings, shutdown). The read-only properties at the end forward
to the session for the app, benchmarks and tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QImage, QPainter
from PySide6.QtWidgets import QDialog, QDockWidget, QMainWindow, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from voxstudio import __version__
from voxstudio.core.export import ExportOptions
from voxstudio.gui.actions import build_menus, create_actions, update_action_states
from voxstudio.gui.banner import Banner
from voxstudio.gui.classify_controller import ClassifyController
from voxstudio.gui.classify_panel import ClassifyPanel
from voxstudio.gui.engine_controller import EngineController
from voxstudio.gui.export_controller import ExportController
from voxstudio.gui.export_dialog import ask_open_path
from voxstudio.gui.gallery import GalleryController
from voxstudio.gui.generate_panel import GeneratePanel
from voxstudio.gui.history_controller import HistoryController
from voxstudio.gui.inversion import InversionController
from voxstudio.gui.pose_explorer import PoseExplorerController
from voxstudio.gui.requests import Failure
from voxstudio.gui.sculpt import SculptController
from voxstudio.gui.settings import AppSettings
from voxstudio.gui.shape_controller import ShapeController
from voxstudio.gui.view_controller import ViewController
from voxstudio.gui.viewport import Viewport
from voxstudio.gui.window_chrome import StatusWidgets, ViewToolbar
from voxstudio.gui.worker import EngineClient
from voxstudio.session import (
    DEFAULT_RESOLUTION,
    ClassifyOutcome,
    EngineInfo,
    EngineState,
    ErrorReport,
    SessionModel,
    ShapeResult,
    ShapeSource,
    StatusMessage,
    ViewParams,
)

if TYPE_CHECKING:  # voxstudio.models: for the type checker only (no torch on the GUI path at start-up)
    from voxstudio.models.engine_protocol import EngineFactory, InferenceEngine

__all__ = ["DEFAULT_RESOLUTION", "MainWindow", "app_icon", "default_engine_factory"]


def default_engine_factory(weights_dir: str | Path | None = None, device: str = "auto") -> EngineFactory:
    """Factory run on the worker: loads the shipped weights (raises WeightsError)."""

    def factory() -> InferenceEngine:
        from voxstudio.models.engine import VoxelEngine

        return VoxelEngine.load(weights_dir, device=device)

    return factory


class MainWindow(QMainWindow):
    """The VoxStudio window."""

    engineReady = Signal(EngineInfo)
    engineFailed = Signal(str)
    shapeShown = Signal(ShapeResult)  # main view, uploaded to the viewport
    frameShown = Signal(int)  # seq of the main-view result now painted on screen
    reconstructionShown = Signal(ShapeResult)
    classified = Signal(ClassifyOutcome)
    exportFinished = Signal(Path)
    screenshotSaved = Signal(Path)
    errorShown = Signal(str, str)  # title, message

    def __init__(
        self,
        engine_factory: EngineFactory | None = None,
        settings: AppSettings | None = None,
        multi_samples: int | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings if settings is not None else AppSettings()
        self.setWindowTitle("VoxStudio")
        self.setObjectName("VoxStudioMainWindow")
        self.setAcceptDrops(True)
        self.error_dialog: QMessageBox | None = None
        self.shortcuts_dialog: QDialog | None = None
        self._closed = False

        self.session = SessionModel()
        self.client = EngineClient(self)
        self._build_ui(multi_samples)
        self._build_controllers()
        self._connect()
        self._restore_settings()
        if engine_factory is not None:
            self.load_engine(engine_factory)

    # ================================================================== assembly
    def _build_ui(self, multi_samples: int | None) -> None:
        self.window_actions = create_actions(self)
        self.viewport = Viewport(self, multi_samples=multi_samples)
        self.banner = Banner()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.viewport, 1)
        self.setCentralWidget(central)

        self.generate_panel = GeneratePanel()
        self.classify_panel = ClassifyPanel()
        self.generate_dock = self._dock("Generate", self.generate_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.classify_dock = self._dock("Classify", self.classify_panel, Qt.DockWidgetArea.RightDockWidgetArea)

        self.toolbar = ViewToolbar(self.window_actions, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.colour_combo = self.toolbar.colour_combo
        self.threshold_slider = self.toolbar.threshold_slider
        self.threshold_label = self.toolbar.threshold_label
        build_menus(self.menuBar(), self.window_actions,
                    [self.generate_dock.toggleViewAction(), self.classify_dock.toggleViewAction()])
        self.status_widgets = StatusWidgets(self.statusBar())
        self.busy = self.status_widgets.busy
        self.device_label = self.status_widgets.device_label
        self.model_label = self.status_widgets.model_label
        self.timing_label = self.status_widgets.timing_label
        self.resize(1440, 900)

    def _dock(self, title: str, panel: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}_dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(panel)
        scroll.setMinimumWidth(330)
        dock.setWidget(scroll)
        self.addDockWidget(area, dock)
        return dock

    def _build_controllers(self) -> None:
        s, c, a = self.session, self.client, self.window_actions
        self.engine = EngineController(s, c, self.generate_panel, self.classify_panel, self.banner,
                                       self.status_widgets)
        # before ShapeController: on engine ready it puts the last shape on the panel before the first regeneration
        self.history = HistoryController(s, self.generate_panel, self.settings, self, self.client)  # undo / strip / favourites
        self.view = ViewController(s, self.viewport, a, self.toolbar, self.generate_panel, self.settings)
        self.shapes = ShapeController(s, c, self.generate_panel, self.classify_panel, self.viewport)
        self.classification = ClassifyController(s, c, self.classify_panel, self.viewport, a.reconstruction)
        self.exports = ExportController(s, c, self.generate_panel, self.viewport, self.settings, self)
        self.pose_explorer = PoseExplorerController(s, c, self.classify_panel.pose_box, a.reconstruction)
        self.inversion = InversionController(s, c, self.classify_panel.invert_button, self.generate_panel, self)
        self.sculpt = SculptController(s, c, self.viewport, self.generate_panel, a.smooth, self)  # Sculpt and snap
        self.sculpt.install(self.toolbar, self.menuBar())
        self.history.install(self.menuBar(), self.centralWidget())
        self.gallery = GalleryController(s, c, self.generate_panel, self)  # Generate > Gallery (Ctrl+G)

    def _connect(self) -> None:
        s, a = self.session, self.window_actions
        a.open.triggered.connect(self.open_file_dialog)
        a.export.triggered.connect(self.exports.export_dialog)
        a.screenshot.triggered.connect(self.exports.screenshot_dialog)
        a.quit.triggered.connect(self.close)
        a.classify.triggered.connect(self.classification.classify_current)
        a.gallery.triggered.connect(self.gallery.open)
        a.about.triggered.connect(self._about)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.documentation.triggered.connect(self.open_documentation)
        self.classify_panel.openRequested.connect(self.open_file_dialog)
        # controllers -> controllers
        self.shapes.shapeShown.connect(self.classification.on_shape_shown)
        self.shapes.timingsChanged.connect(self.timing_label.setText)
        self.inversion.reconstructionStale.connect(self.shapes.clear_reconstruction)
        self.client.failed.connect(self._on_failed)
        # session -> window chrome
        s.events.status.connect(self._show_status)
        s.events.error.connect(self._show_error_report)
        for event in (s.events.engine, s.events.current, s.events.classification):
            event.connect(lambda _value: update_action_states(a, s))
        # the window's own signals (app start-up check, benchmarks, tests)
        s.events.engine.connect(self._announce_engine)
        s.events.painted.connect(self.frameShown.emit)
        s.events.painted.connect(self._after_first_frame)
        self.shapes.shapeShown.connect(lambda result, _fresh: self.shapeShown.emit(result))
        self.shapes.reconstructionShown.connect(self.reconstructionShown)
        self.classification.classified.connect(self.classified)
        self.exports.exportFinished.connect(self.exportFinished)
        self.exports.screenshotSaved.connect(self.screenshotSaved)

    def _restore_settings(self) -> None:
        s = self.settings
        if s.geometry is not None:
            self.restoreGeometry(s.geometry)
        if s.window_state is not None:
            self.restoreState(s.window_state)
        self.view.restore()
        self.window_actions.reconstruction.setChecked(True)
        update_action_states(self.window_actions, self.session)

    def _save_settings(self) -> None:
        s = self.settings
        s.geometry = self.saveGeometry()
        s.window_state = self.saveState()
        self.view.save()
        s.sync()

    # ================================================================== session -> window
    def _after_first_frame(self, _seq: int) -> None:
        """Once a shape is on screen: start the file reader (not before -- it competed with the first shape)."""
        self.session.events.painted.disconnect(self._after_first_frame)
        self.client.warm_up_files()

    def _announce_engine(self, state: EngineState) -> None:
        if state is EngineState.READY and self.session.engine_info is not None:
            self.engineReady.emit(self.session.engine_info)
        elif state is EngineState.FAILED:
            self.engineFailed.emit(self.session.engine_error)

    def _show_status(self, message: StatusMessage) -> None:
        self.statusBar().showMessage(message.text, message.timeout_ms)

    def _show_error_report(self, report: ErrorReport) -> None:
        if not self._closed:
            self.show_error(report.title, report.message)

    def _on_failed(self, failure: Failure) -> None:
        """Generation, classification and feature requests: a dialog titled by the request."""
        if not self._closed:
            self.show_error(failure.request.failure_title, failure.message)

    def show_error(self, title: str, message: str) -> QMessageBox:
        """Non-blocking (window-modal) error dialog; the newest replaces an open one."""
        if self.error_dialog is not None:
            self.error_dialog.close()
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _code, b=box: self._error_closed(b))
        self.error_dialog = box
        box.open()
        self.errorShown.emit(title, message)
        return box

    def _error_closed(self, box: QMessageBox) -> None:
        if self.error_dialog is box:
            self.error_dialog = None

    # ================================================================== commands
    def load_engine(self, factory: EngineFactory) -> None:
        """Build the engine on the worker; the window stays usable meanwhile."""
        self.engine.load(factory)

    def open_file_dialog(self) -> None:
        path = ask_open_path(self, self.settings.last_dir)
        if path is not None:
            self.open_path(path)

    def open_path(self, path: str | Path, up: str | None = None) -> bool:
        """Load a voxel/mesh file on the worker (returns at once); errors come back as a dialog."""
        self.settings.last_dir = str(Path(path).parent)
        return self.shapes.open_path(path, up)

    def classify_current(self) -> None:
        self.classification.classify_current()

    def export_to(self, path: str | Path, options: ExportOptions | None = None) -> None:
        self.exports.export_to(path, options)

    def save_screenshot(self, path: str | Path) -> Path | None:
        return self.exports.save_screenshot(path)

    def set_material_colour(self, colour: str) -> None:
        self.view.set_material_colour(colour)

    def grab_window_image(self) -> QImage:
        """The whole window as an image, 3D view included.

        ``QWidget.grab`` cannot read the OpenGL surface of the VTK widget, so the
        plotter's own render is painted over the viewport's rectangle.
        """
        image = self.grab().toImage()
        view = self.viewport.render_qimage()
        top_left = self.viewport.plotter.mapTo(self, QPoint(0, 0))
        ratio = image.devicePixelRatio()
        painter = QPainter(image)
        target = QRect(top_left, QSize(self.viewport.plotter.width(), self.viewport.plotter.height()))
        painter.drawImage(target, view.scaled(int(target.width() * ratio), int(target.height() * ratio)))
        painter.end()
        return image

    def show_shortcuts(self) -> QDialog:
        """Help > Keyboard shortcuts (non-modal, one at a time)."""
        from voxstudio.gui.shortcuts_dialog import ShortcutsDialog

        if self.shortcuts_dialog is None:
            self.shortcuts_dialog = ShortcutsDialog(self.window_actions, self, self.history.actions())
        self.shortcuts_dialog.show()
        self.shortcuts_dialog.raise_()
        return self.shortcuts_dialog

    def open_documentation(self) -> bool:
        """Help > Documentation: the README in the system's viewer."""
        from PySide6.QtGui import QDesktopServices

        from voxstudio.gui.shortcuts_dialog import docs_url

        opened = QDesktopServices.openUrl(docs_url())
        if not opened:
            self.statusBar().showMessage(f"Could not open {docs_url().toLocalFile()}", 6000)
        return opened

    def _about(self) -> None:
        QMessageBox.about(
            self, "About VoxStudio",
            f"<b>VoxStudio {__version__}</b><p>Explore generative 3D voxel models: a class-conditional "
            "3D GAN, a 3D capsule network classifier, and export to STL, OBJ, PLY, GLB, binvox, vox and npy.</p>",
        )

    # ================================================================== session state (read-only views)
    @property
    def engine_state(self) -> EngineState:
        return self.session.engine_state

    @property
    def engine_info(self) -> EngineInfo | None:
        return self.session.engine_info

    @property
    def engine_error(self) -> str:
        return self.session.engine_error

    @property
    def current(self) -> ShapeResult | None:
        return self.session.current

    @property
    def current_source(self) -> ShapeSource:
        return self.session.current_source

    @property
    def reconstruction(self) -> ShapeResult | None:
        return self.session.reconstruction

    @property
    def last_classification(self) -> ClassifyOutcome | None:
        return self.session.last_classification

    @property
    def latencies_ms(self) -> list[float]:
        return self.session.latencies_ms

    def latest_request_seq(self) -> int:
        return self.session.latest_request_seq()

    def shown_seq(self, target: str = "main") -> int:
        return self.session.shown_seq(target)

    def painted_seq(self) -> int:
        return self.session.painted_seq()

    def view_params(self) -> ViewParams:
        return self.session.view

    def surface_mode(self) -> str:
        return self.session.view.surface

    def threshold(self) -> float:
        return self.session.view.threshold

    def resolution(self) -> int:
        return self.session.resolution()

    # ================================================================== drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_path(files[0])  # only queues the load: returns at once

    # ================================================================== shutdown
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self._closed:
            super().closeEvent(event)
            return
        self._closed = True
        self.generate_panel.set_animating(False)
        self._save_settings()
        self.client.shutdown()  # results still queued are dropped: the viewport is going
        self.viewport.close_plotter()
        super().closeEvent(event)


def app_icon() -> QIcon:
    from voxstudio.paths import resource_path

    icon = QIcon()
    for name in ("voxstudio.svg", "voxstudio.png"):
        path = resource_path("icons", name)
        if path.exists():
            icon.addFile(str(path))
    return icon
