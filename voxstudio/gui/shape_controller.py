"""The main view and the reconstruction view: what is asked of the worker and what is shown.

Generated shapes (the Generate panel's parameters), opened files, 90-degree
turns and re-meshes after a view change all become latest-wins requests on the
"main" / "file" / "recon" channels, numbered by the session; results come back
on the client's ``shapeReady`` and are shown only if no newer one already is.

Gets the session, the engine client and its own widgets (the Generate panel
whose parameters it sends, the Classify panel whose file caption, up axis and
rotate buttons it drives, the viewport it uploads to), nothing more.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from voxstudio.gui.classify_panel import ClassifyPanel
from voxstudio.gui.drag_draft import DraftDuringDrag
from voxstudio.gui.export_dialog import OPEN_EXTENSIONS
from voxstudio.gui.generate_panel import GeneratePanel
from voxstudio.gui.requests import Failure, LoadFileRequest, ShapeRequest
from voxstudio.gui.viewport import Viewport
from voxstudio.gui.worker import CHANNEL_FILE, CHANNEL_MAIN, CHANNEL_RECON, EngineClient
from voxstudio.session import ClassifyOutcome, EngineState, SessionModel, ShapeResult, ShapeSource, ViewParams


class ShapeController(QObject):
    """Sends shape requests and shows their results in the viewport."""

    #: A main-view result is on screen (uploaded); ``fresh_file``: a newly opened or turned file.
    shapeShown = Signal(ShapeResult, bool)
    reconstructionShown = Signal(ShapeResult)
    #: "gen 3 ms · mesh 2 ms · draw 9 ms" once a shown result's frame is painted (the status bar's timings).
    timingsChanged = Signal(str)

    def __init__(self, session: SessionModel, client: EngineClient, generate_panel: GeneratePanel,
                 classify_panel: ClassifyPanel, viewport: Viewport) -> None:
        super().__init__(viewport)
        self.session = session
        self.client = client
        self.generate_panel = generate_panel
        self.classify_panel = classify_panel
        self.viewport = viewport
        self._classify_when_shown: set[int] = set()  # seqs of opened / turned files: classified on arrival
        self.drafts = DraftDuringDrag(viewport)  # draft frames while the parameters are dragged

        generate_panel.paramsChanged.connect(self.regenerate)
        classify_panel.upAxisChanged.connect(self.reopen_with_up_axis)
        classify_panel.rotateRequested.connect(self.rotate_current)
        viewport.frameRendered.connect(self._on_frame)
        client.shapeReady.connect(self.show_shape)
        client.fileFailed.connect(self._on_file_failed)
        session.events.engine.connect(self._on_engine)
        session.events.view.connect(self._on_view)
        session.events.classification.connect(self._on_classified)

    # ------------------------------------------------------------------ requests
    def regenerate(self) -> None:
        """Submit the generate panel's current parameters (latest wins)."""
        if not self.session.is_ready or not self.generate_panel.is_available():
            return
        self.session.set_source(ShapeSource.GENERATED)
        request = ShapeRequest(self.session.next_seq(), "main", self.session.view,
                               generate=self.generate_panel.params(), label=self.generate_panel.describe())
        self.client.submit(CHANNEL_MAIN, request)
        self.drafts.changed()

    def refresh_surfaces(self) -> None:
        """Re-mesh what is shown after a view change (surface kind, threshold)."""
        session, view = self.session, self.session.view
        current = session.current
        if current is not None:
            if session.current_source is ShapeSource.GENERATED and current.generate is not None:
                request = ShapeRequest(session.next_seq(), "main", view, generate=current.generate,
                                       label=current.label)
                # re-use the latest panel params if they moved on since
                if self.generate_panel.is_available():
                    request.generate = self.generate_panel.params()
                    request.label = self.generate_panel.describe()
            else:
                request = ShapeRequest(session.next_seq(), "main", view, grid=current.grid, label=current.label,
                                       source_path=current.source_path, source_note=current.source_note)
            self.client.submit(CHANNEL_MAIN, request)
        if session.reconstruction is not None:
            self.client.submit(CHANNEL_RECON, ShapeRequest(
                session.next_seq(), "recon", view, grid=session.reconstruction.grid, label="reconstruction",
                frame_resolution=None if current is None else int(current.grid.shape[0])))

    def open_path(self, path: str | Path, up: str | None = None) -> bool:
        """Load a voxel/mesh file on the worker; errors come back as a dialog.

        ``up`` defaults to the Classify panel's up-axis choice.
        """
        path = Path(path)
        if path.suffix.lower() not in OPEN_EXTENSIONS:
            self.session.report_error(
                "Cannot open file", f"{path.name}: unsupported file type. Supported: {', '.join(OPEN_EXTENSIONS)}")
            return False
        self.session.notify(f"Opening {path.name}\u2026")
        self.generate_panel.set_animating(False)
        # The file is what the user wants to see now: a model that finishes loading
        # meanwhile must not replace it with a generated shape.
        self.session.set_source(ShapeSource.FILE)
        seq = self.session.next_seq()
        self._classify_when_shown.add(seq)
        self.client.submit(CHANNEL_FILE, LoadFileRequest(seq, path, self.session.resolution(), self.session.view,
                                                         up=up or self.classify_panel.up_axis()))
        return True

    def reopen_with_up_axis(self, up: str) -> None:
        """A new up-axis choice applies to the shown file at once (re-read, re-framed, re-classified)."""
        current = self.session.current
        if current is not None and current.source_path is not None:
            self.open_path(current.source_path, up)

    def rotate_current(self, axis: str) -> None:
        """Turn the opened file's shape 90 degrees about ``axis``, re-frame it and classify it again."""
        from voxstudio.core.io.prepare import turned

        current = self.session.current
        if current is None or current.source_path is None:
            self.session.notify("Open a file to rotate it", 3000)
            return
        seq = self.session.next_seq()
        self._classify_when_shown.add(seq)
        note = f"{current.source_note} \u00b7 turned 90\u00b0 about {axis}"
        self.client.submit(CHANNEL_MAIN, ShapeRequest(
            seq, "main", self.session.view, grid=turned(current.grid, axis), label=current.label,
            source_path=current.source_path, source_note=note))

    def clear_reconstruction(self) -> None:
        """Drop the reconstruction view's shape (it belonged to a shape no longer shown)."""
        import pyvista as pv

        self.session.set_reconstruction(None)
        self.viewport.show_mesh(pv.PolyData(), "recon")
        self.viewport.set_recon_caption("Reconstruction")
        self.classify_panel.pose_box.set_engine(self.session.engine_info)  # the pose was that shape's

    # ------------------------------------------------------------------ results
    def show_shape(self, result: ShapeResult) -> None:
        """Show a worker result in its view, unless that view already shows a newer one."""
        if not self.session.accept(result.target, result.seq):
            return  # a newer shape for this view is already on screen
        if result.target == "recon":
            self._show_reconstruction(result)
        else:
            self._show_main(result)

    def _show_reconstruction(self, result: ShapeResult) -> None:
        self.session.set_reconstruction(result)
        self.viewport.show_mesh(result.mesh, "recon")  # already in the main view's frame
        if result.mesh.n_points == 0:  # say why the view is blank instead of leaving it black
            self.viewport.set_recon_caption(  # short lines: the caption is centred on a half view
                f"{result.label or 'Reconstruction'}: empty\nno voxel above the threshold "
                f"{self.session.view.threshold:.2f}\nlower it in the toolbar, or Reset the pose")
            self.session.notify("The reconstruction is empty: no voxel above the threshold", 6000)
        else:
            self.viewport.set_recon_caption("Reconstruction")
        self.reconstructionShown.emit(result)

    def _show_main(self, result: ShapeResult) -> None:
        fresh_file = result.seq in self._classify_when_shown
        self._classify_when_shown = {seq for seq in self._classify_when_shown if seq > result.seq}
        if result.source_path is not None and fresh_file:
            self.session.set_source(ShapeSource.FILE)
            read = f", read in {result.generate_ms:.0f} ms" if result.generate_ms else ""
            self.classify_panel.set_source(
                f"<b>{result.source_path.name}</b> \u2014 {result.source_note or 'as stored'}<br>"
                f"{result.grid.shape[0]}\u00b3 voxels, {int(result.grid.sum())} occupied{read}")
            self.session.notify(f"Opened {result.source_path}", 5000)
        if result.generate is not None:  # not the last opened file any more: say what is classified
            self.classify_panel.set_source(f"Generated shape: <b>{result.label or 'shape'}</b>")
        self.classify_panel.set_file_shown(result.source_path is not None)
        self.viewport.show_mesh(result.mesh, "main", resolution=result.grid.shape[0], title=result.label)
        self.session.show_current(result)
        self.shapeShown.emit(result, fresh_file)

    def _on_classified(self, outcome: ClassifyOutcome) -> None:
        self.show_shape(outcome.reconstruction)  # the capsule network's reconstruction of the input

    def _on_frame(self, render_ms: float) -> None:
        """A frame reached the screen: close the latency measurement, show the timings."""
        shown = self.session.current
        if self.session.frame_painted() is None or shown is None:
            return
        first = f"gen {shown.generate_ms:.0f} ms \u00b7 " if shown.generate is not None else ""
        self.timingsChanged.emit(f"{first}mesh {shown.mesh_ms:.0f} ms \u00b7 draw {render_ms:.0f} ms")

    # ------------------------------------------------------------------ session
    def _on_engine(self, state: EngineState) -> None:
        if state is EngineState.READY and self.session.has_generator \
                and self.session.current_source in (ShapeSource.NONE, ShapeSource.GENERATED):
            self.regenerate()

    def _on_view(self, _view: ViewParams) -> None:
        self.refresh_surfaces()

    def _on_file_failed(self, failure: Failure) -> None:
        """Back to what is on screen; with nothing shown yet, generate as at start-up."""
        request = failure.request
        if isinstance(request, LoadFileRequest):
            self.session.notify(f"Could not open {request.path.name}", 6000)
        self.session.report_error(failure.request.failure_title, failure.message)
        current = self.session.current
        if current is not None:
            self.session.set_source(ShapeSource.FILE if current.source_path is not None else ShapeSource.GENERATED)
            return
        self.session.set_source(ShapeSource.NONE)
        if self.session.is_ready and self.generate_panel.is_available():
            self.regenerate()
