"""Help > Keyboard shortcuts: a table built from the window's actions, plus the mouse.

The table comes from :func:`voxstudio.gui.actions.shortcut_rows`, so it lists
exactly the bindings the window has (new actions appear without editing this file).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from voxstudio.gui.actions import WindowActions, shortcut_rows
from voxstudio.gui.sculpt import REDO_KEYS, SCULPT_SHORTCUT, UNDO_KEYS

#: Viewport mouse and key controls that are not QActions (VTK's interactor).
MOUSE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Orbit", "Left drag", "Turn the camera around the shape"),
    ("Pan", "Middle drag / Shift + left drag", "Move the camera sideways"),
    ("Zoom", "Wheel / right drag", "Move the camera closer or further"),
    ("Nudge the camera", "Arrow keys (in the 3D view)", "Small camera turns"),
    ("Sculpt", SCULPT_SHORTCUT, "Sculpt mode: add and remove voxels with the mouse, then Snap to the generator"),
    ("Sculpt: add / remove a voxel", "Click a face / Shift + click", "In sculpt mode (drag still orbits)"),
    ("Sculpt: undo / redo a voxel edit", f"{UNDO_KEYS} / {REDO_KEYS}", "In sculpt mode; outside it they undo shapes"),
)


def docs_url() -> QUrl:
    """The README next to the application (source checkout or bundle), else the docs folder."""
    from voxstudio.paths import app_root

    for candidate in (app_root() / "README.md", app_root() / "docs"):
        if candidate.exists():
            return QUrl.fromLocalFile(str(candidate))
    return QUrl.fromLocalFile(str(Path(app_root())))


class ShortcutsDialog(QDialog):
    """Every shortcut of the window's actions, then the 3D view's mouse controls."""

    def __init__(self, actions: WindowActions, parent: QWidget | None = None,
                 extra: Sequence[QAction] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcutsDialog")
        # ``extra``: actions a controller owns (history: Undo / Redo / Add to favourites)
        extra_rows = [(item.text().replace("&", "").rstrip("\u2026"),
                       item.shortcut().toString(QKeySequence.SequenceFormat.NativeText), item.statusTip())
                      for item in extra if not item.shortcut().isEmpty()]
        rows = shortcut_rows(actions) + extra_rows + list(MOUSE_ROWS)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Command", "Shortcut", "What it does"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        for row, (command, keys, tip) in enumerate(rows):
            for column, text in enumerate((command, keys, tip)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        link = QLabel(f'More in the <a href="{docs_url().toString()}">documentation (README)</a>: exporting '
                      "for 3D printing and Blender, the models, the command line.")
        link.setObjectName("docsLink")
        link.setOpenExternalLinks(True)
        link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(link)
        layout.addWidget(buttons)
        row_height = self.fontMetrics().height() + 8
        self.table.setMinimumHeight(row_height * (len(rows) + 1) + 6)  # every row without scrolling
        self.resize(760, row_height * (len(rows) + 1) + 110)

    def rows(self) -> list[tuple[str, str]]:
        """(command, shortcut) as shown."""
        return [(self._text(r, 0), self._text(r, 1)) for r in range(self.table.rowCount())]

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return "" if item is None else item.text()
