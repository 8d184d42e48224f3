"""History and favourites in the window: Undo / Redo, the recent-shapes strip, Favourites.

The controller only wires widgets to the Qt-free session pieces
(``voxstudio.session.history`` / ``favourites`` / ``shape_state``):

* the Generate panel reports every change; a finished gesture (a slider drag
  released, an animation stopped, a seed or class picked) becomes one undo
  step, bursts of key presses on one slider coalesce;
* applying a state (Undo, Redo, a thumbnail, a favourite, the last state at
  start) sets class, seeds, sliders and loaded latents with the panel's signals
  blocked and then asks for ONE regeneration, so applying is never recorded as
  a change of its own -- Undo / Redo move through the history, a thumbnail or a
  favourite is a new (undoable) step;
* thumbnails are rendered by :class:`~voxstudio.gui.history_strip.ThumbnailRenderer`
  on its own thread from the grid the window already showed;
* favourites and the last state live as JSON in the settings folder.
"""

from __future__ import annotations

import contextlib
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSettings, QStandardPaths, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMenuBar, QSlider, QWidget

from voxstudio.core.errors import VoxelFileError
from voxstudio.gui.history_strip import HistoryStrip, ThumbnailRenderer
from voxstudio.gui.loaded_latent import LoadedLatent
from voxstudio.session import EngineState, GenerateParams, SessionModel, ShapeResult, ShapeSource
from voxstudio.session.favourites import (
    FAVOURITES_FILE,
    Favourites,
    load_favourites,
    load_last_state,
    save_favourites,
    save_last_state,
)
from voxstudio.session.history import History, RecentStates, change_key
from voxstudio.session.shape_state import LatentRef, ShapeState

if TYPE_CHECKING:  # pragma: no cover
    from voxstudio.gui.generate_panel import GeneratePanel
    from voxstudio.gui.settings import AppSettings
    from voxstudio.gui.worker import EngineClient, EngineWorker


@dataclass
class ThumbnailGridRequest:
    """Generate a state's grid on the engine worker for its thumbnail only (never shown).

    For states the window will not show by itself: the last shape restored while a
    file opened at start is on screen. A failure only leaves the placeholder.
    """

    params: GenerateParams
    deliver: Callable[[tuple[GenerateParams, np.ndarray]], None]  # a queued signal (GUI thread)
    failure_title = "Thumbnail failed"

    def serve(self, worker: EngineWorker) -> None:
        if worker.stopping or worker.engine is None or not worker.engine.has_generator:
            return
        try:
            grid = worker.generate_grid(self.params)
        except Exception:  # noqa: BLE001 - a missing thumbnail is not worth an error dialog
            return
        with contextlib.suppress(RuntimeError):  # the window (and its controller) is gone
            self.deliver((self.params, grid))

MAX_FAVOURITES_IN_MENU = 30
SHOWN_GRIDS_KEPT = 24  # recently shown generated grids, so a committed state's thumbnail needs no new generation


def state_folder(settings: AppSettings) -> Path:
    """Where the app keeps its JSON files: beside the settings file.

    An INI settings file (tests, portable installs) and Linux's native format are
    files, so their folder is used; elsewhere (the Windows registry, macOS
    preferences) the platform's application-data folder.
    """
    store = settings.store
    if store.format() == QSettings.Format.IniFormat or sys.platform.startswith("linux"):
        return Path(store.fileName()).parent
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def _ref(latent: LoadedLatent | None) -> LatentRef | None:
    return None if latent is None else LatentRef(latent.z, latent.label)


def _loaded(ref: LatentRef | None, latent_dim: int, problems: list[str], end: str) -> LoadedLatent | None:
    if ref is None:
        return None
    if len(ref.values) != latent_dim:
        problems.append(f"the loaded shape of end {end} has {len(ref.values)} values, this model needs "
                        f"{latent_dim}: its seed is used")
        return None
    return LoadedLatent(ref.values, ref.label)


