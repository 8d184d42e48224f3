"""The window's QActions (menu items, toolbar buttons, keyboard shortcuts).

Kept apart from the window so the list of commands and their shortcuts reads in
one place: Ctrl+O open, Ctrl+E export, Ctrl+R random seed, F reset camera, ...
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QStyle, QWidget

from voxstudio.session import SessionModel


@dataclass
class WindowActions:
    open: QAction
    export: QAction
    screenshot: QAction
    quit: QAction
    reset_camera: QAction
    smooth: QAction
    clean: QAction
    wireframe: QAction
    bounds: QAction
    colour_by_height: QAction
    material_colour: QAction
    reconstruction: QAction
    random_seed: QAction
    reset_sliders: QAction
    animate: QAction
    gallery: QAction
    classify: QAction
    about: QAction
    shortcuts: QAction
    documentation: QAction


def _action(parent: QWidget, text: str, shortcut: str | QKeySequence.StandardKey | None = None,
            tip: str = "", checkable: bool = False, icon: QStyle.StandardPixmap | None = None) -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({action.shortcut().toString()})" if shortcut is not None else tip)
    action.setCheckable(checkable)
    if icon is not None:
        action.setIcon(parent.style().standardIcon(icon))
    return action


def create_actions(parent: QWidget) -> WindowActions:
    sp = QStyle.StandardPixmap
    return WindowActions(
        open=_action(parent, "&Open\u2026", "Ctrl+O", "Open a voxel or mesh file", icon=sp.SP_DialogOpenButton),
        export=_action(parent, "&Export\u2026", "Ctrl+E", "Export the shape (STL, OBJ, PLY, GLB, binvox, vox, npy)",
                       icon=sp.SP_DialogSaveButton),
        screenshot=_action(parent, "Save &screenshot\u2026", "Ctrl+Shift+S", "Save the 3D view as PNG"),
        quit=_action(parent, "&Quit", "Ctrl+Q", "Quit VoxStudio"),
        reset_camera=_action(parent, "&Reset camera", "F", "Frame the shape again", icon=sp.SP_BrowserReload),
        smooth=_action(parent, "&Smooth surface", "S", "Marching-cubes surface instead of voxel blocks",
                       checkable=True),
        clean=_action(parent, "&Clean up fragments", "Ctrl+Shift+C",
                      "Show generated shapes as their main piece with pinholes filled (exports follow; "
                      "off in every metric)", checkable=True),
        wireframe=_action(parent, "&Wireframe", "W", "Show the mesh as wireframe", checkable=True),
        bounds=_action(parent, "Grid &bounds", "B", "Show the voxel grid's bounding box", checkable=True),
        colour_by_height=_action(parent, "Colour by &height", "H", "Colour by height (else one material colour)",
                                 checkable=True),
        material_colour=_action(parent, "&Material colour\u2026", None, "Pick the single material colour"),
        reconstruction=_action(parent, "Show &reconstruction", "Ctrl+Shift+R",
                               "Show the capsule network's reconstruction beside the shape", checkable=True),
        random_seed=_action(parent, "&Random seed", "Ctrl+R", "Generate from a random seed"),
        reset_sliders=_action(parent, "Re&set sliders", "Ctrl+0", "Latent sliders and interpolation back to zero"),
        animate=_action(parent, "&Animate", "Ctrl+P", "Play the interpolation / random walk", checkable=True),
        gallery=_action(parent, "&Gallery\u2026", "Ctrl+G", "A grid of samples of the class to pick the shape from"),
        classify=_action(parent, "&Classify current", "Ctrl+K", "Classify the shape in the view"),
        about=_action(parent, "&About VoxStudio", None, "About VoxStudio"),
        shortcuts=_action(parent, "&Keyboard shortcuts", "F1", "List every keyboard shortcut"),
        documentation=_action(parent, "&Documentation", None,
                              "Open the README (exporting for printing and Blender, the models, the command line)"),
    )


def build_menus(menubar: QMenuBar, actions: WindowActions, panel_toggles: list[QAction]) -> None:
    """File / View / Generate / Classify / Help menus."""
    file_menu = menubar.addMenu("&File")
    file_menu.addActions([actions.open, actions.export, actions.screenshot])
    file_menu.addSeparator()
    file_menu.addAction(actions.quit)

    view_menu = menubar.addMenu("&View")
    view_menu.addAction(actions.reset_camera)
    view_menu.addSeparator()
    view_menu.addActions([actions.smooth, actions.wireframe, actions.bounds])
    view_menu.addAction(actions.clean)
    view_menu.addSeparator()
    view_menu.addActions([actions.colour_by_height, actions.material_colour])
    view_menu.addSeparator()
    view_menu.addAction(actions.reconstruction)
    if panel_toggles:
        view_menu.addSeparator()
        view_menu.addActions(panel_toggles)

    generate_menu = menubar.addMenu("&Generate")
    generate_menu.addActions([actions.random_seed, actions.reset_sliders, actions.animate])
    generate_menu.addSeparator()
    generate_menu.addAction(actions.gallery)

    classify_menu = menubar.addMenu("&Classify")
    classify_menu.addActions([actions.open, actions.classify])

    help_menu = menubar.addMenu("&Help")
    help_menu.addActions([actions.shortcuts, actions.documentation])
    help_menu.addSeparator()
    help_menu.addAction(actions.about)


def shortcut_rows(actions: WindowActions) -> list[tuple[str, str, str]]:
    """``(command, shortcut, what it does)`` for every action that has a shortcut, in declaration order.

    Generated from :class:`WindowActions`, so the Help > Keyboard shortcuts list
    can never drift from the real bindings. Shortcuts use the platform's text
    (Ctrl on Linux/Windows, the command key symbol on macOS).
    """
    from dataclasses import fields

    from PySide6.QtGui import QKeySequence

    rows = []
    for item in fields(actions):
        action = getattr(actions, item.name)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            rows.append((action.text().replace("&", "").rstrip("\u2026"), keys, action.statusTip()))
    return rows


def update_action_states(actions: WindowActions, session: SessionModel) -> None:
    """Enable what the engine and the shown shape allow (called on every session change that matters)."""
    for action in (actions.random_seed, actions.reset_sliders, actions.animate, actions.gallery):
        action.setEnabled(session.has_generator)
    actions.classify.setEnabled(session.has_classifier and session.current is not None)
    actions.reconstruction.setEnabled(session.has_classifier)
    actions.export.setEnabled(session.current is not None)
