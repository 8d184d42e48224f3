"""Every error type whose message is meant for a user, in one module.

pyvista's ``core/errors.py`` is the pattern: one base class, :class:`VoxStudioError`,
so a caller (CLI, GUI worker, self-test) can catch "a problem the user can fix"
by type and show ``str(error)`` as-is, while anything else escaping is a bug and
gets a traceback. The module imports nothing heavy (no torch, no Qt), so the GUI
and the CLI can catch :class:`WeightsError` without importing the models.

Each class *also* derives from the builtin it has always been (``ValueError`` for
bad input, ``RuntimeError`` for a run that cannot go on), so existing
``except ValueError`` / ``except RuntimeError`` callers behave as before. The
classes stay importable from their old homes (``voxstudio.models.weights``,
``voxstudio.models.device``, ``voxstudio.training.checkpoint``,
``voxstudio.training.loop``, ``voxstudio.selftest``) by re-export.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CheckpointError",
    "DeviceError",
    "FileError",
    "IncompleteWeightsError",
    "SelfTestError",
    "TrainingError",
    "VoxStudioError",
    "VoxelFileError",
    "WeightsError",
]


class VoxStudioError(Exception):
    """Base of every user-facing error: the message can be shown as-is."""


class FileError(VoxStudioError):
    """A problem with one named file (or an unnamed stream when ``path`` is None).

    The message is ``"<path>: <problem>"``; ``path`` and ``problem`` stay
    available separately for callers that lay them out themselves.
    """

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


class VoxelFileError(FileError, ValueError):
    """A voxel or mesh file could not be read or written.

    The one error every loader and exporter raises for bad input; anything else
    escaping a loader is a bug.
    """


class WeightsError(FileError, RuntimeError):
    """Weights are missing, corrupt, or do not fit the network."""


class DeviceError(VoxStudioError, ValueError):
    """The requested device does not exist on this machine or is not understood."""


class CheckpointError(VoxStudioError, RuntimeError):
    """A checkpoint cannot be used to resume this run; the message says why."""


class TrainingError(VoxStudioError, RuntimeError):
    """The run cannot start or resume as asked (bad batch size, foreign checkpoint...)."""


class SelfTestError(VoxStudioError, RuntimeError):
    """A self-test step failed; the message says which step and why."""


class IncompleteWeightsError(SelfTestError):
    """The weights folder lacks the generator or the classifier."""
