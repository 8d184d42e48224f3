"""The engine worker thread and its latest-wins request queue.

Why this shape: slider drags and animations produce far more requests than the
engine can serve. Queuing them would make the view lag ever further behind the
hand, so each *channel* (main shape, reconstruction, classification, file) has a
single pending slot guarded by a lock: a new request overwrites the stale one, and
the worker takes the newest when it becomes free. One-shot jobs (engine load,
exports) get unique channels so they are never dropped.

The engine is built on the worker thread (``LoadEngineRequest``) and stays
resident there; the GUI thread never runs torch, file parsing or meshing. Results
(grids plus ready-made PolyData) come back through a queued signal.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
import traceback
from collections import Counter
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from voxstudio.gui.requests import (
    ClassifyOutcome,
    ClassifyRequest,
    EngineInfo,
    ExportOutcome,
    ExportRequest,
    Failure,
    GenerateParams,
    LoadEngineRequest,
    LoadFileRequest,
    ShapeRequest,
    ShapeResult,
)
from voxstudio.gui.file_loader import shared_loader
from voxstudio.gui.surface import grid_to_polydata

SWITCH_INTERVAL_S = 0.001
CHANNEL_MAIN = "main"
CHANNEL_RECON = "recon"
CHANNEL_CLASSIFY = "classify"
CHANNEL_FILE = "file"


class PendingRequests:
    """Latest-wins slots keyed by channel, guarded by one lock.

    ``put`` overwrites a channel's pending request (counting it as dropped) and
    tells the caller whether the worker must be woken; ``take`` hands the worker
    the oldest-channel request, and clears the "scheduled" flag atomically when
    nothing is left, so a wake-up is never lost and never duplicated.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, Any] = {}
        self._scheduled = False
        self.submitted = 0
        self.dropped = 0

    def put(self, channel: str, request: Any) -> bool:
        """Store ``request`` as the newest for ``channel``; True if a wake-up is needed."""
        with self._lock:
            self.submitted += 1
            if channel in self._slots:
                self.dropped += 1
            self._slots[channel] = request
            if self._scheduled:
                return False
            self._scheduled = True
            return True

    def take(self) -> tuple[str, Any] | None:
        """Next pending ``(channel, request)``, or None (and unschedule) when empty."""
        with self._lock:
            if not self._slots:
                self._scheduled = False
                return None
            channel = next(iter(self._slots))
            return channel, self._slots.pop(channel)

    def discard(self, channel: str | None = None) -> None:
        """Forget pending work (one channel, or all of it at shutdown)."""
        with self._lock:
            if channel is None:
                self._slots.clear()
            else:
                self._slots.pop(channel, None)

    def pending(self) -> int:
        with self._lock:
            return len(self._slots)


def describe_device(device: Any) -> str:
    """"CPU" or "CUDA: <name>" for the status bar (runs on the worker)."""
    kind = getattr(device, "type", str(device))
    if kind == "cuda":
        try:
            import torch

            return f"CUDA: {torch.cuda.get_device_name(device)}"
        except Exception:  # noqa: BLE001 - a label must never break start-up
            return "CUDA"
    return str(kind).upper()


def describe_model(engine: Any) -> str:
    parts = []
    if getattr(engine, "has_generator", False):
        parts.append("GAN")
    if getattr(engine, "has_classifier", False):
        parts.append("CapsNet")
    name = " + ".join(parts) if parts else "no networks"
    res = getattr(engine, "resolution", "?")
    origin = getattr(engine, "origin", None) or getattr(engine, "source", None)
    text = f"{name} {res}\u00b3"
    return f"{text} ({origin})" if isinstance(origin, str) and origin else text