class HistoryController(QObject):
    """Owns the window's history, recent strip, favourites and their actions.

    Built with the session, the Generate panel, the settings (for their folder)
    and the host window (dialog parent, window-wide shortcuts; its close saves the
    last state). Build it before the ShapeController: its engine-ready callback then
    restores the last state before the first regeneration. ``install`` puts the
    strip and the menus into the window.
    """

    _gridGenerated = Signal(object)  # (GenerateParams, grid) of a thumbnail-only generation

    def __init__(self, session: SessionModel, generate_panel: GeneratePanel, settings: AppSettings,
                 host: QWidget, client: EngineClient | None = None) -> None:
        super().__init__(host)
        self.session = session
        self.client = client  # generates thumbnails of states not on screen (None: wait until shown)
        self.host = host
        self.settings = settings
        self.panel = generate_panel
        self.folder = state_folder(settings)
        self.history = History()
        self.recent = RecentStates()
        self.favourites = Favourites()
        self._applying = False
        self._restored = False
        self._last_added: ShapeState | None = None  # the strip's newest entry came from the last push
        self._shown: OrderedDict[GenerateParams, np.ndarray] = OrderedDict()  # recently shown generated grids
        self._pending: dict[GenerateParams, ShapeState] = {}  # states waiting for their grid to be shown
        self._closed = False

        self.renderer = ThumbnailRenderer(self)
        self.strip = HistoryStrip()
        self._build_actions()
        self.edit_menu = QMenu("&Edit", host)
        self.favourites_menu = QMenu("Fa&vourites", host)
        self.favourites_menu.setObjectName("favourites_menu")
        self.edit_menu.addActions([self.undo_action, self.redo_action])

        self.strip.stateClicked.connect(self.restore)
        self.renderer.rendered.connect(self._on_thumbnail)
        self.panel.paramsChanged.connect(self._on_params_changed)
        self.panel.animate_button.toggled.connect(self._on_animate_toggled)
        self.panel.t_slider.sliderReleased.connect(self._gesture_ended)
        session.events.engine.connect(self._on_engine)
        session.events.current.connect(self._on_shape_shown)
        self._gridGenerated.connect(self._on_grid_generated)
        host.installEventFilter(self)  # its close remembers the shape
        self._load_favourites()
        self._rebuild_favourites_menu()
        self._update_actions()

    def install(self, menubar: QMenuBar, central: QWidget | None = None) -> None:
        """The strip at the end of ``central``'s layout (under the 3D view); Edit before View, Favourites before Help."""
        layout = central.layout() if central is not None else None
        if layout is not None:
            layout.addWidget(self.strip)
        by_title = {a.text().replace("&", ""): a for a in menubar.actions() if a.menu() is not None}
        view = by_title.get("View")
        if view is not None:
            menubar.insertMenu(view, self.edit_menu)
            view_menu = view.menu()
            if isinstance(view_menu, QMenu):
                view_menu.addAction(self.strip_action)
        else:
            menubar.addMenu(self.edit_menu)
        help_menu = by_title.get("Help")
        if help_menu is not None:
            menubar.insertMenu(help_menu, self.favourites_menu)
        else:
            menubar.addMenu(self.favourites_menu)

    # ================================================================== UI
    def _build_actions(self) -> None:
        w = self.host

        def action(text: str, shortcut: str | None, tip: str) -> QAction:
            item = QAction(text, w)
            if shortcut:
                item.setShortcut(QKeySequence(shortcut))
                item.setToolTip(f"{tip} ({item.shortcut().toString()})")
            item.setStatusTip(tip)
            return item

        self.undo_action = action("&Undo shape change", "Ctrl+Z", "Back to the previous shape (class, seed, sliders)")
        self.redo_action = action("&Redo shape change", "Ctrl+Shift+Z", "Forward again to the shape you undid")
        self.add_favourite_action = action("&Add to favourites", "Ctrl+D", "Keep the shape in the Favourites menu")
        self.export_favourites_action = action("&Export favourites\u2026", None,
                                               "Save the favourites to a JSON file (to share or back up)")
        self.import_favourites_action = action("&Import favourites\u2026", None,
                                               "Add the favourites of a JSON file to yours")
        self.strip_action = action("&History strip", None, "Show the strip of recent shapes under the view")
        self.strip_action.setCheckable(True)
        self.strip_action.setChecked(True)
        self.undo_action.triggered.connect(self.undo)
        self.redo_action.triggered.connect(self.redo)
        self.add_favourite_action.triggered.connect(self.add_favourite)
        self.export_favourites_action.triggered.connect(self.export_favourites_dialog)
        self.import_favourites_action.triggered.connect(self.import_favourites_dialog)
        self.strip_action.toggled.connect(self.strip.setVisible)
        for item in self.actions():
            w.addAction(item)  # shortcuts work whatever menu bar the platform shows

    def actions(self) -> list[QAction]:
        return [self.undo_action, self.redo_action, self.add_favourite_action, self.export_favourites_action,
                self.import_favourites_action, self.strip_action]

    def _rebuild_favourites_menu(self) -> None:
        menu = self.favourites_menu
        menu.clear()
        menu.addAction(self.add_favourite_action)
        menu.addSeparator()
        self.favourite_actions: list[QAction] = []
        for favourite in list(self.favourites)[-MAX_FAVOURITES_IN_MENU:]:
            item = menu.addAction(favourite.name)
            item.setToolTip(favourite.state.describe())
            item.triggered.connect(lambda _checked=False, s=favourite.state: self.restore(s))
            self.favourite_actions.append(item)
        if not self.favourite_actions:
            empty = menu.addAction("(no favourites yet: Ctrl+D adds the shape shown)")
            empty.setEnabled(False)
        menu.addSeparator()
        menu.addActions([self.export_favourites_action, self.import_favourites_action])

    def _update_actions(self) -> None:
        ready = self.available()
        self.undo_action.setEnabled(ready and self.history.can_undo())
        self.redo_action.setEnabled(ready and self.history.can_redo())
        self.add_favourite_action.setEnabled(ready)
        self.export_favourites_action.setEnabled(len(self.favourites) > 0)
        for item in getattr(self, "favourite_actions", []):
            item.setEnabled(ready)

    # ================================================================== state <-> panel
    def available(self) -> bool:
        return not self._closed and self.session.has_generator and self.panel.is_available()

    def current_state(self) -> ShapeState | None:
        """The Generate panel's shape as a state (None without a generator)."""
        info = self.session.engine_info
        if not self.available() or info is None:
            return None
        p = self.panel.params()
        if not 0 <= p.class_id < len(info.classes):
            return None
        return ShapeState(
            class_name=str(info.classes[p.class_id]), seed=p.seed_a, sliders=p.sliders,
            latent=_ref(self.panel.loaded_latent("A")), resolution=int(info.resolution),
            seed_b=p.seed_b, t=p.t, latent_b=_ref(self.panel.loaded_latent("B")), named=p.named,
        )

    def apply(self, state: ShapeState) -> bool:
        """Set the panel to ``state`` and regenerate once; nothing is recorded.

        What does not fit this model is said in the status bar: an unknown class
        refuses the state, a latent of another size falls back to the seed, extra
        sliders are dropped and missing ones are zero.
        """
        info = self.session.engine_info
        if not self.available() or info is None:
            return False
        classes = [str(c) for c in info.classes]
        if state.class_name not in classes:
            self.session.notify(f"This model has no class {state.class_name!r}: the shape cannot be shown", 6000)
            return False
        problems: list[str] = []
        latent_a = _loaded(state.latent, int(info.latent_dim), problems, "A")
        latent_b = _loaded(state.latent_b, int(info.latent_dim), problems, "B")
        panel = self.panel
        if len(state.sliders) > len(panel.sliders):
            problems.append(f"{len(state.sliders) - len(panel.sliders)} slider value(s) this model has no slider for")
        panel.set_animating(False)
        self._applying = True
        try:
            panel.chip_a.set_latent(latent_a)
            panel.chip_b.set_latent(latent_b)
            panel.set_shape(classes.index(state.class_name), state.seed, seed_b=state.seed_b, t=state.t,
                            sliders=state.sliders, named=dict(state.named))  # one paramsChanged, one regeneration
        finally:
            self._applying = False
        if problems:
            self.session.notify("Restored with changes: " + "; ".join(problems), 8000)
        return True

    # ================================================================== recording
    def _gesture_active(self) -> bool:
        panel = self.panel
        return (panel.is_animating() or panel.t_slider.isSliderDown()
                or any(slider.isSliderDown() for slider in _qt_sliders(panel)))

    def _on_params_changed(self) -> None:
        self._watch_sliders()
        if self._applying or not self._restored or self._gesture_active():
            return  # applying is not a change; a drag or an animation is recorded when it ends
        self.commit(coalesce=True)

    def _gesture_ended(self) -> None:
        if not self._applying and self._restored:
            self.commit()

    def _on_animate_toggled(self, on: bool) -> None:
        if not on:
            self._gesture_ended()

    def commit(self, state: ShapeState | None = None, coalesce: bool = False) -> bool:
        """Record the panel's shape (or ``state``) as one step; False when nothing changed."""
        state = state if state is not None else self.current_state()
        if state is None:
            return False
        previous = self.history.current
        key = change_key(previous, state) if coalesce else None
        pushed = self.history.push(state, key)
        if pushed:
            if self.history.merged and previous is not None and previous == self._last_added:
                self._drop_from_strip(previous)  # one burst, one thumbnail
            self._add_to_strip(state)
        self.strip.mark_current(self.history.current)
        self._update_actions()
        return pushed

    # ================================================================== strip
    def _add_to_strip(self, state: ShapeState) -> None:
        if state in self.recent:
            self._last_added = None
            return
        dropped = self.recent.add(state)
        if dropped is not None:
            self.strip.remove_state(dropped)
        self.strip.add_state(state)
        self._last_added = state
        self._request_thumbnail(state)

    def _drop_from_strip(self, state: ShapeState) -> None:
        recent = [s for s in self.recent if s != state]
        self.recent.clear()
        for item in recent:
            self.recent.add(item)
        self.strip.remove_state(state)
        self._pending = {params: s for params, s in self._pending.items() if s != state}

    def _request_thumbnail(self, state: ShapeState) -> None:
        params = self.panel.params()
        grid = self._shown.get(params)
        current = self.session.current
        if grid is None and current is not None and current.generate == params:
            grid = current.grid  # shown before this controller saw it
        if grid is not None:
            self.renderer.request(state, grid, self.session.view.threshold)
        else:
            self._pending[params] = state  # rendered when the window shows this shape
            if self.client is not None and self.session.current_source is not ShapeSource.GENERATED:
                # a file (or a sculpted shape) is on screen: this state will not be shown soon
                self.client.submit_unique("thumbnail", ThumbnailGridRequest(params, self._gridGenerated.emit))

    def _on_shape_shown(self, result: ShapeResult) -> None:
        params = result.generate
        if params is None:
            return
        self._shown[params] = result.grid
        self._shown.move_to_end(params)
        while len(self._shown) > SHOWN_GRIDS_KEPT:
            self._shown.popitem(last=False)
        self._render_pending(params, result.grid)

    def _on_grid_generated(self, generated: tuple[GenerateParams, np.ndarray]) -> None:
        self._render_pending(*generated)

    def _render_pending(self, params: GenerateParams, grid: np.ndarray) -> None:
        """The grid of a state waiting for one (shown, or generated for its thumbnail): draw it."""
        state = self._pending.pop(params, None)
        if state is not None and state in self.recent and not self._closed:
            self.renderer.request(state, grid, self.session.view.threshold)

    def _on_thumbnail(self, key: object, image: QImage) -> None:
        if isinstance(key, ShapeState):
            self.strip.set_thumbnail(key, image)

    # ================================================================== user commands
    def _stop_animation(self) -> None:
        if self.panel.is_animating():
            self.panel.set_animating(False)  # records where the walk stopped, before moving

    def undo(self) -> bool:
        if not self.available():
            return False
        self._stop_animation()
        state = self.history.undo()
        return self._after_move(state, "Nothing to undo")

    def redo(self) -> bool:
        if not self.available():
            return False
        self._stop_animation()
        state = self.history.redo()
        return self._after_move(state, "Nothing to redo")

    def _after_move(self, state: ShapeState | None, nothing: str) -> bool:
        if state is None:
            self.session.notify(nothing, 3000)
            return False
        self.apply(state)
        self.strip.mark_current(state)
        self._update_actions()
        self.session.notify(state.describe(), 3000)
        return True

    def restore(self, state: ShapeState) -> bool:
        """Go to ``state`` (a thumbnail or a favourite) as a new, undoable step."""
        self._stop_animation()
        if not self.apply(state):
            return False
        self.commit()
        return True

    # -- favourites ----------------------------------------------------------------------------
    def _favourites_path(self) -> Path:
        return self.folder / FAVOURITES_FILE

    def _load_favourites(self) -> None:
        path = self._favourites_path()
        if not path.exists():
            return
        try:
            self.favourites = load_favourites(path)
        except VoxelFileError as error:
            self.session.notify(f"Favourites not loaded: {error}", 10000)

    def _save_favourites(self) -> None:
        try:
            save_favourites(self._favourites_path(), self.favourites)
        except VoxelFileError as error:
            self.session.report_error("Could not save the favourites", str(error))
        self._rebuild_favourites_menu()
        self._update_actions()

    def add_favourite(self) -> bool:
        state = self.current_state()
        if state is None:
            return False
        if not self.favourites.add(state):
            self.session.notify(f"Already a favourite: {state.describe()}", 4000)
            return False
        self._save_favourites()
        self.session.notify(f"Added to favourites: {state.describe()}", 4000)
        return True

    def export_favourites(self, path: str | Path) -> Path | None:
        try:
            saved = save_favourites(path, self.favourites)
        except VoxelFileError as error:
            self.session.report_error("Could not export the favourites", str(error))
            return None
        self.settings.last_dir = str(saved.parent)
        self.session.notify(f"Exported {len(self.favourites)} favourites to {saved}", 6000)
        return saved

    def import_favourites(self, path: str | Path) -> int | None:
        try:
            loaded = load_favourites(path)
        except VoxelFileError as error:
            self.session.report_error("Could not import favourites", str(error))
            return None
        added = self.favourites.merge(loaded)
        self.settings.last_dir = str(Path(path).parent)
        self._save_favourites()
        self.session.notify(
            f"Imported {added} new favourite(s) of {len(loaded)} from {Path(path).name}", 6000)
        return added

    def export_favourites_dialog(self) -> None:
        start = str(Path(self.settings.last_dir) / "voxstudio-favourites.json")
        path, _ = QFileDialog.getSaveFileName(self.host, "Export favourites", start, "Favourites (*.json)")
        if path:
            self.export_favourites(path if path.lower().endswith(".json") else f"{path}.json")

    def import_favourites_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.host, "Import favourites", self.settings.last_dir,
                                              "Favourites (*.json);;All files (*)")
        if path:
            self.import_favourites(path)

    # ================================================================== start / end
    def _watch_sliders(self) -> None:
        """Record a drag when its slider is released (rows are rebuilt per model, so look each time)."""
        for slider in _qt_sliders(self.panel):
            if not slider.property("history_watched"):
                slider.setProperty("history_watched", True)
                slider.sliderReleased.connect(self._gesture_ended)

    def _on_engine(self, state: EngineState) -> None:
        if state is not EngineState.READY:
            self._update_actions()
            return
        self._watch_sliders()
        if not self._restored:
            self.restore_last_state()
        self._update_actions()

    def restore_last_state(self) -> bool:
        """Apply the state remembered at the last close (once per window); True if one was applied.

        Call it before the window's first regeneration to start straight on that
        shape; a shown file is left alone.
        """
        if self._restored or not self.available():
            return False
        self._restored = True
        self._watch_sliders()
        applied = False
        if self.session.current_source in (ShapeSource.NONE, ShapeSource.GENERATED):
            try:
                state = load_last_state(self.folder)
            except VoxelFileError as error:
                state = None
                self.session.notify(f"Last shape not restored: {error}", 10000)
            if state is not None:
                applied = self.apply(state)
        start = self.current_state()
        self.history.reset(start)
        if start is not None:
            self._add_to_strip(start)
            self.strip.mark_current(start)
        self._update_actions()
        return applied

    def save_last_state(self) -> Path | None:
        state = self.current_state() or self.history.current  # a drag still held counts
        if state is None:
            return None
        try:
            return save_last_state(self.folder, state)
        except VoxelFileError as error:
            print(f"VoxStudio: last shape not saved: {error}", file=sys.stderr)
            return None

    def shutdown(self) -> None:
        """Window closing: remember the shape, stop the thumbnail thread (idempotent)."""
        if self._closed:
            return
        self.save_last_state()
        self._closed = True
        self.renderer.shutdown()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.host and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False


def _qt_sliders(panel: GeneratePanel) -> list[QSlider]:
    """The panel's latent-direction and named sliders (rows are rebuilt per model and class)."""
    return [row.slider for row in panel.sliders] + [row.slider for row in panel.named_box.rows]
