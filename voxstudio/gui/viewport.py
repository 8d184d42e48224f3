"""The 3D viewport: one pyvistaqt QtInteractor with two renderers.

Renderer 0 shows the shape being explored (generated or opened); renderer 1, shown
side by side on demand, the capsule network's reconstruction. Both share one
camera so the two stay aligned while orbiting.

Meshes arrive ready-made from the worker. Each view keeps ONE actor whose
PolyData is updated in place (``copy_from`` shallow copy): no actor/mapper churn
per frame, which ``bench/bench_gui.py`` measures against re-adding the actor.

Rendering: pyvistaqt's widget is a QOpenGLWidget whose ``paintGL`` always renders
the scene. Calling ``plotter.render()`` would render once immediately and then
again in the paint it schedules, so every change here only asks for a repaint
(``update()``): one render per frame, and several uploads between two paints
collapse into a single frame.

Draft frames: while the shape changes in quick succession (a slider drag, an
animation), :meth:`Viewport.set_draft` has VTK render at :data:`DRAFT_SCALE` of the
widget's pixels per axis; the blit into the widget scales the frame up. In software
GL a frame's cost grows with its pixels, so a drag shows more frames; the still
frame after the drag (``drag_draft.DraftDuringDrag``) and every screenshot are full
quality.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from voxstudio.gui.surface import HEIGHT_ARRAY

if TYPE_CHECKING:
    import pyvista as pv

# True: a Viewport builds its VTK view only when asked (build_plotter / build_plotter_soon),
# so the window can be on screen before pyvista, VTK and matplotlib are imported (~0.9 s).
# app.launch sets it; tests and benchmarks that build the window directly keep the eager default.
DEFER_PLOTTER = False

BACKGROUND_TOP = "#3a4150"
BACKGROUND_BOTTOM = "#15171c"
BACKGROUND_SOLID = "#262a32"  # software GL: one clear instead of a gradient pass
# Fraction of the widget's device pixels per axis that VTK renders in a draft frame (a quarter
# of the pixels): measured in bench_gui.py under llvmpipe, see docs/lean_and_fast.md.
DRAFT_SCALE = 0.5
HEIGHT_CMAP = "viridis"
# Opaque, background-like colours instead of opacity: any translucent actor makes
# VTK add an order-independent-transparency pass, which doubled the frame time
# under software OpenGL (llvmpipe).
FLOOR_COLOUR = "#343a45"
BOUNDS_COLOUR = "#6b7383"

# Keys the VTK interactor may keep; everything else bubbles up to the window so
# VTK's own single-letter bindings (w = wireframe all, e/q = exit...) never fire.
_VTK_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right}


_INTERACTOR_CLASS: Any = None
_GL_COLOR_BUFFER_BIT = 0x4000
_GL_LINEAR = 0x2601
_GL_SCISSOR_TEST = 0x0C11
_GL_DRAW_FRAMEBUFFER = 0x8CA9


def _interactor_class() -> Any:
    """The QtInteractor subclass, defined on first use (importing pyvistaqt costs ~0.9 s)."""
    global _INTERACTOR_CLASS
    if _INTERACTOR_CLASS is not None:
        return _INTERACTOR_CLASS
    from pyvistaqt import QtInteractor

    class _Interactor(QtInteractor):
        """QtInteractor that ignores VTK's letter shortcuts and reports each painted frame."""

        painted = Signal(float)  # milliseconds spent rendering + blitting the frame
        render_scale = 1.0  # fraction of the widget's device pixels per axis VTK renders (drafts)

        def paintGL(self) -> None:  # noqa: N802 - Qt override
            start = time.perf_counter()
            super().paintGL()
            self.painted.emit((time.perf_counter() - start) * 1000.0)

        def resizeGL(self, w: int, h: int) -> None:  # noqa: N802 - Qt override
            super().resizeGL(w, h)  # VTK's size = the widget's device pixels
            if self.render_scale != 1.0:
                self.apply_render_scale()

        def apply_render_scale(self) -> None:
            """Size VTK's frame to ``render_scale`` of the widget (the blit scales it back up).

            The DPI is scaled alike so that captions keep their size relative to the view.
            The interactor keeps the full size: mouse coordinates stay the widget's.
            """
            rw = self._RenderWindow
            if rw is None:
                return
            dpr = self.devicePixelRatioF()
            scale = self.render_scale
            rw.SetSize(max(1, round(self.width() * dpr * scale)), max(1, round(self.height() * dpr * scale)))
            rw.SetDPI(max(1, round(72 * dpr * scale)))

        def _blit(self, target_id: int, rect: Any) -> None:
            """pyvistaqt's blit of VTK's frame into the widget, minus its alpha clear.

            pyvistaqt clears the target's alpha to 1 after every blit (compositors
            blend windows with alpha < 1) with a colour-masked clear, which Mesa's
            llvmpipe does pixel by pixel: ~3 ms of a ~14 ms frame at 1000x700. The
            viewport's renderers clear with background alpha 1 and draw only opaque
            geometry (blended text keeps alpha 1), so VTK's frame is already opaque
            (tests/gui/test_viewport_speed.py reads it back). Other GL states are as
            pyvistaqt leaves them; without ``opaque_frames`` its own blit runs.
            """
            rw = self._RenderWindow
            gl = self._gl
            if not getattr(self, "opaque_frames", False) or rw is None or gl is None:
                super()._blit(target_id, rect)
                return
            gl.glBindFramebuffer(_GL_DRAW_FRAMEBUFFER, target_id)
            gl.draw_buffer_attachment0()
            scissor = bool(gl.glIsEnabled(_GL_SCISSOR_TEST))
            if scissor:  # scissor affects glBlitFramebuffer
                rw.GetState().vtkglDisable(_GL_SCISSOR_TEST)
                gl.glDisable(_GL_SCISSOR_TEST)
            width, height = rw.GetSize()
            rw.BlitDisplayFramebuffer(0, 0, 0, width, height, rect.x(), rect.y(), rect.width(), rect.height(),
                                      _GL_COLOR_BUFFER_BIT, _GL_LINEAR)
            if scissor:
                rw.GetState().vtkglEnable(_GL_SCISSOR_TEST)
                gl.glEnable(_GL_SCISSOR_TEST)

        def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
            if event.key() in _VTK_KEYS:
                super().keyPressEvent(event)
            else:
                event.ignore()

        def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
            if event.key() in _VTK_KEYS:
                super().keyReleaseEvent(event)
            else:
                event.ignore()

    _INTERACTOR_CLASS = _Interactor
    return _Interactor


