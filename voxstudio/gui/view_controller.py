"""How shapes look: surface kind, threshold, wireframe, bounds, colours, camera.

Surface kind and threshold are session state (``SessionModel.view``): changing
them re-meshes what is shown (the shape controller observes the session). The
rest only restyles the viewport. The choices persist in the settings.

Gets the session, its own widgets (the viewport, the window's actions, the view
toolbar, the Generate panel's Animate button kept in step with its action) and
the settings, nothing more.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog

from voxstudio.gui.actions import WindowActions
from voxstudio.gui.generate_panel import GeneratePanel
from voxstudio.gui.settings import AppSettings
from voxstudio.gui.viewport import Viewport
from voxstudio.gui.window_chrome import ViewToolbar
from voxstudio.session import SessionModel, ViewParams


class ViewController(QObject):
    """View toggles -> viewport and session; restores and saves them."""

    def __init__(self, session: SessionModel, viewport: Viewport, actions: WindowActions, toolbar: ViewToolbar,
                 generate_panel: GeneratePanel, settings: AppSettings) -> None:
        super().__init__(viewport)
        self.session = session
        self.viewport = viewport
        self.actions = actions
        self.toolbar = toolbar
        self.generate_panel = generate_panel
        self.settings = settings
        a = actions
        a.reset_camera.triggered.connect(lambda _checked=False: viewport.reset_camera())  # not render=checked
        a.smooth.toggled.connect(self._on_surface_toggled)
        a.clean.toggled.connect(self._on_clean_toggled)
        a.wireframe.toggled.connect(viewport.set_wireframe)
        a.bounds.toggled.connect(self._on_bounds_toggled)
        a.colour_by_height.toggled.connect(self._on_colour_by_height)
        a.material_colour.triggered.connect(self.pick_material_colour)
        a.random_seed.triggered.connect(generate_panel.randomise_seed)
        a.reset_sliders.triggered.connect(generate_panel.reset)
        a.animate.toggled.connect(generate_panel.set_animating)
        generate_panel.animate_button.toggled.connect(self._sync_animate_action)
        toolbar.colour_combo.currentIndexChanged.connect(lambda i: a.colour_by_height.setChecked(i == 0))
        toolbar.threshold_slider.valueChanged.connect(self._sync_view)

    def restore(self) -> None:
        """The saved look (surface, bounds, colours) applied to the actions and the viewport."""
        s, a = self.settings, self.actions
        a.smooth.setChecked(s.surface == "smooth")
        a.clean.setChecked(s.clean_fragments)
        a.bounds.setChecked(s.show_bounds)
        self.viewport.set_bounds_visible(s.show_bounds)
        self.viewport.set_material_colour(s.material_colour)
        a.colour_by_height.setChecked(s.colour_mode == "height")
        self._on_colour_by_height(s.colour_mode == "height")
        self._sync_view()

    def save(self) -> None:
        s = self.settings
        s.surface = self.session.view.surface
        s.show_bounds = self.actions.bounds.isChecked()
        s.colour_mode = "height" if self.actions.colour_by_height.isChecked() else "material"

    def view_params(self) -> ViewParams:
        """What the widgets say now (the session holds the same once they are synced)."""
        return ViewParams(surface="smooth" if self.actions.smooth.isChecked() else "blocky",
                          threshold=self.toolbar.threshold(), clean=self.actions.clean.isChecked())

    def _sync_view(self, *_args: object) -> None:
        self.session.set_view(self.view_params())  # observers re-mesh what is shown

    def _on_surface_toggled(self, smooth: bool) -> None:
        self.settings.surface = "smooth" if smooth else "blocky"
        self._sync_view()

    def _on_clean_toggled(self, on: bool) -> None:
        self.settings.clean_fragments = on
        self._sync_view()  # generated shapes are made again, cleaned or raw

    def _on_bounds_toggled(self, on: bool) -> None:
        self.viewport.set_bounds_visible(on)
        self.settings.show_bounds = on

    def _on_colour_by_height(self, on: bool) -> None:
        self.viewport.set_colour_mode("height" if on else "material")
        combo = self.toolbar.colour_combo
        blocked = combo.blockSignals(True)
        combo.setCurrentIndex(0 if on else 1)
        combo.blockSignals(blocked)
        self.settings.colour_mode = "height" if on else "material"

    def pick_material_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(self.settings.material_colour), self.viewport, "Material colour")
        if colour.isValid():
            self.set_material_colour(colour.name())

    def set_material_colour(self, colour: str) -> None:
        self.settings.material_colour = colour
        self.viewport.set_material_colour(colour)
        self.actions.colour_by_height.setChecked(False)

    def _sync_animate_action(self, on: bool) -> None:
        blocked = self.actions.animate.blockSignals(True)
        self.actions.animate.setChecked(on)
        self.actions.animate.blockSignals(blocked)
