"""File dialogs for opening shapes and exporting them, and the export options dialog.

Filters are built from the core's extension tuples so the GUI always offers
exactly what ``load_voxels`` / ``export`` accept. The functions return paths and
options and never read or write files themselves (that happens on the worker).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voxstudio.core.export import (
    EXPORT_EXTENSIONS,
    MESH_EXPORT_EXTENSIONS,
    ExportOptions,
    unit_of,
)
from voxstudio.core.grid import bounding_box, largest_component
from voxstudio.core.io import MESH_EXTENSIONS, VOXEL_EXTENSIONS
from voxstudio.data.sizes import default_voxel_size, physical_extent

OPEN_EXTENSIONS: tuple[str, ...] = VOXEL_EXTENSIONS + MESH_EXTENSIONS

_FORMAT_NAMES = {
    ".stl": "STL mesh",
    ".obj": "Wavefront OBJ mesh",
    ".ply": "PLY mesh",
    ".glb": "glTF binary mesh",
    ".binvox": "binvox voxels",
    ".vox": "MagicaVoxel voxels",
    ".npy": "NumPy voxel array",
}


def export_filters() -> list[str]:
    """One Qt name filter per export format, e.g. ``"STL mesh (*.stl)"``."""
    return [f"{_FORMAT_NAMES.get(ext, ext[1:].upper())} (*{ext})" for ext in EXPORT_EXTENSIONS]


def open_filter() -> str:
    patterns = " ".join(f"*{ext}" for ext in OPEN_EXTENSIONS)
    return (f"3D shapes ({patterns});;Voxel files ({' '.join('*' + e for e in VOXEL_EXTENSIONS)});;"
            f"Meshes ({' '.join('*' + e for e in MESH_EXTENSIONS)});;All files (*)")


def extension_for_filter(name_filter: str) -> str | None:
    """``"STL mesh (*.stl)"`` -> ``".stl"``."""
    start = name_filter.rfind("(*")
    end = name_filter.rfind(")")
    if start < 0 or end <= start:
        return None
    ext = name_filter[start + 2:end].strip()
    return ext if ext.startswith(".") else None


def with_export_extension(path: Path, name_filter: str) -> Path:
    """Append the chosen filter's extension when the typed name has no known one."""
    if path.suffix.lower() in EXPORT_EXTENSIONS:
        return path
    ext = extension_for_filter(name_filter) or ".stl"
    return path.with_name(path.name + ext)


def filter_for_extension(ext: str) -> str:
    """The export filter of ``ext`` (the first filter for an unknown one)."""
    filters = export_filters()
    return next((f for f in filters if f.endswith(f"(*{ext.lower()})")), filters[0])


def ask_export_path(parent: QWidget, folder: str, default_name: str) -> Path | None:
    """Save dialog starting in ``folder`` with ``default_name``'s format selected; None when cancelled."""
    filters = export_filters()
    selected = filter_for_extension(Path(default_name).suffix)
    start = str(Path(folder) / default_name)
    path, chosen = QFileDialog.getSaveFileName(parent, "Export shape", start, ";;".join(filters), selected)
    if not path:
        return None
    return with_export_extension(Path(path), chosen or selected)


