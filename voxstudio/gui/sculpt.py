"""Sculpt and snap (Liu et al. 2017, "Interactive 3D modeling with a GAN").

Sculpt mode edits the shape in the main view with the mouse: a click on a face
adds the voxel beyond it, Shift+click removes the clicked voxel, a brush paints
a cube or sphere around it. Dragging still orbits the camera: only a press and
release without movement is a click. Ctrl+Z / Ctrl+Shift+Z step through the
voxel edits while sculpting (the window's own undo, over generator states,
gets its keys back when sculpt mode ends).

"Snap" projects the edited grid to the nearest shape the generator can make,
through the same latent inversion as "Open in generator"
(:class:`~voxstudio.gui.inversion.InversionRequest` on the engine worker, with
progress and cancel), then puts the found latent on the Generate panel's
sliders as end A and shows the edited shape beside it ("before") with the IoU
of the two.

The geometry -- which voxel a pick means -- is Qt-free in
:mod:`voxstudio.core.sculpt`; this module turns VTK picks into calls there and
sends the edited grid to the worker to be meshed (the GUI thread never meshes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolBar,
    QWidget,
)

from voxstudio.core.sculpt import BRUSHES, SculptModel, VoxelEdit, clamp_to_cell, face_normal
from voxstudio.gui.inversion import InversionJob, InversionOutcome, InversionRequest
from voxstudio.gui.loaded_latent import LoadedLatent
from voxstudio.gui.requests import ShapeRequest, ViewParams
from voxstudio.gui.worker import CHANNEL_MAIN, CHANNEL_RECON
from voxstudio.session import SessionModel, ShapeResult

if TYPE_CHECKING:  # pragma: no cover
    from voxstudio.gui.generate_panel import GeneratePanel
    from voxstudio.gui.requests import Failure
    from voxstudio.gui.viewport import Viewport
    from voxstudio.gui.worker import EngineClient

SCULPT_SHORTCUT = "E"
UNDO_KEYS = "Ctrl+Z"  # strings: a QKeySequence needs the application, not there at import
REDO_KEYS = "Ctrl+Shift+Z"
SNAP_STEPS = 300
CLICK_SLOP_PX = 4  # a press and release further apart than this is a camera drag, not a click
MAX_BRUSH = 3


class SnapRequest(InversionRequest):
    """The latent inversion of an edited grid (served on the worker like "Open in generator")."""

    failure_title: ClassVar[str] = "Snap failed"


class VoxelPicker:
    """``vtkCellPicker`` on the main view's shape actor: display pixel -> (point on the face, face normal).

    Only the shape actor is pickable (the bounds and floor are not), and the
    normal is the picked triangle's own, turned towards the camera, so it is
    the side of the face the user sees.
    """

    def __init__(self, viewport: Any) -> None:
        self.viewport = viewport
        self._picker: Any = None  # built on the first pick: VTK is imported after the window shows

    @property
    def picker(self) -> Any:
        if self._picker is None:
            from vtkmodules.vtkRenderingCore import vtkCellPicker

            self._picker = vtkCellPicker()
            self._picker.SetTolerance(0.0005)
            self._picker.PickFromListOn()
        return self._picker

    def pick(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray] | None:
        """``(point, normal)`` at VTK display coordinates ``(x, y)`` (origin bottom left), or None."""
        if not self.viewport.ready:
            return None
        renderer = self.viewport.plotter.renderers[0]
        actor = self.viewport.views[0].actor  # the shape actor (replaced in the benchmark's non-in-place mode)
        if not renderer.IsInViewport(int(x), int(y)):
            return None  # the right-hand view (reconstruction / before snap) is not sculpted
        self.picker.InitializePickList()
        self.picker.AddPickList(actor)
        if not self.picker.Pick(float(x), float(y), 0.0, renderer) or self.picker.GetCellId() < 0:
            return None
        cell = self.picker.GetDataSet().GetCell(self.picker.GetCellId())
        points = cell.GetPoints()
        corners = np.array([points.GetPoint(i) for i in range(points.GetNumberOfPoints())], dtype=np.float64)
        if len(corners) < 3:
            return None
        normal = face_normal(corners, towards=renderer.GetActiveCamera().GetPosition())
        point = clamp_to_cell(self.picker.GetPickPosition(), corners)
        return point, normal.astype(np.float64)


class SculptToolbar(QToolBar):
    """Brush, undo / redo, Snap with its progress and Cancel, and the before / after switch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sculpt", parent)
        self.setObjectName("sculpt_toolbar")
        self.setMovable(False)
        hint = QLabel(" <b>Sculpt</b>: click a face to add \u00b7 Shift+click removes \u00b7 drag orbits ")
        self.addWidget(hint)
        self.addSeparator()
        self.addWidget(QLabel(" Brush "))
        self.brush_size = QSpinBox()
        self.brush_size.setRange(1, MAX_BRUSH)
        self.brush_size.setValue(1)
        self.brush_size.setToolTip("1: one voxel; n: every voxel within n - 1 of the clicked one")
        self.addWidget(self.brush_size)
        self.brush_shape = QComboBox()
        for brush in BRUSHES:
            self.brush_shape.addItem(brush.capitalize(), brush)
        self.brush_shape.setToolTip("Brush shape for sizes above 1")
        self.addWidget(self.brush_shape)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip(f"Undo the last voxel edit ({UNDO_KEYS})")
        self.redo_button = QPushButton("Redo")
        self.redo_button.setToolTip(f"Redo ({REDO_KEYS})")
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Back to the shape sculpting started from")
        for button in (self.undo_button, self.redo_button, self.revert_button):
            self.addWidget(button)
        self.addSeparator()
        self.addWidget(QLabel(" Snap as "))
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("The generator class the edited shape is matched in")
        self.addWidget(self.class_combo)
        self.snap_button = QPushButton("Snap")
        self.snap_button.setToolTip("Project the edited shape to the nearest shape the generator can make "
                                    "and put it on the sliders")
        self.addWidget(self.snap_button)
        self.progress = QProgressBar()
        self.progress.setFixedWidth(130)
        self.progress.setFormat("%v / %m")
        self.progress.hide()
        self.progress_action = self.addWidget(self.progress)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_action = self.addWidget(self.cancel_button)
        self.cancel_action.setVisible(False)
        self.compare_check = QCheckBox("Before / after")
        self.compare_check.setToolTip("Show the edited shape beside the snapped one")
        self.compare_check.setEnabled(False)
        self.addWidget(self.compare_check)
        self.addSeparator()
        self.status = QLabel("")
        self.addWidget(self.status)

    def brush(self) -> str:
        return str(self.brush_shape.currentData())

    def set_snapping(self, on: bool, steps: int = 0) -> None:
        self.snap_button.setEnabled(not on)
        self.progress_action.setVisible(on)
        self.progress.setVisible(on)
        self.cancel_action.setVisible(on)
        if on:
            self.progress.setRange(0, max(1, steps))
            self.progress.setValue(0)


