"""The one error type every loader and exporter raises for bad input.

Callers (CLI, GUI) catch exactly this type and show its message; anything else
escaping a loader is a bug.
"""

from __future__ import annotations

from pathlib import Path


class VoxelFileError(ValueError):
    """A voxel or mesh file could not be read or written.

    The message always names the file and the problem, so it can be shown to a
    user as-is.
    """

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")