def preload_rendering() -> None:
    """Import pyvista / pyvistaqt (VTK, matplotlib): safe off the GUI thread, creates no widget."""
    import pyvista  # noqa: F401
    import pyvistaqt  # noqa: F401


class _View:
    """One renderer's persistent actor and its PolyData."""

    def __init__(self, renderer: pv.Renderer) -> None:
        import pyvista as pv

        self.renderer = renderer
        self.poly = pv.PolyData()
        self.mapper = pv.DataSetMapper(self.poly)
        self.mapper.lookup_table = pv.LookupTable(HEIGHT_CMAP)
        self.mapper.SetScalarModeToUsePointFieldData()
        self.mapper.SelectColorArray(HEIGHT_ARRAY)
        self.mapper.SetInterpolateScalarsBeforeMapping(True)
        self.actor = pv.Actor(mapper=self.mapper)
        prop = self.actor.prop
        prop.ambient = 0.22
        prop.diffuse = 0.85
        prop.specular = 0.15
        prop.specular_power = 20.0
        renderer.add_actor(self.actor, reset_camera=False, render=False, name="shape")
        self.bounds_actor: pv.Actor | None = None
        self.floor_actor: pv.Actor | None = None

    def replace(self, mesh: pv.PolyData, in_place: bool) -> None:
        import pyvista as pv

        if in_place:
            self.poly.copy_from(mesh, deep=False)
            return
        # Alternative kept for the benchmark: a fresh mapper + actor every frame.
        self.renderer.remove_actor(self.actor, reset_camera=False, render=False)
        old = self.actor
        self.poly = mesh
        self.mapper = pv.DataSetMapper(self.poly)
        self.mapper.lookup_table = old.mapper.lookup_table
        self.mapper.SetScalarModeToUsePointFieldData()
        self.mapper.SelectColorArray(HEIGHT_ARRAY)
        self.mapper.scalar_range = old.mapper.scalar_range
        self.mapper.SetScalarVisibility(old.mapper.GetScalarVisibility())
        self.actor = pv.Actor(mapper=self.mapper, prop=old.prop)
        self.renderer.add_actor(self.actor, reset_camera=False, render=False, name="shape")


