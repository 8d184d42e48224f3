"""File dialogs for opening shapes and exporting them.

Filters are built from the core's extension tuples so the GUI always offers
exactly what ``load_voxels`` / ``export`` accept. The functions return paths and
never read or write files themselves (that happens on the worker).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from voxstudio.core.export import EXPORT_EXTENSIONS
from voxstudio.core.io import MESH_EXTENSIONS, VOXEL_EXTENSIONS

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
    return f"3D shapes ({patterns});;Voxel files ({' '.join('*' + e for e in VOXEL_EXTENSIONS)});;" \
           f"Meshes ({' '.join('*' + e for e in MESH_EXTENSIONS)});;All files (*)"


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