def ask_open_path(parent: QWidget, folder: str) -> Path | None:
    """Open dialog for any supported voxel or mesh file; None when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, "Open shape", folder, open_filter())
    return Path(path) if path else None


def ask_screenshot_path(parent: QWidget, folder: str, default_name: str = "voxstudio.png") -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save screenshot", str(Path(folder) / default_name), "PNG image (*.png)")
    if not path:
        return None
    result = Path(path)
    return result if result.suffix.lower() == ".png" else result.with_name(result.name + ".png")


# --- export options: physical size, main piece, .vox colours ---------------------------------


class ExportOptionsDialog(QDialog):
    """Options for one export: physical size (mesh formats), keep the main piece, .vox colours.

    The size is asked as the object's height in metres (what a person knows about
    a chair), defaulting to the class's typical size from
    :mod:`voxstudio.data.sizes`; the line below shows the resulting size, the
    metres per voxel and the unit the file will be written in, so nobody has to
    guess whether an STL is in millimetres.
    """

    def __init__(self, parent: QWidget | None, path: Path, occupancy: np.ndarray, class_name: str | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export {path.name}")
        self.setObjectName("exportOptionsDialog")
        self.path = path
        self.suffix = path.suffix.lower()
        self.occupancy = np.asarray(occupancy, dtype=bool)
        self.class_name = class_name
        self._main_piece: np.ndarray | None = None  # computed when first asked for
        self._height_voxels = self._voxel_height(self.occupancy)
        is_mesh = self.suffix in MESH_EXPORT_EXTENSIONS

        self.main_piece_check = QCheckBox("Keep the main piece only")
        self.main_piece_check.setToolTip("Drop every piece but the largest (26-connected): floating "
                                         "fragments would print as loose debris")
        pieces = self._pieces(self.occupancy)
        self.main_piece_check.setText(
            "Keep the main piece only" + (f" (drops {pieces - 1} small piece{'s' if pieces > 2 else ''})"
                                          if pieces > 1 else " (the shape is one piece)"))

        self.height_spin = QDoubleSpinBox()
        self.height_spin.setObjectName("exportHeight")
        self.height_spin.setRange(0.001, 100.0)
        self.height_spin.setDecimals(3)
        self.height_spin.setSingleStep(0.05)
        self.height_spin.setSuffix(" m")
        self.height_spin.setValue(self.default_height())
        self.height_spin.setEnabled(is_mesh and self._height_voxels > 0)
        self.height_spin.setToolTip(
            "Height of the exported object. STL files are written in millimetres (as slicers expect), "
            "GLB, OBJ and PLY in metres (glTF's unit, Blender's default)."
        )
        reset = QPushButton("Typical size")
        reset.setToolTip(f"The typical height of a {class_name or 'piece of furniture'}")
        reset.setEnabled(self.height_spin.isEnabled())
        reset.clicked.connect(lambda: self.height_spin.setValue(self.default_height()))
        size_row = QHBoxLayout()
        size_row.addWidget(self.height_spin, 1)
        size_row.addWidget(reset)
        self.size_label = QLabel()
        self.size_label.setObjectName("exportSizeSummary")
        self.size_label.setWordWrap(True)

        self.colour_combo = QComboBox()
        self.colour_combo.setObjectName("exportVoxColour")
        self.colour_combo.addItem("By height (as in the view)", "height")
        self.colour_combo.addItem("One colour", "solid")
        self.colour_button = QPushButton()
        self.colour_button.setToolTip("Choose the colour of every voxel")
        self._colour = QColor(196, 140, 90)
        self.colour_button.clicked.connect(self._pick_colour)
        colour_row = QHBoxLayout()
        colour_row.addWidget(self.colour_combo, 1)
        colour_row.addWidget(self.colour_button)
        self.colour_combo.currentIndexChanged.connect(self._update)
        self.main_piece_check.toggled.connect(self._on_main_piece)
        for widget in (self.colour_combo, self.colour_button):
            widget.setEnabled(self.suffix == ".vox")

        form = QFormLayout()
        form.addRow("Height:", size_row)
        form.addRow("", self.size_label)
        form.addRow("Pieces:", self.main_piece_check)
        form.addRow(".vox colours:", colour_row)
        note = QLabel(self._format_note(is_mesh))
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.height_spin.valueChanged.connect(self._update)
        self._update()

    @staticmethod
    def _voxel_height(occupancy: np.ndarray) -> int:
        box = bounding_box(occupancy)
        return 0 if box is None else int(box[1][2] - box[0][2])

    @staticmethod
    def _pieces(occupancy: np.ndarray) -> int:
        from scipy import ndimage

        return int(ndimage.label(occupancy, structure=np.ones((3, 3, 3), dtype=bool))[1])

    def _format_note(self, is_mesh: bool) -> str:
        if not is_mesh:
            return f"{self.suffix} stores voxels, not a size; the size applies to STL, GLB, OBJ and PLY."
        return ("Blocky meshes are closed and manifold (watertight for slicers), with coplanar faces merged. "
                f"{self.suffix[1:].upper()} is written in {'millimetres' if unit_of(self.suffix) == 'mm' else 'metres'}, "
                "z up for STL/PLY, y up for GLB/OBJ.")

    def exported_shape(self) -> np.ndarray:
        """What will be written: the main piece when asked for, else the whole shape."""
        if not self.main_piece_check.isChecked():
            return self.occupancy
        if self._main_piece is None:
            self._main_piece = largest_component(self.occupancy)
        return self._main_piece

    def _on_main_piece(self, _on: bool) -> None:
        """The height in the field stays; the voxels it spans (and so the voxel size) may change."""
        self._height_voxels = self._voxel_height(self.exported_shape())
        self._update()

    def default_height(self) -> float:
        """The class's typical size for this shape, as a height in metres."""
        if self._height_voxels == 0:
            return 1.0
        return round(default_voxel_size(self.class_name, self.exported_shape()) * self._height_voxels, 3)

    def voxel_size(self) -> float | None:
        """Metres per voxel from the height field (None for voxel formats or an empty shape)."""
        if not self.height_spin.isEnabled() or self._height_voxels == 0:
            return None
        return float(self.height_spin.value()) / self._height_voxels

    def vox_colour(self) -> tuple[int, int, int] | None:
        if self.colour_combo.currentData() == "height":
            return None
        return (self._colour.red(), self._colour.green(), self._colour.blue())

    def set_colour(self, colour: QColor) -> None:
        self._colour = QColor(colour)
        self._update()

    def _pick_colour(self) -> None:
        chosen = QColorDialog.getColor(self._colour, self, "Voxel colour")
        if chosen.isValid():
            self.colour_combo.setCurrentIndex(1)
            self.set_colour(chosen)

    def _update(self) -> None:
        self.colour_button.setText(self._colour.name())
        self.colour_button.setStyleSheet(f"background: {self._colour.name()};")
        size = self.voxel_size()
        if size is None:
            self.size_label.setText("")
            return
        w, d, h = physical_extent(self.exported_shape(), size)
        unit = unit_of(self.suffix)
        scale = 1000.0 if unit == "mm" else 1.0
        self.size_label.setText(
            f"{w:.2f} \u00d7 {d:.2f} \u00d7 {h:.2f} m \u00b7 {size * 1000:.1f} mm per voxel \u00b7 "
            f"file units: {unit} ({w * scale:.4g} \u00d7 {d * scale:.4g} \u00d7 {h * scale:.4g})"
        )

    def options(self) -> ExportOptions:
        """What the dialog says, as core export options."""
        return ExportOptions(voxel_size=self.voxel_size(), keep_main_piece=self.main_piece_check.isChecked(),
                             vox_colour=self.vox_colour())


def ask_export_options(parent: QWidget, path: Path, occupancy: np.ndarray, class_name: str | None) -> ExportOptions | None:
    """Show :class:`ExportOptionsDialog`; the options, or None when cancelled."""
    dialog = ExportOptionsDialog(parent, path, occupancy, class_name)
    return dialog.options() if dialog.exec() == QDialog.DialogCode.Accepted else None
