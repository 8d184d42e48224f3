"""Parse user files in a separate process (Qt-free; used by the engine worker).

Why a process and not just the worker thread: mesh parsers spend long stretches
inside single C calls that hold the GIL (splitting a 10 MB text buffer, numpy
conversions), which would stall the GUI thread for hundreds of milliseconds even
though the work is "in the background"; and a parser that crashes or exhausts
memory on a hostile file must not take the application down. A one-process
``spawn`` pool, started on first use, gives both: the worker thread just waits on
the future, and a dead child only costs a message and a restart.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io.prepare import PreparedShape


def _load_in_child(path: str, resolution: int, up: str = "auto") -> tuple[str, object]:
    """Runs in the child: ``("ok", PreparedShape)`` or ``("error", message)``.

    The file goes through the classification load path
    (:func:`voxstudio.core.io.prepare.prepare_shape`): oriented by its
    convention, framed like the training data.

    Errors travel as text because exceptions with custom ``__init__`` signatures
    (like ``VoxelFileError``) do not survive pickling back to the parent.
    """
    try:
        from voxstudio.core.io.prepare import prepare_shape

        return "ok", prepare_shape(path, resolution, up)
    except VoxelFileError as error:
        return "error", error.problem
    except MemoryError:
        return "error", "not enough memory to read this file (is it too large?)"
    except Exception as error:  # noqa: BLE001 - any parser failure is a bad file for the user
        return "error", f"cannot read file ({type(error).__name__}: {error})"


def _warm() -> bool:
    """Import the readers in the child ahead of the first real file."""
    import voxstudio.core.io.prepare  # noqa: F401

    return True


class FileLoader:
    """``load(path, resolution)`` in a child process, with an in-process fallback."""

    def __init__(self, use_process: bool = True) -> None:
        self.use_process = use_process
        self._pool: ProcessPoolExecutor | None = None
        self._child_works = False  # a child has answered at least once

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def load(self, path: str | Path, resolution: int, up: str = "auto") -> PreparedShape:
        """``path`` framed for the networks at ``resolution`` (and what was done); raises ``VoxelFileError``."""
        path = Path(path)
        if not self.use_process:
            status, payload = _load_in_child(str(path), resolution, up)
        else:
            try:
                status, payload = self._ensure_pool().submit(_load_in_child, str(path), resolution, up).result()
                self._child_works = True
            except (BrokenProcessPool, OSError) as error:
                self.shutdown()
                if self._child_works:
                    raise VoxelFileError(path, "the file reader crashed on this file") from None
                # The child never worked (no process support here): read in-process from now on.
                logging.getLogger(__name__).warning("file reader process unavailable (%s); reading in-process", error)
                self.use_process = False
                status, payload = _load_in_child(str(path), resolution, up)
        if status != "ok":
            raise VoxelFileError(path, str(payload))
        return payload  # type: ignore[return-value]

    def warm_up(self) -> None:
        """Start the child now without waiting (imports take a moment)."""
        if self.use_process:
            try:
                self._ensure_pool().submit(_warm)
            except (BrokenProcessPool, OSError, RuntimeError):
                self.shutdown()  # load() decides what to do at the first real file

    def shutdown(self, terminate: bool = False) -> None:
        """Stop the child. ``terminate``: kill it now instead of letting it finish (used at quit:
        the pool's exit handler otherwise joins the child while the interpreter shuts down)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values()) if terminate else []
        for process in processes:
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(1.0)


def shutdown_shared_loader() -> None:
    """At quit: kill the shared reader child if one was started (it holds no state)."""
    if _shared is not None:
        _shared.shutdown(terminate=True)


_shared: FileLoader | None = None


def shared_loader() -> FileLoader:
    """The process-wide loader: one child process serves every window."""
    global _shared
    if _shared is None:
        _shared = FileLoader()
    return _shared
