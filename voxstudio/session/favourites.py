"""Favourite shape states in a portable JSON file, and the "last state" restored at start.

Why JSON files (and not QSettings): favourites are meant to travel -- exported,
mailed to a colleague, imported on another machine -- so they are a small,
versioned, human-readable document::

    {"format": "voxstudio-favourites", "version": 1,
     "favourites": [{"name": "tall chair", "state": {"class": "chair", "seed": 42, ...}}]}

The app keeps its own copy (``favourites.json``) and the last shown state
(``last_state.json``) in its settings folder; this module only takes a folder,
so it stays Qt-free and testable. Every write is atomic (``atomic_write``), every
read bounded (``read_json``); a bad file raises the codebase's one error for bad
files, ``VoxelFileError(path, problem)``, with the field that is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voxstudio.core.atomic import atomic_write
from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io.common import read_json
from voxstudio.session.shape_state import ShapeState, StateFormatError

__all__ = [
    "FAVOURITES_FILE", "FAVOURITES_FORMAT", "FORMAT_VERSION", "LAST_STATE_FILE", "LAST_STATE_FORMAT",
    "Favourite", "Favourites", "load_favourites", "load_last_state", "save_favourites", "save_last_state",
]

FAVOURITES_FORMAT = "voxstudio-favourites"
LAST_STATE_FORMAT = "voxstudio-last-state"
FORMAT_VERSION = 1
FAVOURITES_FILE = "favourites.json"
LAST_STATE_FILE = "last_state.json"
MAX_FAVOURITES = 10_000
MAX_FILE_BYTES = 16 * 1024 * 1024  # ~10k favourites with 128-float latents fit easily


@dataclass(frozen=True)
class Favourite:
    name: str
    state: ShapeState


class Favourites:
    """An ordered list of named states; one entry per distinct state."""

    def __init__(self, items: Iterable[Favourite] = ()) -> None:
        self._items: list[Favourite] = []
        for item in items:
            self.add(item.state, item.name)

    def add(self, state: ShapeState, name: str | None = None) -> bool:
        """Append ``state`` (named ``name``, default its description); False if already there."""
        if self.contains(state):
            return False
        if len(self._items) >= MAX_FAVOURITES:
            raise ValueError(f"at most {MAX_FAVOURITES} favourites")
        self._items.append(Favourite(name or state.describe(), state))
        return True

    def merge(self, other: Iterable[Favourite]) -> int:
        """Add the favourites of ``other`` that are new here (import); returns how many."""
        return sum(self.add(item.state, item.name) for item in other)

    def remove(self, state: ShapeState) -> bool:
        before = len(self._items)
        self._items = [item for item in self._items if item.state != state]
        return len(self._items) != before

    def contains(self, state: ShapeState) -> bool:
        return any(item.state == state for item in self._items)

    def clear(self) -> None:
        self._items.clear()

    def __iter__(self) -> Iterator[Favourite]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> Favourite:
        return self._items[index]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FAVOURITES_FORMAT,
            "version": FORMAT_VERSION,
            "favourites": [{"name": item.name, "state": item.state.to_json()} for item in self._items],
        }


# -- files ------------------------------------------------------------------------------------
def _write_json(path: Path, document: dict[str, Any]) -> Path:
    data = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write(data)
    except OSError as error:
        raise VoxelFileError(path, f"cannot write file ({error.strerror or error})") from None
    return path


def _read_document(path: Path, expected_format: str) -> dict[str, Any]:
    """The parsed file, its format and version checked (VoxelFileError otherwise)."""
    document = read_json(path, max_bytes=MAX_FILE_BYTES, what="JSON")
    if not isinstance(document, dict):
        raise VoxelFileError(path, f"not a {expected_format} file (the top level is not an object)")
    found = document.get("format")
    if found != expected_format:
        raise VoxelFileError(path, f"not a {expected_format} file (format is {found!r})")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise VoxelFileError(path, f"bad format version {version!r}")
    if version > FORMAT_VERSION:
        raise VoxelFileError(path, f"format version {version} is newer than this VoxStudio reads "
                                   f"({FORMAT_VERSION}); update VoxStudio")
    return document


def save_favourites(path: str | Path, favourites: Favourites) -> Path:
    """Write the favourites file atomically (an export, or the app's own copy)."""
    return _write_json(Path(path), favourites.to_json())


def load_favourites(path: str | Path) -> Favourites:
    """Read a favourites file; ``VoxelFileError`` names the file and the bad entry."""
    path = Path(path)
    document = _read_document(path, FAVOURITES_FORMAT)
    entries = document.get("favourites")
    if not isinstance(entries, list):
        raise VoxelFileError(path, "'favourites' must be a list")
    if len(entries) > MAX_FAVOURITES:
        raise VoxelFileError(path, f"{len(entries)} favourites, at most {MAX_FAVOURITES} allowed")
    favourites = Favourites()
    for index, entry in enumerate(entries):
        where = f"favourites[{index}]"
        if not isinstance(entry, dict):
            raise VoxelFileError(path, f"{where}: expected an object with 'name' and 'state'")
        name = entry.get("name", "")
        if not isinstance(name, str) or len(name) > 1000:
            raise VoxelFileError(path, f"{where}.name: expected text of at most 1000 characters")
        try:
            state = ShapeState.from_json(entry.get("state"), f"{where}.state")
        except StateFormatError as error:
            raise VoxelFileError(path, str(error)) from None
        favourites.add(state, name or None)
    return favourites


def save_last_state(folder: str | Path, state: ShapeState) -> Path:
    """Remember ``state`` as ``folder/last_state.json`` (atomically)."""
    document = {"format": LAST_STATE_FORMAT, "version": FORMAT_VERSION, "state": state.to_json()}
    return _write_json(Path(folder) / LAST_STATE_FILE, document)


def load_last_state(folder: str | Path) -> ShapeState | None:
    """The remembered state, or None when there is none yet.

    A damaged file raises ``VoxelFileError``; the app reports it and starts with
    the default shape instead.
    """
    path = Path(folder) / LAST_STATE_FILE
    if not path.exists() and not path.is_symlink():
        return None
    document = _read_document(path, LAST_STATE_FORMAT)
    try:
        return ShapeState.from_json(document.get("state"), "state")
    except StateFormatError as error:
        raise VoxelFileError(path, str(error)) from None