class EngineWorker(QObject):
    """Lives on the worker thread; owns the engine and serves ``PendingRequests``."""

    finished = Signal(object)  # ShapeResult | ClassifyOutcome | ExportOutcome | EngineInfo
    failed = Signal(object)  # Failure

    def __init__(self, pending: PendingRequests) -> None:
        super().__init__()
        self._pending = pending
        self.engine: Any = None
        self.stats: Counter[str] = Counter()
        self._latent_cache: dict[int, np.ndarray] = {}
        self._last_generated: tuple[GenerateParams, np.ndarray] | None = None
        self._stopping = False
        self.files = shared_loader()  # parses in a child process (GIL- and crash-isolated)

    def stop(self) -> None:
        self._stopping = True

    @property
    def stopping(self) -> bool:
        """True once shutdown began: long jobs (latent inversion) poll it to return early."""
        return self._stopping

    @Slot()
    def drain(self) -> None:
        """Serve requests until no slot is pending (runs on the worker thread)."""
        while not self._stopping:
            item = self._pending.take()
            if item is None:
                return
            _channel, request = item
            try:
                result = self._serve(request)
            except Exception as error:  # noqa: BLE001 - every failure is reported, none kills the thread
                self.stats["failed"] += 1
                self.failed.emit(Failure(request, _user_message(error), _failure_kind(error)))
            else:
                if result is not None:
                    self.finished.emit(result)

    # -- request handlers (worker thread) -----------------------------------------
    def _serve(self, request: Any) -> Any:
        serve = getattr(request, "serve", None)
        if callable(serve):  # feature requests bring their handler (pose explorer, inversion)
            return serve(self)
        if isinstance(request, ShapeRequest):
            return self._shape(request)
        if isinstance(request, ClassifyRequest):
            return self._classify(request)
        if isinstance(request, LoadFileRequest):
            return self._load_file(request)
        if isinstance(request, ExportRequest):
            return self._export(request)
        if isinstance(request, LoadEngineRequest):
            return self._load_engine(request)
        raise TypeError(f"unknown request {type(request).__name__}")

    def _load_engine(self, request: LoadEngineRequest) -> EngineInfo:
        start = time.perf_counter()
        engine = request.factory()
        self.engine = engine
        _leave_a_core_for_rendering(engine)
        self._latent_cache.clear()
        self._last_generated = None
        self.stats["engine"] += 1
        self.files.warm_up()  # the worker is free now: start the file-reader process
        directions = getattr(engine, "directions", None)
        return EngineInfo(
            classes=tuple(engine.classes),
            resolution=int(engine.resolution),
            latent_dim=int(getattr(engine, "latent_dim", 0)),
            n_directions=0 if directions is None else int(len(directions)),
            device_text=describe_device(getattr(engine, "device", "cpu")),
            model_text=describe_model(engine),
            has_generator=bool(getattr(engine, "has_generator", True)),
            has_classifier=bool(getattr(engine, "has_classifier", True)),
            load_ms=(time.perf_counter() - start) * 1000.0,
        )

    def _require_engine(self) -> Any:
        if self.engine is None:
            raise RuntimeError("The model is not loaded.")
        return self.engine

    def _latent(self, seed: int) -> np.ndarray:
        z = self._latent_cache.get(seed)
        if z is None:
            if len(self._latent_cache) > 64:
                self._latent_cache.clear()
            z = np.asarray(self._require_engine().latent_for_seed(seed), dtype=np.float32)
            self._latent_cache[seed] = z
        return z

    def _end_latent(self, seed: int, loaded: tuple[float, ...] | None) -> np.ndarray:
        """An interpolation end: a loaded shape's latent ("Open in generator") or the seed's."""
        return self._latent(seed) if loaded is None else np.asarray(loaded, dtype=np.float32)

    def _generate(self, params: GenerateParams) -> np.ndarray:
        if self._last_generated is not None and self._last_generated[0] == params:
            return self._last_generated[1]  # only the view changed: re-mesh, don't regenerate
        engine = self._require_engine()
        base = self._end_latent(params.seed_a, params.latent_a)
        if params.t > 0.0:
            other = self._end_latent(params.seed_b, params.latent_b)
            if not np.array_equal(base, other):
                from voxstudio.models.latent import slerp

                base = slerp(base, other, float(params.t))
        z = base
        if params.sliders and any(v != 0.0 for v in params.sliders):
            z = engine.latent_with_sliders(base, np.asarray(params.sliders, dtype=np.float32))
        grid = np.asarray(engine.generate(z, int(params.class_id)), dtype=np.float32)
        self.stats["generate"] += 1
        self._last_generated = (params, grid)
        return grid

    def _shape(self, request: ShapeRequest) -> ShapeResult:
        generate_ms = 0.0
        if request.generate is not None:
            start = time.perf_counter()
            grid = self._generate(request.generate)
            generate_ms = (time.perf_counter() - start) * 1000.0
        elif request.grid is not None:
            grid = request.grid
        else:
            raise ValueError("shape request without a grid or generation parameters")
        start = time.perf_counter()
        mesh = grid_to_polydata(grid, request.view, request.frame_resolution)
        self.stats["mesh"] += 1
        return ShapeResult(
            seq=request.seq,
            target=request.target,
            grid=grid,
            mesh=mesh,
            view=request.view,
            generate=request.generate,
            label=request.label,
            generate_ms=generate_ms,
            mesh_ms=(time.perf_counter() - start) * 1000.0,
            source_path=request.source_path,
            source_note=request.source_note,
        )

    def _classify(self, request: ClassifyRequest) -> ClassifyOutcome:
        engine = self._require_engine()
        start = time.perf_counter()
        result = engine.classify(request.grid)
        classify_ms = (time.perf_counter() - start) * 1000.0
        self.stats["classify"] += 1
        recon = np.asarray(result.reconstruction, dtype=np.float32)
        recon_shape = self._shape(ShapeRequest(request.seq, "recon", request.view, grid=recon, label="reconstruction",
                                               frame_resolution=int(request.grid.shape[0])))
        return ClassifyOutcome(
            seq=request.seq,
            classes=tuple(engine.classes),
            probabilities=np.asarray(result.probabilities, dtype=np.float32),
            predicted=int(result.predicted),
            reconstruction=recon_shape,
            classify_ms=classify_ms,
            poses=None if getattr(result, "poses", None) is None else np.asarray(result.poses),
            presence=float(getattr(result, "presence", 1.0)),
            none_of_these=bool(getattr(result, "none_of_these", False)),
        )

    def _load_file(self, request: LoadFileRequest) -> ShapeResult:
        start = time.perf_counter()
        prepared = self.files.load(request.path, request.resolution, request.up)
        if prepared.candidates:  # a bare .binvox: the classifier picks the upright pose
            engine = self.engine
            if engine is not None and getattr(engine, "has_classifier", False):
                from voxstudio.models.file_classifier import settle_pose

                settle_pose(prepared, engine.presence)
            else:
                prepared.choose(0, "no classifier loaded to decide")
        load_ms = (time.perf_counter() - start) * 1000.0
        self.stats["file"] += 1
        shape = self._shape(ShapeRequest(request.seq, "main", request.view, grid=prepared.grid,
                                         label=request.path.name, source_path=request.path,
                                         source_note=prepared.describe()))
        shape.generate_ms = load_ms
        return shape

    def _export(self, request: ExportRequest) -> ExportOutcome:
        from voxstudio.core.export import export

        start = time.perf_counter()
        path = export(request.path, request.grid, surface=request.surface, threshold=request.threshold,
                      options=request.options)
        self.stats["export"] += 1
        return ExportOutcome(path=path, ms=(time.perf_counter() - start) * 1000.0)