class SculptController(QObject):
    """Sculpt mode of one window: the action, the toolbar, picking, voxel edits and Snap.

    Gets the session (the shown shape, engine state, view, messages), the engine
    client, the viewport it picks in, the Generate panel the snapped latent goes
    to, the window's "Smooth surface" action (sculpting shows voxel blocks) and
    the window itself only to hold its actions and toolbar.
    """

    edited = Signal(object)  # VoxelEdit (applied, undone or redone): the model's grid changed
    snapFinished = Signal(object)  # InversionOutcome, after the latent went onto the sliders
    modeChanged = Signal(bool)

    def __init__(self, session: SessionModel, client: EngineClient, viewport: Viewport,
                 generate_panel: GeneratePanel, smooth_action: QAction, window: QMainWindow) -> None:
        super().__init__(window)
        self.session = session
        self.client = client
        self.viewport = viewport
        self.generate_panel = generate_panel
        self.smooth_action = smooth_action
        self.window = window
        self.model: SculptModel | None = None
        self.active = False
        self.snap_steps = SNAP_STEPS
        self.job: InversionJob | None = None
        self.last_snap: InversionOutcome | None = None
        self._base_label = ""
        self._sent: set[int] = set()  # seqs of the sculpted grids sent to the worker
        self._before: np.ndarray | None = None  # the edited grid a snap started from
        self._before_seq = 0  # ... and the request that shows it in the right-hand view
        self._before_text = ""
        self._press: tuple[int, int] | None = None
        self._borrowed: list[tuple[QAction, QKeySequence]] = []
        self._smooth_was_on = False
        self.picker = VoxelPicker(viewport)

        self.action = QAction("S&culpt", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence(SCULPT_SHORTCUT))
        self.action.setStatusTip("Add and remove voxels with the mouse, then snap to the generator")
        self.action.setToolTip(f"Sculpt: click adds a voxel, Shift+click removes ({SCULPT_SHORTCUT})")
        self.action.toggled.connect(self.set_active)
        self.undo_action = self._key_action("Undo voxel edit", UNDO_KEYS, self.undo)
        self.redo_action = self._key_action("Redo voxel edit", REDO_KEYS, self.redo)
        self.snap_action = QAction("Snap to the generator", window)
        self.snap_action.setStatusTip("Project the edited shape to the nearest generator shape (latent inversion)")
        self.snap_action.setEnabled(False)
        self.snap_action.triggered.connect(self.snap)
        self.menu: QMenu | None = None

        self.toolbar = SculptToolbar(window)
        self.toolbar.hide()
        tb = self.toolbar
        tb.undo_button.clicked.connect(self.undo)
        tb.redo_button.clicked.connect(self.redo)
        tb.revert_button.clicked.connect(self.revert)
        tb.snap_button.clicked.connect(self.snap)
        tb.cancel_button.clicked.connect(self.cancel_snap)
        tb.compare_check.toggled.connect(self._on_compare)

        self._observing = False  # mouse observers go on the interactor once the VTK view exists
        client.failed.connect(self._on_failed)
        session.events.current.connect(self._on_current)
        session.events.reconstruction.connect(self._on_reconstruction)
        session.events.engine.connect(self._update_enabled)
        self._update_enabled()

    def install(self, toolbar: QToolBar, menubar: QMenuBar | None = None) -> None:
        """The Sculpt action on the window's toolbar, a Sculpt menu (before Help), the sculpt toolbar below."""
        toolbar.addSeparator()
        toolbar.addAction(self.action)
        if menubar is not None:
            menu = QMenu("S&culpt", menubar)
            menu.addAction(self.action)
            menu.addSeparator()
            menu.addActions([self.undo_action, self.redo_action, self.snap_action])
            menus = [action for action in menubar.actions() if action.menu() is not None]
            if menus:  # before Help, the last menu
                menubar.insertMenu(menus[-1], menu)
            else:
                menubar.addMenu(menu)
            self.menu = menu
        self.window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.toolbar.hide()

    def _key_action(self, text: str, keys: str, slot: Any) -> QAction:
        action = QAction(text, self.window)
        action.setData(keys)  # the shortcut itself is set only while sculpting (see _borrow_keys)
        action.setEnabled(False)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    # ================================================================== mode
    def _update_enabled(self, *_args: object) -> None:
        self.action.setEnabled(self.session.current is not None or self.active)

    def set_active(self, on: bool) -> None:
        """Enter (a copy of the shown shape, thresholded) or leave sculpt mode."""
        on = bool(on)
        if on == self.active:
            return
        current = self.session.current
        if on and current is None:
            self.session.notify("Nothing to sculpt yet", 3000)
            self._set_checked(False)
            return
        self.active = on
        self._set_checked(on)
        self.toolbar.setVisible(on)
        for action in (self.undo_action, self.redo_action, self.snap_action):
            action.setEnabled(on)
        if on:
            assert current is not None
            self.client.warm_up_inversion()  # Snap inverts: make its first run quick
            self.generate_panel.set_animating(False)
            self._smooth_was_on = self.smooth_action.isChecked()
            if self._smooth_was_on:
                self.smooth_action.setChecked(False)  # a click acts on the faces of voxel blocks
            self.smooth_action.setEnabled(False)  # ... so they stay blocks while sculpting
            self._borrow_keys()
            self._observe_clicks()
            self._start_from(current)
            self.session.notify("Sculpt: click a face to add a voxel, Shift+click to remove one; drag to orbit", 6000)
        else:
            self.cancel_snap()
            self._return_keys()
            self.smooth_action.setEnabled(True)
            if self._smooth_was_on:
                self.smooth_action.setChecked(True)
        self.modeChanged.emit(on)

    def _observe_clicks(self) -> None:
        """Watch left presses / releases on the 3D view (built now if the app deferred it)."""
        if self._observing:
            return
        self.viewport.build_plotter()  # no-op once built
        iren = self.viewport.plotter.iren
        if iren is not None:
            iren.add_observer("LeftButtonPressEvent", self._on_press)
            iren.add_observer("LeftButtonReleaseEvent", self._on_release)
            self._observing = True

    def _set_checked(self, on: bool) -> None:
        blocked = self.action.blockSignals(True)
        self.action.setChecked(on)
        self.action.blockSignals(blocked)

    def _borrow_keys(self) -> None:
        """While sculpting, Ctrl+Z / Ctrl+Shift+Z undo voxel edits: other actions on those keys step aside.

        Two enabled actions on one shortcut would make Qt fire neither ("ambiguous
        shortcut"); the window's history undo gets its keys back when sculpting ends.
        """
        mine = (self.undo_action, self.redo_action)
        wanted = {QKeySequence(UNDO_KEYS).toString(), QKeySequence(REDO_KEYS).toString()}
        for action in self.window.findChildren(QAction):
            keys = action.shortcut()
            if action not in mine and not keys.isEmpty() and keys.toString() in wanted:
                self._borrowed.append((action, keys))
                action.setShortcut(QKeySequence())
        for action in mine:
            action.setShortcut(QKeySequence(str(action.data())))

    def _return_keys(self) -> None:
        for action in (self.undo_action, self.redo_action):
            action.setShortcut(QKeySequence())
        for action, keys in self._borrowed:
            action.setShortcut(keys)
        self._borrowed.clear()

    def _occupancy(self, result: ShapeResult) -> np.ndarray:
        grid = np.asarray(result.grid)
        return np.ascontiguousarray(grid if grid.dtype == bool else grid >= self.session.view.threshold)

    def _start_from(self, result: ShapeResult) -> None:
        self.model = SculptModel(self._occupancy(result))
        self._base_label = result.label or "shape"
        self._fill_classes(result)
        self._update_controls()

    def _fill_classes(self, result: ShapeResult) -> None:
        """The Snap class: the generated shape's, else the classifier's prediction, else the panel's."""
        combo = self.toolbar.class_combo
        info = self.session.engine_info
        classes = list(info.classes) if info is not None else []
        if [combo.itemText(i) for i in range(combo.count())] != classes:
            combo.clear()
            combo.addItems(classes)
        outcome = self.session.classification_of_current()
        if result.generate is not None:
            combo.setCurrentIndex(int(result.generate.class_id))
        elif outcome is not None and not outcome.none_of_these:
            combo.setCurrentIndex(int(outcome.predicted))
        else:
            combo.setCurrentIndex(max(0, self.generate_panel.class_combo.currentIndex()))

    # ================================================================== picking
    def _interactor(self) -> Any:
        """The ``vtkRenderWindowInteractor`` (pyvista hands observers the interactor *style*)."""
        return self.viewport.plotter.iren.interactor

    def _on_press(self, _caller: Any, _event: str) -> None:
        self._press = tuple(self._interactor().GetEventPosition()) if self.active else None

    def _on_release(self, _caller: Any, _event: str) -> None:
        if not self.active or self._press is None:
            return
        iren = self._interactor()
        x, y = iren.GetEventPosition()
        px, py = self._press
        self._press = None
        if abs(x - px) <= CLICK_SLOP_PX and abs(y - py) <= CLICK_SLOP_PX:
            self.click(x, y, remove=bool(iren.GetShiftKey()))

    def click(self, x: float, y: float, remove: bool = False) -> VoxelEdit | None:
        """A click at VTK display coordinates (origin bottom left): pick the face under it and edit."""
        picked = self.picker.pick(x, y)
        if picked is None:
            return None
        point, normal = picked
        return self.apply_pick(point, normal, remove)

    def apply_pick(self, point: Any, normal: Any, remove: bool = False) -> VoxelEdit | None:
        """The edit a pick means (:meth:`SculptModel.stroke`), shown at once; None when nothing changed."""
        if not self.active or self.model is None:
            return None
        edit = self.model.stroke(point, normal, add=not remove, size=self.toolbar.brush_size.value(),
                                 brush=self.toolbar.brush())  # type: ignore[arg-type]
        if edit is not None:
            self._changed(edit)
        return edit

    # ================================================================== edits
    def undo(self) -> VoxelEdit | None:
        edit = self.model.undo() if self.active and self.model is not None else None
        if edit is not None:
            self._changed(edit)
        return edit

    def redo(self) -> VoxelEdit | None:
        edit = self.model.redo() if self.active and self.model is not None else None
        if edit is not None:
            self._changed(edit)
        return edit

    def revert(self) -> None:
        """Undo every edit (each stays redoable)."""
        last = None
        while self.model is not None and self.model.can_undo:
            last = self.model.undo()
        if last is not None:
            self._changed(last)

    def _changed(self, edit: VoxelEdit) -> None:
        self._show_grid()
        self._update_controls()
        self.edited.emit(edit)

    def _label(self) -> str:
        changed = 0 if self.model is None else self.model.changed_voxels()
        return f"{self._base_label} \u00b7 sculpted ({changed} voxels changed)"

    def _view(self) -> ViewParams:
        return ViewParams("blocky", self.session.view.threshold)

    def _show_grid(self) -> None:
        """Mesh the edited grid on the worker; it becomes the current shape (export and classify see it)."""
        assert self.model is not None
        seq = self.session.next_seq()
        self._sent.add(seq)
        self.client.submit(CHANNEL_MAIN, ShapeRequest(seq, "main", self._view(), grid=self.model.grid,
                                                      label=self._label()))

    def _update_controls(self) -> None:
        tb = self.toolbar
        model = self.model
        tb.undo_button.setEnabled(model is not None and model.can_undo)
        tb.redo_button.setEnabled(model is not None and model.can_redo)
        tb.revert_button.setEnabled(model is not None and model.can_undo)
        if model is not None and self.job is None:
            tb.status.setText(f" {model.edit_count} edits \u00b7 {model.changed_voxels()} voxels changed ")

    def _on_current(self, result: ShapeResult) -> None:
        self._update_enabled()
        if result.seq in self._sent:
            self._sent = {seq for seq in self._sent if seq > result.seq}
            return
        # Another shape came (a slider, a file, the snapped shape): sculpt that one. The
        # same grid re-meshed (a threshold change re-sends the sculpted grid) keeps the edits.
        if self.active and self.model is not None and not np.array_equal(self._occupancy(result), self.model.grid):
            self._start_from(result)

    # ================================================================== snap
    def snap(self) -> InversionJob | None:
        """Start the inversion of the edited grid on the worker (progress and Cancel in the toolbar)."""
        if not self.active or self.model is None or self.job is not None:
            return None
        if not self.session.has_generator:
            self.session.notify("Snap needs a model with a generator", 4000)
            return None
        grid = self.model.grid
        if not grid.any():
            self.session.notify("Nothing to snap: the grid is empty", 4000)
            return None
        class_id = max(0, self.toolbar.class_combo.currentIndex())
        job = InversionJob("A", self)
        job.progressed.connect(self._on_progress)
        job.done.connect(self._on_snapped)
        self.job = job
        self._before = grid
        changed = self.model.changed_voxels()
        self._before_text = f"Before snap: your edit\n({changed} voxel{'s' if changed != 1 else ''} changed)"
        self.toolbar.set_snapping(True, self.snap_steps)
        self.toolbar.status.setText(" Snapping\u2026 ")
        self.client.submit_unique("snap", SnapRequest(job, grid, class_id, int(self.snap_steps),
                                                      f"sculpted {self._base_label}"))
        return job

    def cancel_snap(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job = None
            self.toolbar.set_snapping(False)
            self._update_controls()
            self.session.notify("Snap cancelled", 4000)

    def _on_progress(self, step: int, steps: int, iou: float) -> None:
        if self.job is None:
            return
        self.toolbar.progress.setMaximum(steps)
        self.toolbar.progress.setValue(step)
        self.toolbar.status.setText(f" best IoU {iou:.3f} ")

    def _on_snapped(self, result: InversionOutcome) -> None:
        if result.job is not self.job or self.job is None or self._before is None:
            return
        self.job = None
        self.toolbar.set_snapping(False)
        if result.job.is_cancelled():
            return
        self.last_snap = result
        # The edited shape goes to the right-hand view ("before"), the snapped one onto the sliders.
        seq = self._before_seq = self.session.next_seq()
        self.client.submit(CHANNEL_RECON, ShapeRequest(seq, "recon", self._view(), grid=self._before,
                                                       label="before snap"))
        short = self._base_label.split(" \u00b7 ")[0]
        latent = LoadedLatent.from_array(result.z, f"snapped {short}", result.iou)
        self.generate_panel.set_loaded_latent("A", latent, result.class_id)
        self.toolbar.status.setText(f" snapped: IoU {result.iou:.2f} with your edit ")
        self.session.notify(f"Snapped to the generator: IoU {result.iou:.2f} with the edited shape "
                            f"({result.steps_run} steps, {result.seconds:.1f} s); it is on the sliders as A", 8000)
        self.snapFinished.emit(result)

    def _on_reconstruction(self, result: ShapeResult | None) -> None:
        if result is None or result.seq != self._before_seq or self._before_seq == 0:
            return
        self.toolbar.compare_check.setEnabled(True)
        blocked = self.toolbar.compare_check.blockSignals(True)
        self.toolbar.compare_check.setChecked(True)
        self.toolbar.compare_check.blockSignals(blocked)
        # After the window's own handling of the reconstruction (its caption, its split).
        QTimer.singleShot(0, self._show_before)

    def _show_before(self) -> None:
        shown = self.session.reconstruction
        if shown is None or shown.seq != self._before_seq or not self.viewport.isVisible():
            return  # replaced meanwhile, or the window is closing
        self.viewport.set_recon_caption(self._before_text)
        self._on_compare(self.toolbar.compare_check.isChecked())

    def _on_compare(self, on: bool) -> None:
        self.viewport.set_split(on and self.session.reconstruction is not None)
        self.viewport.reset_camera()

    def _on_failed(self, failure: Failure) -> None:
        request = failure.request
        if isinstance(request, SnapRequest) and request.job is self.job and self.job is not None:
            self.job = None
            self.toolbar.set_snapping(False)
            self.toolbar.status.setText(" snap failed ")