def caption_font_file() -> str | None:
    """A TrueType font with arrows and dots for the captions, or None.

    VTK's built-in caption font (an embedded Arial subset) has no glyph for
    "\u2192", so "chair \u00b7 seed 3 \u2192 7" showed as "seed 3  7". DejaVu Sans
    covers it and ships with matplotlib (a pyvista dependency) and most Linux systems.
    """
    candidates = []
    try:
        import matplotlib as mpl

        candidates.append(Path(mpl.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    except ImportError:  # pragma: no cover - pyvista brings matplotlib
        pass
    candidates += [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                   Path("/usr/share/fonts/TTF/DejaVuSans.ttf"), Path("/Library/Fonts/DejaVuSans.ttf")]
    return next((str(path) for path in candidates if path.is_file()), None)


def style_caption(text_actor: Any) -> bool:  # a vtkTextActor / vtkCornerAnnotation
    """Render a caption with :func:`caption_font_file`; False when there is none (use ASCII then)."""
    # vtkmodules, not the ``vtk`` umbrella: the bundle ships only the VTK modules it uses.
    from vtkmodules.vtkCommonCore import VTK_FONT_FILE

    font = caption_font_file()
    if font is None:
        return False
    prop = text_actor.GetTextProperty()
    prop.SetFontFamily(VTK_FONT_FILE)
    prop.SetFontFile(font)
    return True


def ascii_caption(text: str) -> str:
    """Fallback for a caption font without them: arrows and middle dots as ASCII."""
    return text.replace("\u2192", "->").replace("\u00b7", "-").replace("\u00b3", "^3")


def is_software_gl(capabilities: str) -> bool:
    """True for Mesa's CPU rasterisers (llvmpipe, softpipe, swrast) from VTK's report."""
    for line in capabilities.splitlines():
        if "renderer string" in line:
            return any(name in line.lower() for name in ("llvmpipe", "softpipe", "swrast", "software"))
    return False


def _add_lights(renderer: pv.Renderer) -> None:
    """A headlight plus a key light from the upper left, both following the camera.

    Two lights instead of pyvista's five-light kit: top faces read brighter than
    sides (shape is legible) and per-pixel lighting costs ~30% less in software GL.
    """
    import pyvista as pv

    head = pv.Light(light_type="headlight", intensity=0.7)
    key = pv.Light(position=(-1.0, 1.5, 2.0), focal_point=(0.0, 0.0, 0.0), light_type="camera light",
                   intensity=0.6)
    renderer.add_light(head)
    renderer.add_light(key)


class Viewport(QWidget):
    """Central 3D view: shape (+ optional reconstruction), camera, look, screenshots."""

    frameRendered = Signal(float)  # a frame reached the screen: milliseconds spent rendering it

    def __init__(self, parent: QWidget | None = None, multi_samples: int | None = None) -> None:
        """``multi_samples=None``: 4x MSAA on a GPU, none in software GL (see ``_on_painted``).

        With :data:`DEFER_PLOTTER` the VTK view is not built here: a "Loading the 3D
        view" placeholder stands in until :meth:`build_plotter` (or the first call that
        needs the view) builds it; the look, split and camera settings made meanwhile are
        kept and applied then.
        """
        super().__init__(parent)
        self._multi_samples = multi_samples
        self._auto_msaa = multi_samples is None
        self._auto_frame = True
        self.in_place = True
        self.software_gl: bool | None = None  # known after the first frame
        self.frames = 0  # frames painted so far
        self.last_frame_ms = 0.0
        self.upload_ms: deque[float] = deque(maxlen=1000)  # show_mesh costs (benchmark)
        self._draft = False
        self.last_frame_size = (0, 0)  # pixels VTK rendered for the last painted frame (drafts: fewer)
        self._resolution = 32
        self._split = False
        self._colour_mode = "height"
        self._material = "#c8a27a"
        self._wireframe = False
        self._bounds_visible = True
        self.plotter: Any = None
        self.views: list[_View] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder: QLabel | None = None
        self._preloader: _Preloader | None = None
        if DEFER_PLOTTER:
            self._placeholder = QLabel("Loading the 3D view\u2026")
            self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._placeholder.setStyleSheet(f"background: {BACKGROUND_SOLID}; color: #d8dde6;")
            self._layout.addWidget(self._placeholder)
        else:
            self.build_plotter()

    @property
    def ready(self) -> bool:
        """Whether the VTK view exists (always, unless built deferred and not yet)."""
        return self.plotter is not None

    def build_plotter_soon(self) -> None:
        """Import the rendering stack on a helper thread, then build the view on the GUI thread.

        The window stays responsive (and painted) while pyvista / VTK / matplotlib are
        imported; only the widget creation itself (~0.1 s) runs on the GUI thread.
        """
        if self.plotter is not None or self._preloader is not None:
            return
        self._preloader = _Preloader(self)
        self._preloader.done.connect(self.build_plotter)
        self._preloader.start()

    def build_plotter(self) -> None:
        """Build the VTK view now (no-op once built)."""
        if self.plotter is not None:
            return
        multi_samples = 0 if self._multi_samples is None else self._multi_samples
        self.plotter = _interactor_class()(
            self, shape=(1, 2), border=False, auto_update=False, multi_samples=multi_samples, lighting="none"
        )
        self.plotter.setAcceptDrops(False)  # drops go to the window (loaded on the worker)
        if self.plotter.iren is not None:
            self.plotter.iren.clear_key_event_callbacks()  # no 'q' = close the plotter
            self.plotter.iren.add_observer("StartInteractionEvent", self._on_user_interaction)
        self.plotter.painted.connect(self._on_painted)
        self.plotter.opaque_frames = hasattr(self.plotter, "_blit")
        self.plotter.render_scale = DRAFT_SCALE if self._draft else 1.0  # a drag began before the view was built
        if self._placeholder is not None:
            self._layout.removeWidget(self._placeholder)
            self._placeholder.deleteLater()
            self._placeholder = None
        self._layout.addWidget(self.plotter)

        self.plotter.link_views()  # one camera for both views
        titles = ("", "Reconstruction")
        for index, renderer in enumerate(self.plotter.renderers[:2]):
            renderer.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)
            renderer.SetBackgroundAlpha(1.0)  # opaque frames: no per-frame alpha clear (see _blit)
            _add_lights(renderer)
            view = _View(renderer)
            self.views.append(view)
            if titles[index]:
                self.plotter.subplot(0, index)
                self._title_recon = self.plotter.add_text(titles[index], position="upper_edge", font_size=9,
                                                          color="#d8dde6")
                style_caption(self._title_recon)
                self._title_recon.SetMaximumFontSize(15)  # VTK scales it with the view: a hint must fit
        self.plotter.subplot(0, 0)
        self._title_main = self.plotter.add_text("", position="upper_left", font_size=9, color="#d8dde6")
        self._caption_has_unicode = style_caption(self._title_main)
        self._apply_split()
        self._apply_look()
        self._rebuild_frame_actors()
        for view in self.views:
            if view.bounds_actor is not None:
                view.bounds_actor.visibility = self._bounds_visible
        self.reset_camera()
        # A native window of its own (set once the GL child exists): otherwise Qt
        # composites the WHOLE main window through OpenGL on every widget update (a
        # QOpenGLWidget child switches the top level to GL composition). In software
        # GL that made each slider tick cost ~30 ms; this way it costs under 1 ms.
        self.setAttribute(Qt.WidgetAttribute.WA_NativeWindow)
        if self.isVisible():
            self.plotter.show()

    # -- data -----------------------------------------------------------------------
    @property
    def main_polydata(self) -> pv.PolyData:
        """The PolyData currently shown in the main view (tests compare it)."""
        self.build_plotter()
        return self.views[0].poly

    @property
    def recon_polydata(self) -> pv.PolyData:
        self.build_plotter()
        return self.views[1].poly

    @property
    def split(self) -> bool:
        return self._split

    def set_recon_caption(self, text: str) -> None:
        """The reconstruction view's caption (a hint when it is empty)."""
        self.build_plotter()
        self._title_recon.SetText(7, text if self._caption_has_unicode else ascii_caption(text))  # 7 = upper edge
        self.request_frame()

    def recon_caption(self) -> str:
        self.build_plotter()
        return str(self._title_recon.GetText(7) or "")

    def caption(self) -> str:
        """The main view's caption text (upper left)."""
        self.build_plotter()
        return str(self._title_main.GetText(2) or "")

    def caption_text_property(self) -> object:
        """The main caption's ``vtkTextProperty`` (its font decides which glyphs can show)."""
        self.build_plotter()
        return self._title_main.GetTextProperty()

    def show_mesh(self, mesh: pv.PolyData, target: str = "main", resolution: int | None = None,
                  title: str | None = None) -> float:
        """Upload a worker-built mesh into a view and schedule a frame; returns ms spent."""
        self.build_plotter()
        start = time.perf_counter()
        if resolution is not None and resolution != self._resolution:
            self._resolution = int(resolution)
            self._rebuild_frame_actors()
            self._apply_look()
            self.reset_camera(render=False)
        view = self.views[0 if target == "main" else 1]
        view.replace(mesh, self.in_place)
        if target == "main" and title is not None:
            self._title_main.SetText(2, title if self._caption_has_unicode else ascii_caption(title))  # upper left
        self.request_frame()
        elapsed = (time.perf_counter() - start) * 1000.0
        self.upload_ms.append(elapsed)
        return elapsed

    def request_frame(self) -> None:
        """Schedule one repaint (renders in ``paintGL``; repeated requests merge)."""
        if self.plotter is not None:
            self.plotter.update()

    # -- draft frames (drags) ----------------------------------------------------------
    @property
    def draft(self) -> bool:
        """Whether frames are rendered as drafts (see :meth:`set_draft`)."""
        return self._draft

    def set_draft(self, on: bool) -> None:
        """Render at :data:`DRAFT_SCALE` of the pixels per axis (True) or at full quality (False).

        Why: under software GL (llvmpipe) a frame's cost grows with its pixels, and during
        a drag the next frame matters more than this one's sharpness. Leaving draft mode
        schedules a full-quality frame of what is shown.
        """
        on = bool(on)
        if on == self._draft:
            return
        self._draft = on
        if self.plotter is not None:
            self.plotter.render_scale = DRAFT_SCALE if on else 1.0
            self.plotter.apply_render_scale()
            self.request_frame()

    def _on_painted(self, ms: float) -> None:
        if self._auto_msaa:
            self._auto_msaa = False
            self.software_gl = is_software_gl(self.plotter.ren_win.ReportCapabilities())
            if self.software_gl:
                # The gradient is an extra full-screen pass: ~30% of a frame in llvmpipe.
                for renderer in self.plotter.renderers:
                    renderer.set_background(BACKGROUND_SOLID)
            else:  # free on a GPU; in llvmpipe MSAA doubles the frame time
                self.plotter.ren_win.SetMultiSamples(4)
            self.request_frame()
        self.frames += 1
        self.last_frame_ms = ms
        width, height = self.plotter.ren_win.GetSize()
        self.last_frame_size = (int(width), int(height))
        self.frameRendered.emit(ms)

    def clear(self, target: str = "main") -> None:
        import pyvista as pv

        self.build_plotter()
        self.views[0 if target == "main" else 1].replace(pv.PolyData(), in_place=True)
        self.request_frame()

    # -- look -------------------------------------------------------------------------
    def set_colour_mode(self, mode: str) -> None:
        """"height" colours by z with a colormap, "material" uses one colour."""
        self._colour_mode = mode
        self._apply_look()
        self.request_frame()

    def set_material_colour(self, colour: str) -> None:
        self._material = colour
        self._apply_look()
        self.request_frame()

    def set_wireframe(self, on: bool) -> None:
        self._wireframe = bool(on)
        self._apply_look()
        self.request_frame()

    def set_bounds_visible(self, on: bool) -> None:
        self._bounds_visible = bool(on)
        for view in self.views:  # none yet while the view is deferred: applied when built
            if view.bounds_actor is not None:
                view.bounds_actor.visibility = self._bounds_visible
        self.request_frame()

    def _apply_look(self) -> None:
        for view in self.views:
            by_height = self._colour_mode == "height"
            view.mapper.SetScalarVisibility(by_height)
            view.mapper.scalar_range = (0.0, float(self._resolution))
            prop = view.actor.prop
            prop.color = self._material
            prop.style = "wireframe" if self._wireframe else "surface"
            prop.line_width = 1.0

    def _rebuild_frame_actors(self) -> None:
        """Grid bounds outline and a floor under it, sized to the grid resolution."""
        import pyvista as pv

        r = float(self._resolution)
        outline = pv.Box(bounds=(0, r, 0, r, 0, r)).extract_all_edges()
        margin = r * 0.35
        floor = pv.Plane(
            center=(r / 2, r / 2, -0.02), direction=(0, 0, 1),
            i_size=r + 2 * margin, j_size=r + 2 * margin, i_resolution=8, j_resolution=8,
        )
        for view in self.views:
            for actor in (view.bounds_actor, view.floor_actor):
                if actor is not None:
                    view.renderer.remove_actor(actor, reset_camera=False, render=False)
            bounds_mapper = pv.DataSetMapper(outline)
            bounds_mapper.scalar_visibility = False
            view.bounds_actor = pv.Actor(mapper=bounds_mapper)
            view.bounds_actor.prop.color = BOUNDS_COLOUR
            view.bounds_actor.prop.line_width = 1.0
            view.bounds_actor.visibility = self._bounds_visible
            view.bounds_actor.pickable = False
            floor_mapper = pv.DataSetMapper(floor)
            floor_mapper.scalar_visibility = False
            view.floor_actor = pv.Actor(mapper=floor_mapper)
            view.floor_actor.prop.color = FLOOR_COLOUR
            view.floor_actor.prop.style = "wireframe"
            view.floor_actor.pickable = False
            view.renderer.add_actor(view.bounds_actor, reset_camera=False, render=False, name="bounds")
            view.renderer.add_actor(view.floor_actor, reset_camera=False, render=False, name="floor")

    # -- layout and camera --------------------------------------------------------------
    def set_split(self, on: bool) -> None:
        """Show the reconstruction beside the shape (True) or the shape alone."""
        on = bool(on)
        if on == self._split:
            return
        self._split = on
        if self.plotter is not None:
            self._apply_split()
            self.request_frame()

    def _apply_split(self) -> None:
        main, recon = self.plotter.renderers[0], self.plotter.renderers[1]
        window = self.plotter.ren_win
        if self._split:
            main.SetViewport(0.0, 0.0, 0.5, 1.0)
            recon.SetViewport(0.5, 0.0, 1.0, 1.0)
            if not window.HasRenderer(recon):
                window.AddRenderer(recon)
        else:
            main.SetViewport(0.0, 0.0, 1.0, 1.0)
            if window.HasRenderer(recon):
                window.RemoveRenderer(recon)

    def reset_camera(self, render: bool = True) -> None:
        """Front-right-above view (front faces -y, z up) framing the whole grid.

        The distance is solved so that all eight corners of the grid cube fit the
        main view's vertical AND horizontal field of view (VTK's ResetCamera only
        fits a bounding sphere vertically, which crops narrow/split views).
        """
        self._auto_frame = True
        if self.plotter is None:
            return  # framed when the view is built
        r = float(self._resolution)
        focus = np.array([r / 2, r / 2, r / 2])
        forward = np.array([-0.55, 1.0, -0.45])  # camera looks along this
        forward /= np.linalg.norm(forward)
        up_hint = np.array([0.0, 0.0, 1.0])
        right = np.cross(forward, up_hint)
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        renderer = self.plotter.renderers[0]
        width, height = self._view_pixels(renderer)
        view_angle = 30.0
        tan_v = np.tan(np.radians(view_angle) / 2)
        tan_h = tan_v * (width / max(height, 1))
        corners = np.array([[x, y, z] for x in (0, r) for y in (0, r) for z in (0, r)]) - focus
        depth = corners @ -forward  # towards the camera
        need = np.maximum(np.abs(corners @ right) / tan_h, np.abs(corners @ up) / tan_v) + depth
        distance = float(need.max()) * 1.04
        camera = renderer.camera
        camera.focal_point = tuple(focus)
        camera.position = tuple(focus - forward * distance)
        camera.up = tuple(up)
        camera.view_angle = view_angle
        renderer.ResetCameraClippingRange()
        self._auto_frame = True
        if render:
            self.request_frame()

    def _view_pixels(self, renderer: pv.Renderer) -> tuple[float, float]:
        """Size in pixels of a renderer's viewport (the widget may not be shown yet)."""
        x0, y0, x1, y1 = renderer.GetViewport()
        width = max(self.plotter.width(), 1) * (x1 - x0)
        height = max(self.plotter.height(), 1) * (y1 - y0)
        return max(width, 1.0), max(height, 1.0)

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().resizeEvent(event)
        if self._auto_frame and self.plotter is not None:  # keep framing until the user takes the camera
            self.reset_camera(render=False)

    def _on_user_interaction(self, *_args: object) -> None:
        self._auto_frame = False

    # -- images -------------------------------------------------------------------------
    def render_image(self) -> np.ndarray:
        """(H, W, 3) uint8 image of the current view (for window screenshots), never a draft."""
        self.build_plotter()
        self.set_draft(False)
        self.plotter.render()
        return np.asarray(self.plotter.screenshot(return_img=True))

    def render_qimage(self) -> QImage:
        image = np.ascontiguousarray(self.render_image()[..., :3])
        height, width, _ = image.shape
        return QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()

    def save_screenshot(self, path: str | Path) -> Path:
        """Write the 3D view to a PNG file."""
        path = Path(path)
        if not self.render_qimage().save(str(path), "PNG"):  # type: ignore[call-overload]  # stub says bytes; str works
            raise OSError(f"{path}: could not write the PNG file")
        return path

    def close_plotter(self) -> None:
        if self.plotter is not None:
            self.plotter.close()


class _Preloader(QObject):
    """Imports the rendering stack on a daemon thread; ``done`` arrives on the GUI thread."""

    done = Signal()

    def start(self) -> None:
        threading.Thread(target=self._run, name="voxstudio-preload-vtk", daemon=True).start()

    def _run(self) -> None:
        try:
            preload_rendering()
        finally:  # on failure the GUI thread's own import reports the error
            self.done.emit()
