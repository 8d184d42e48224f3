"""VoxStudio's main window: viewport in the centre, Generate / Classify docks.

The window is the only place that connects widgets to the worker. It holds no
heavy state: the latest ``ShapeResult`` (grid + mesh) for each view, the engine's
``EngineInfo``, and sequence numbers so a late result never overwrites a newer
one. All computation (torch, file parsing, meshing, export) is submitted to the
``EngineClient``; the GUI thread only uploads ready meshes and paints.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QImage,
    QPainter,
)
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from voxstudio import __version__
from voxstudio.core.export import EXPORT_EXTENSIONS, ExportOptions
from voxstudio.gui.actions import build_menus, create_actions
from voxstudio.gui.banner import Banner
from voxstudio.gui.classify_panel import ClassifyPanel
from voxstudio.gui.export_dialog import (
    OPEN_EXTENSIONS,
    ask_export_options,
    ask_export_path,
    ask_open_path,
    ask_screenshot_path,
)
from voxstudio.gui.generate_panel import GeneratePanel
from voxstudio.gui.inversion import InversionController
from voxstudio.gui.pose_explorer import PoseExplorerController
from voxstudio.gui.requests import (
    ClassifyOutcome,
    ClassifyRequest,
    EngineInfo,
    ExportOutcome,
    ExportRequest,
    Failure,
    LoadEngineRequest,
    LoadFileRequest,
    ShapeRequest,
    ShapeResult,
    ViewParams,
)
from voxstudio.gui.settings import AppSettings
from voxstudio.gui.viewport import Viewport
from voxstudio.gui.window_chrome import StatusWidgets, ViewToolbar
from voxstudio.gui.worker import (
    CHANNEL_CLASSIFY,
    CHANNEL_FILE,
    CHANNEL_MAIN,
    CHANNEL_RECON,
    EngineClient,
)

EngineFactory = Callable[[], Any]
DEFAULT_RESOLUTION = 32


def default_engine_factory(weights_dir: str | Path | None = None, device: str = "auto") -> EngineFactory:
    """Factory run on the worker: loads the shipped weights (raises WeightsError)."""

    def factory() -> Any:
        from voxstudio.models.engine import VoxelEngine

        return VoxelEngine.load(weights_dir, device=device)

    return factory


class MainWindow(QMainWindow):
    """The VoxStudio window."""

    engineReady = Signal(object)  # EngineInfo
    engineFailed = Signal(str)
    shapeShown = Signal(object)  # ShapeResult (main view), uploaded to the viewport
    frameShown = Signal(int)  # seq of the main-view result now painted on screen
    reconstructionShown = Signal(object)  # ShapeResult (reconstruction view)
    classified = Signal(object)  # ClassifyOutcome
    exportFinished = Signal(object)  # Path
    screenshotSaved = Signal(object)  # Path
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

        self.engine_info: EngineInfo | None = None
        self.engine_state = "none"  # none | loading | ready | failed
        self.engine_error = ""
        self.current: ShapeResult | None = None
        self.current_source = "none"  # none | generated | file
        self.reconstruction: ShapeResult | None = None
        self.last_classification: ClassifyOutcome | None = None
        self.error_dialog: QMessageBox | None = None
        self.last_export_path: Path | None = None
        self._seq = itertools.count(1)
        self._shown_seq = {"main": 0, "recon": 0, "classify": 0}
        self._last_seq = 0
        self._painted_seq = 0
        self._awaiting_frame: tuple[int, float | None] | None = None
        self._requested_at: dict[int, float] = {}
        self._classify_subject: dict[int, str] = {}
        self._classify_when_shown: set[int] = set()  # seqs of opened / turned files: classified on arrival
        self.latencies_ms: list[float] = []  # request -> painted frame, main view (last 1000)
        self._closed = False

        self.client = EngineClient(self)
        self.client.finished.connect(self._on_finished)
        self.client.failed.connect(self._on_failed)

        self._build_ui(multi_samples)
        self.pose_explorer = PoseExplorerController(self)  # capsule pose sliders -> reconstruction view
        self.inversion = InversionController(self)  # "Open in generator"
        self._restore_settings()
        if engine_factory is not None:
            self.load_engine(engine_factory)

    # ================================================================== UI
    def _build_ui(self, multi_samples: int | None) -> None:
        self.actions = create_actions(self)
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

        self._build_toolbar()
        build_menus(self.menuBar(), self.actions,
                    [self.generate_dock.toggleViewAction(), self.classify_dock.toggleViewAction()])
        self._build_status_bar()
        self._connect()
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

    def _build_toolbar(self) -> None:
        self.toolbar = ViewToolbar(self.actions, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.colour_combo = self.toolbar.colour_combo
        self.threshold_slider = self.toolbar.threshold_slider
        self.threshold_label = self.toolbar.threshold_label

    def _build_status_bar(self) -> None:
        self.status_widgets = StatusWidgets(self.statusBar())
        self.busy = self.status_widgets.busy
        self.device_label = self.status_widgets.device_label
        self.model_label = self.status_widgets.model_label
        self.timing_label = self.status_widgets.timing_label

    def _connect(self) -> None:
        a = self.actions
        a.open.triggered.connect(self.open_file_dialog)
        a.export.triggered.connect(self.export_dialog)
        a.screenshot.triggered.connect(self.screenshot_dialog)
        a.quit.triggered.connect(self.close)
        a.reset_camera.triggered.connect(lambda: self.viewport.reset_camera())
        a.smooth.toggled.connect(self._on_surface_toggled)
        a.wireframe.toggled.connect(self.viewport.set_wireframe)
        a.bounds.toggled.connect(self._on_bounds_toggled)
        a.colour_by_height.toggled.connect(self._on_colour_by_height)
        a.material_colour.triggered.connect(self.pick_material_colour)
        a.reconstruction.toggled.connect(self._on_reconstruction_toggled)
        a.random_seed.triggered.connect(self.generate_panel.randomise_seed)
        a.reset_sliders.triggered.connect(self.generate_panel.reset)
        a.animate.toggled.connect(self.generate_panel.set_animating)
        a.classify.triggered.connect(self.classify_current)
        a.about.triggered.connect(self._about)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.documentation.triggered.connect(self.open_documentation)
        self.generate_panel.animate_button.toggled.connect(self._sync_animate_action)
        self.colour_combo.currentIndexChanged.connect(lambda i: a.colour_by_height.setChecked(i == 0))
        self.threshold_slider.valueChanged.connect(self._on_threshold)
        self.generate_panel.paramsChanged.connect(self.regenerate)
        self.viewport.frameRendered.connect(self._on_frame)
        self.classify_panel.openRequested.connect(self.open_file_dialog)
        self.classify_panel.classifyRequested.connect(self.classify_current)
        self.classify_panel.reconstructionToggled.connect(a.reconstruction.setChecked)
        self.classify_panel.liveToggled.connect(self._on_live_toggled)
        self.classify_panel.upAxisChanged.connect(self._reopen_with_up_axis)
        self.classify_panel.rotateRequested.connect(self.rotate_current)

    def _restore_settings(self) -> None:
        s = self.settings
        if s.geometry is not None:
            self.restoreGeometry(s.geometry)
        if s.window_state is not None:
            self.restoreState(s.window_state)
        a = self.actions
        a.smooth.setChecked(s.surface == "smooth")
        a.bounds.setChecked(s.show_bounds)
        self.viewport.set_bounds_visible(s.show_bounds)
        self.viewport.set_material_colour(s.material_colour)
        a.colour_by_height.setChecked(s.colour_mode == "height")
        self._on_colour_by_height(s.colour_mode == "height")
        a.reconstruction.setChecked(True)
        self._update_action_states()

    def _save_settings(self) -> None:
        s = self.settings
        s.geometry = self.saveGeometry()
        s.window_state = self.saveState()
        s.surface = self.surface_mode()
        s.show_bounds = self.actions.bounds.isChecked()
        s.colour_mode = "height" if self.actions.colour_by_height.isChecked() else "material"
        s.sync()

    # ================================================================== view state
    def surface_mode(self) -> str:
        return "smooth" if self.actions.smooth.isChecked() else "blocky"

    def threshold(self) -> float:
        return self.toolbar.threshold()

    def view_params(self) -> ViewParams:
        return ViewParams(surface=self.surface_mode(), threshold=self.threshold())

    def resolution(self) -> int:
        return self.engine_info.resolution if self.engine_info is not None else DEFAULT_RESOLUTION

    def _on_surface_toggled(self, smooth: bool) -> None:
        self.settings.surface = "smooth" if smooth else "blocky"
        self.refresh_surfaces()

    def _on_threshold(self, _value: int) -> None:
        self.refresh_surfaces()

    def _on_bounds_toggled(self, on: bool) -> None:
        self.viewport.set_bounds_visible(on)
        self.settings.show_bounds = on

    def _on_colour_by_height(self, on: bool) -> None:
        self.viewport.set_colour_mode("height" if on else "material")
        blocked = self.colour_combo.blockSignals(True)
        self.colour_combo.setCurrentIndex(0 if on else 1)
        self.colour_combo.blockSignals(blocked)
        self.settings.colour_mode = "height" if on else "material"

    def pick_material_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(self.settings.material_colour), self, "Material colour")
        if colour.isValid():
            self.set_material_colour(colour.name())

    def set_material_colour(self, colour: str) -> None:
        self.settings.material_colour = colour
        self.viewport.set_material_colour(colour)
        self.actions.colour_by_height.setChecked(False)

    def _on_reconstruction_toggled(self, on: bool) -> None:
        blocked = self.classify_panel.recon_check.blockSignals(True)
        self.classify_panel.recon_check.setChecked(on)
        self.classify_panel.recon_check.blockSignals(blocked)
        self.viewport.set_split(on and self.reconstruction is not None)
        self.viewport.reset_camera()

    def _sync_animate_action(self, on: bool) -> None:
        blocked = self.actions.animate.blockSignals(True)
        self.actions.animate.setChecked(on)
        self.actions.animate.blockSignals(blocked)

    def _on_live_toggled(self, on: bool) -> None:
        if on and self.current is not None:
            self.classify_current()

    def _update_action_states(self) -> None:
        ready = self.engine_state == "ready" and self.engine_info is not None
        gen = ready and self.engine_info.has_generator
        cls = ready and self.engine_info.has_classifier
        for action in (self.actions.random_seed, self.actions.reset_sliders, self.actions.animate):
            action.setEnabled(gen)
        self.actions.classify.setEnabled(cls and self.current is not None)
        self.actions.reconstruction.setEnabled(cls)
        self.actions.export.setEnabled(self.current is not None)

    # ================================================================== engine
    def load_engine(self, factory: EngineFactory) -> None:
        """Build the engine on the worker; the window stays usable meanwhile."""
        self.engine_state = "loading"
        self.engine_info = None
        self.generate_panel.set_engine(None, "Loading model\u2026")
        self.classify_panel.set_engine(None, "Loading model\u2026")
        self.banner.show_message("Loading model\u2026", "info", closable=False)
        self.model_label.setText("Model: loading\u2026")
        self.busy.show()
        self.statusBar().showMessage("Loading model\u2026")
        self._update_action_states()
        self.client.submit_unique("engine", LoadEngineRequest(factory))

    def _engine_loaded(self, info: EngineInfo) -> None:
        self.engine_info = info
        self.engine_state = "ready"
        self.banner.hide()
        self.busy.hide()
        self.device_label.setText(f"Device: {info.device_text}")
        self.model_label.setText(f"Model: {info.model_text}")
        self.statusBar().showMessage(f"Model loaded in {info.load_ms:.0f} ms", 4000)
        self.generate_panel.set_engine(info)
        self.classify_panel.set_engine(info)
        self._update_action_states()
        if info.has_generator and self.current_source in ("none", "generated"):
            self.regenerate()
        elif self.current_source == "file" and info.has_classifier:
            self.classify_current()  # a file opened while the model was loading
        self.engineReady.emit(info)

    def _engine_failed(self, message: str, weights: bool) -> None:
        self.engine_state = "failed"
        self.engine_error = message
        self.busy.hide()
        headline = "Model weights missing or unreadable" if weights else "The model could not be loaded"
        self.banner.show_message(
            f"<b>{headline}:</b> {message}<br>Generation and classification are disabled; "
            "you can still open, view and export files.", "warning",
        )
        self.model_label.setText("Model: unavailable")
        self.device_label.setText("Device: \u2013")
        self.statusBar().showMessage(f"{headline}: {message}")
        self.generate_panel.set_engine(None, f"{headline}. Generation is disabled.", loading=False)
        self.classify_panel.set_engine(None, f"{headline}. Classification is disabled.", loading=False)
        self._update_action_states()
        self.engineFailed.emit(message)

    # ================================================================== requests
    def latest_request_seq(self) -> int:
        """Sequence number of the newest request sent to the worker."""
        return self._last_seq

    def shown_seq(self, target: str = "main") -> int:
        """Sequence number of what a view ("main", "recon", "classify") currently shows."""
        return self._shown_seq[target]

    def _next_seq(self) -> int:
        seq = next(self._seq)
        self._last_seq = seq
        self._requested_at[seq] = time.perf_counter()
        if len(self._requested_at) > 512:  # only recent requests matter for latency
            for old in sorted(self._requested_at)[:256]:
                self._requested_at.pop(old, None)
        return seq

    def regenerate(self) -> None:
        """Submit the generate panel's current parameters (latest wins)."""
        if self.engine_state != "ready" or not self.generate_panel.is_available():
            return
        self.current_source = "generated"
        request = ShapeRequest(
            self._next_seq(), "main", self.view_params(),
            generate=self.generate_panel.params(), label=self.generate_panel.describe(),
        )
        self.client.submit(CHANNEL_MAIN, request)

    def refresh_surfaces(self) -> None:
        """Re-mesh what is shown after a view change (surface kind, threshold)."""
        view = self.view_params()
        if self.current is not None:
            if self.current_source == "generated" and self.current.generate is not None:
                request = ShapeRequest(self._next_seq(), "main", view, generate=self.current.generate,
                                       label=self.current.label)
                # re-use the latest panel params if they moved on since
                if self.generate_panel.is_available():
                    request.generate = self.generate_panel.params()
                    request.label = self.generate_panel.describe()
            else:
                request = ShapeRequest(self._next_seq(), "main", view, grid=self.current.grid,
                                       label=self.current.label, source_path=self.current.source_path,
                                       source_note=self.current.source_note)
            self.client.submit(CHANNEL_MAIN, request)
        if self.reconstruction is not None:
            self.client.submit(CHANNEL_RECON, ShapeRequest(
                self._next_seq(), "recon", view, grid=self.reconstruction.grid, label="reconstruction",
                frame_resolution=None if self.current is None else int(self.current.grid.shape[0])))

    def open_file_dialog(self) -> None:
        path = ask_open_path(self, self.settings.last_dir)
        if path is not None:
            self.open_path(path)

    def open_path(self, path: str | Path, up: str | None = None) -> bool:
        """Load a voxel/mesh file on the worker; errors come back as a dialog.

        ``up`` defaults to the Classify panel's up-axis choice.
        """
        path = Path(path)
        self.settings.last_dir = str(path.parent)
        if path.suffix.lower() not in OPEN_EXTENSIONS:
            self.show_error("Cannot open file",
                            f"{path.name}: unsupported file type. Supported: {', '.join(OPEN_EXTENSIONS)}")
            return False
        self.statusBar().showMessage(f"Opening {path.name}\u2026")
        self.generate_panel.set_animating(False)
        # The file is what the user wants to see now: a model that finishes loading
        # meanwhile must not replace it with a generated shape.
        self.current_source = "file"
        seq = self._next_seq()
        self._classify_when_shown.add(seq)
        self.client.submit(CHANNEL_FILE, LoadFileRequest(seq, path, self.resolution(), self.view_params(),
                                                         up=up or self.classify_panel.up_axis()))
        return True

    def _reopen_with_up_axis(self, up: str) -> None:
        """A new up-axis choice applies to the shown file at once (re-read, re-framed, re-classified)."""
        if self.current is not None and self.current.source_path is not None:
            self.open_path(self.current.source_path, up)

    def rotate_current(self, axis: str) -> None:
        """Turn the opened file's shape 90 degrees about ``axis``, re-frame it and classify it again."""
        from voxstudio.core.io.prepare import turned

        if self.current is None or self.current.source_path is None:
            self.statusBar().showMessage("Open a file to rotate it", 3000)
            return
        seq = self._next_seq()
        self._classify_when_shown.add(seq)
        note = f"{self.current.source_note} \u00b7 turned 90\u00b0 about {axis}"
        self.client.submit(CHANNEL_MAIN, ShapeRequest(
            seq, "main", self.view_params(), grid=turned(self.current.grid, axis), label=self.current.label,
            source_path=self.current.source_path, source_note=note))

    def classify_current(self) -> None:
        """Classify whatever the main view shows (generated or opened)."""
        if self.current is None:
            self.statusBar().showMessage("Nothing to classify yet", 3000)
            return
        if self.engine_state != "ready" or not self.classify_panel.is_available():
            self.statusBar().showMessage("Classification is unavailable (no classifier loaded)", 4000)
            return
        seq = self._next_seq()
        self._classify_subject[seq] = self.current.label or "shape"
        self.client.submit(CHANNEL_CLASSIFY, ClassifyRequest(seq, self.current.grid, self.view_params()))

    def export_dialog(self) -> None:
        if self.current is None:
            self.statusBar().showMessage("Nothing to export yet", 3000)
            return
        stem = (self.current.source_path.stem if self.current.source_path is not None
                else (self.generate_panel.class_name() or "shape"))
        path = ask_export_path(self, self.settings.last_dir, f"{stem}{self.settings.last_export_ext}")
        if path is None:
            return
        occupancy = np.asarray(self.current.grid) >= self.threshold()
        options = ask_export_options(self, path, occupancy, self.export_class_name())
        if options is not None:
            self.export_to(path, options)

    def clear_reconstruction(self) -> None:
        """Drop the reconstruction view's shape (it belonged to a shape no longer shown)."""
        import pyvista as pv

        self.reconstruction = None
        self.viewport.show_mesh(pv.PolyData(), "recon")
        self.viewport.set_recon_caption("Reconstruction")
        self.classify_panel.pose_box.set_engine(self.engine_info)  # the pose was that shape's

    def export_class_name(self) -> str | None:
        """The shown shape's class, for the export size: the generator's, else a confident classification's."""
        if self.current is None:
            return None
        if self.current.generate is not None and self.generate_panel.class_name():
            return self.generate_panel.class_name()
        outcome = self.last_classification
        if outcome is not None and outcome.seq > self.current.seq and not outcome.none_of_these:
            return str(outcome.classes[outcome.predicted])
        return None

    def export_to(self, path: str | Path, options: ExportOptions | None = None) -> None:
        """Export the shown shape (surface kind and threshold follow the view), atomically."""
        if self.current is None:
            raise RuntimeError("nothing to export")
        path = Path(path)
        self.settings.last_dir = str(path.parent)
        if path.suffix.lower() in EXPORT_EXTENSIONS:
            self.settings.last_export_ext = path.suffix
        self.statusBar().showMessage(f"Exporting {path.name}\u2026")
        self.client.submit_unique("export", ExportRequest(path, self.current.grid, self.surface_mode(), self.threshold(),
                                                          options))

    def screenshot_dialog(self) -> None:
        path = ask_screenshot_path(self, self.settings.last_dir)
        if path is not None:
            self.save_screenshot(path)

    def save_screenshot(self, path: str | Path) -> Path | None:
        try:
            saved = self.viewport.save_screenshot(path)
        except OSError as error:
            self.show_error("Screenshot failed", str(error))
            return None
        self.settings.last_dir = str(saved.parent)
        self.statusBar().showMessage(f"Saved {saved}", 5000)
        self.screenshotSaved.emit(saved)
        return saved

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

    # ================================================================== results
    def _on_finished(self, result: object) -> None:
        if self._closed:
            return  # a result queued before the window closed: the viewport is gone
        if isinstance(result, ShapeResult):
            self._show_shape(result)
        elif isinstance(result, ClassifyOutcome):
            self._show_classification(result)
        elif isinstance(result, ExportOutcome):
            self.last_export_path = result.path
            self.statusBar().showMessage(f"Exported {result.path} ({result.ms:.0f} ms)", 6000)
            self.exportFinished.emit(result.path)
        elif isinstance(result, EngineInfo):
            self._engine_loaded(result)

    def _show_shape(self, result: ShapeResult) -> None:
        target = result.target
        if result.seq < self._shown_seq[target]:
            return  # a newer shape for this view is already on screen
        self._shown_seq[target] = result.seq
        if target == "recon":
            self.reconstruction = result
            self.viewport.show_mesh(result.mesh, "recon")  # already in the main view's frame
            if result.mesh.n_points == 0:  # say why the view is blank instead of leaving it black
                self.viewport.set_recon_caption(  # short lines: the caption is centred on a half view
                    f"{result.label or 'Reconstruction'}: empty\nno voxel above the threshold {self.threshold():.2f}"
                    "\nlower it in the toolbar, or Reset the pose")
                self.statusBar().showMessage("The reconstruction is empty: no voxel above the threshold", 6000)
            else:
                self.viewport.set_recon_caption("Reconstruction")
            self.reconstructionShown.emit(result)
            return
        fresh_file = result.seq in self._classify_when_shown
        self._classify_when_shown = {seq for seq in self._classify_when_shown if seq > result.seq}
        if result.source_path is not None and fresh_file:
            self.current_source = "file"
            read = f", read in {result.generate_ms:.0f} ms" if result.generate_ms else ""
            self.classify_panel.set_source(
                f"<b>{result.source_path.name}</b> \u2014 {result.source_note or 'as stored'}<br>"
                f"{result.grid.shape[0]}\u00b3 voxels, {int(result.grid.sum())} occupied{read}")
            self.statusBar().showMessage(f"Opened {result.source_path}", 5000)
        if result.generate is not None:  # not the last opened file any more: say what is classified
            self.classify_panel.set_source(f"Generated shape: <b>{result.label or 'shape'}</b>")
        self.current = result
        self.classify_panel.set_file_shown(result.source_path is not None)
        self.viewport.show_mesh(result.mesh, "main", resolution=result.grid.shape[0], title=result.label)
        self._awaiting_frame = (result.seq, self._requested_at.pop(result.seq, None))
        self._update_action_states()
        self.shapeShown.emit(result)
        if fresh_file and self.classify_panel.is_available():
            self.classify_current()  # a newly opened (or turned) file is classified right away
        elif result.generate is not None and self.classify_panel.live_check.isChecked():
            self.classify_current()

    def _on_frame(self, render_ms: float) -> None:
        """A frame reached the screen: close the latency measurement, update timings."""
        if self._awaiting_frame is None or self.current is None:
            return
        seq, requested = self._awaiting_frame
        self._awaiting_frame = None
        self._painted_seq = seq
        if requested is not None:
            self.latencies_ms.append((time.perf_counter() - requested) * 1000.0)
            del self.latencies_ms[:-1000]
        shown = self.current
        first = f"gen {shown.generate_ms:.0f} ms \u00b7 " if shown.generate is not None else ""
        self.timing_label.setText(f"{first}mesh {shown.mesh_ms:.0f} ms \u00b7 draw {render_ms:.0f} ms")
        self.frameShown.emit(seq)

    def painted_seq(self) -> int:
        """Sequence number of the newest main-view result that has been painted."""
        return self._painted_seq

    def _show_classification(self, outcome: ClassifyOutcome) -> None:
        if outcome.seq < self._shown_seq["classify"]:
            return
        self._shown_seq["classify"] = outcome.seq
        self.last_classification = outcome
        subject = self._classify_subject.pop(outcome.seq, "shape")
        for stale in [seq for seq in self._classify_subject if seq < outcome.seq]:
            del self._classify_subject[stale]  # coalesced away: never answered
        self.classify_panel.show_outcome(outcome, subject)
        self._show_shape(outcome.reconstruction)
        if self.actions.reconstruction.isChecked() and not self.viewport.split:
            self.viewport.set_split(True)
            self.viewport.reset_camera()
        self._update_action_states()
        self.classified.emit(outcome)

    def _on_failed(self, failure: Failure) -> None:
        if self._closed:
            return
        request = failure.request
        if isinstance(request, LoadEngineRequest):
            self._engine_failed(failure.message, failure.kind == "weights")
            return
        if isinstance(request, LoadFileRequest):
            self.statusBar().showMessage(f"Could not open {request.path.name}", 6000)
            self.show_error("Could not open file", failure.message)
            self._file_open_failed()
        elif isinstance(request, ExportRequest):
            self.statusBar().showMessage(f"Export to {request.path.name} failed", 6000)
            self.show_error("Export failed", failure.message)
        elif isinstance(request, ClassifyRequest):
            self.show_error("Classification failed", failure.message)
        else:
            self.show_error(getattr(request, "failure_title", "Generation failed"), failure.message)

    def _file_open_failed(self) -> None:
        """Back to what is on screen; with nothing shown yet, generate as at start-up."""
        if self.current is not None:
            self.current_source = "file" if self.current.source_path is not None else "generated"
            return
        self.current_source = "none"
        if self.engine_state == "ready" and self.generate_panel.is_available():
            self.regenerate()

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

    def show_shortcuts(self) -> QDialog:
        """Help > Keyboard shortcuts (non-modal, one at a time)."""
        from voxstudio.gui.shortcuts_dialog import ShortcutsDialog

        dialog = getattr(self, "shortcuts_dialog", None)
        if dialog is None:
            dialog = self.shortcuts_dialog = ShortcutsDialog(self.actions, self)
        dialog.show()
        dialog.raise_()
        return dialog

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
        self.client.shutdown()
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
