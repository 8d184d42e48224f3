"""Typed access to the persisted user settings (QSettings).

One small wrapper so that keys, types and defaults live in one place, and so that
tests can hand the window an isolated ``QSettings`` (an INI file in a temporary
folder) instead of the user's real one.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "VoxStudio"
APPLICATION = "VoxStudio"

SURFACE_MODES = ("blocky", "smooth")
COLOUR_MODES = ("height", "material")
DEFAULT_MATERIAL = "#c8a27a"


class AppSettings:
    """Persisted preferences: last folder, window geometry, view options."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANISATION, APPLICATION)

    @classmethod
    def from_file(cls, path: str | Path) -> AppSettings:
        """Settings kept in an INI file (tests, portable installs)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    # -- helpers ---------------------------------------------------------------
    def _get_str(self, key: str, default: str, allowed: tuple[str, ...] | None = None) -> str:
        value = self.store.value(key, default)
        value = str(value) if value is not None else default
        if allowed is not None and value not in allowed:
            return default
        return value

    def _get_bool(self, key: str, default: bool) -> bool:
        value = self.store.value(key, default)
        if isinstance(value, str):  # INI files store booleans as text
            return value.lower() in ("true", "1", "yes")
        return bool(value)

    def sync(self) -> None:
        self.store.sync()

    # -- folders ---------------------------------------------------------------
    @property
    def last_dir(self) -> str:
        """Folder of the last opened / exported file ("" = home)."""
        folder = self._get_str("paths/last_dir", "")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    @last_dir.setter
    def last_dir(self, folder: str | Path) -> None:
        self.store.setValue("paths/last_dir", str(folder))

    @property
    def last_export_ext(self) -> str:
        """Extension of the last export (the export dialog starts with that format)."""
        ext = self._get_str("paths/last_export_ext", ".stl")
        return ext if ext.startswith(".") else ".stl"

    @last_export_ext.setter
    def last_export_ext(self, ext: str) -> None:
        self.store.setValue("paths/last_export_ext", ext.lower())

    # -- window ----------------------------------------------------------------
    @property
    def geometry(self) -> QByteArray | None:
        value = self.store.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @geometry.setter
    def geometry(self, value: QByteArray) -> None:
        self.store.setValue("window/geometry", value)

    @property
    def window_state(self) -> QByteArray | None:
        value = self.store.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self.store.setValue("window/state", value)

    # -- view ------------------------------------------------------------------
    @property
    def surface(self) -> str:
        return self._get_str("view/surface", "blocky", SURFACE_MODES)

    @surface.setter
    def surface(self, mode: str) -> None:
        if mode not in SURFACE_MODES:
            raise ValueError(f"surface mode must be one of {SURFACE_MODES}, not {mode!r}")
        self.store.setValue("view/surface", mode)

    @property
    def colour_mode(self) -> str:
        return self._get_str("view/colour_mode", "height", COLOUR_MODES)

    @colour_mode.setter
    def colour_mode(self, mode: str) -> None:
        if mode not in COLOUR_MODES:
            raise ValueError(f"colour mode must be one of {COLOUR_MODES}, not {mode!r}")
        self.store.setValue("view/colour_mode", mode)

    @property
    def material_colour(self) -> str:
        return self._get_str("view/material_colour", DEFAULT_MATERIAL)

    @material_colour.setter
    def material_colour(self, colour: str) -> None:
        self.store.setValue("view/material_colour", colour)

    @property
    def clean_fragments(self) -> bool:
        return self._get_bool("view/clean_fragments", False)

    @clean_fragments.setter
    def clean_fragments(self, on: bool) -> None:
        self.store.setValue("view/clean_fragments", bool(on))

    @property
    def show_bounds(self) -> bool:
        return self._get_bool("view/show_bounds", True)

    @show_bounds.setter
    def show_bounds(self, on: bool) -> None:
        self.store.setValue("view/show_bounds", bool(on))