def _leave_a_core_for_rendering(engine: Any) -> None:
    """On CPU, give torch all cores but one: the GUI thread renders on the other.

    Measured on 2 cores (bench_gui.py): with torch on both, generation and the
    software-GL frame fight for them and a slider drag fell from ~23 to ~6 frames/s.
    ``VOXSTUDIO_TORCH_THREADS`` overrides the choice (benchmarks, tuning).
    """
    if getattr(getattr(engine, "device", None), "type", "cpu") != "cpu":
        return
    import torch

    torch.set_num_threads(torch_threads())


def torch_threads() -> int:
    """Threads for CPU inference: ``$VOXSTUDIO_TORCH_THREADS`` or all cores but one."""
    override = os.environ.get("VOXSTUDIO_TORCH_THREADS", "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    return max(1, (os.cpu_count() or 2) - 1)


def _failure_kind(error: BaseException) -> str:
    return "weights" if type(error).__name__ == "WeightsError" else "error"


def _user_message(error: BaseException) -> str:
    """The message to show: loaders' errors are written for users; others get their type."""
    from voxstudio.core.errors import VoxelFileError

    if isinstance(error, VoxelFileError) or _failure_kind(error) == "weights":
        return str(error)
    if isinstance(error, MemoryError):
        return "Not enough memory for this operation (is the file too large?)."
    text = str(error) or type(error).__name__
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    return text if text in detail and len(detail) < 400 else detail[:400]


# Worker threads that outlived shutdown() (see EngineClient.shutdown): kept referenced.
_PARKED_THREADS: list[tuple[QThread, EngineWorker]] = []


class EngineClient(QObject):
    """GUI-side handle of the worker: submit requests, receive results as signals.

    ``submit`` never blocks: it overwrites the channel's pending slot and, if the
    worker is idle, wakes it with a queued signal.
    """

    finished = Signal(object)
    failed = Signal(object)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pending = PendingRequests()
        self._thread = QThread()
        self._thread.setObjectName("voxstudio-engine")
        self.worker = EngineWorker(self.pending)
        self.worker.moveToThread(self._thread)
        self._wake.connect(self.worker.drain)  # queued: worker lives on the other thread
        self.worker.finished.connect(self.finished)
        self.worker.failed.connect(self.failed)
        self._unique = itertools.count()
        # Each torch op releases the GIL and must win it back to go on; with the
        # default 5 ms switch interval a busy GUI thread made a 3 ms generation take
        # ~30 ms (GIL convoy). 1 ms hands it back promptly.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self._thread.start()
        app = QCoreApplication.instance()
        if app is not None:  # never leave a running QThread behind at exit
            app.aboutToQuit.connect(self.shutdown)

    @property
    def stats(self) -> Counter[str]:
        """Counts of work actually done by the worker (generate, mesh, classify...)."""
        return self.worker.stats

    def submit(self, channel: str, request: Any) -> None:
        """Latest-wins submit on ``channel``."""
        if self.pending.put(channel, request):
            self._wake.emit()

    def submit_unique(self, prefix: str, request: Any) -> None:
        """Submit a request that must not be coalesced (engine load, export)."""
        self.submit(f"{prefix}:{next(self._unique)}", request)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Drop pending work, let the current request finish, stop the thread.

        A request still running after ``timeout_ms`` keeps its thread alive (the
        thread object is parked, not destroyed: destroying a running QThread aborts
        the process); it ends on its own when the request returns.
        """
        if not self._thread.isRunning():
            return True
        self.pending.discard()
        self.worker.stop()
        self._thread.quit()
        if self._thread.wait(timeout_ms):
            return True
        _PARKED_THREADS.append((self._thread, self.worker))
        return False
