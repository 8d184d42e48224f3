"""The engine worker thread and its latest-wins request queue.

Why this shape: slider drags and animations produce far more requests than the
engine can serve. Queuing them would make the view lag ever further behind the
hand, so each *channel* (main shape, reconstruction, classification, file) has a
single pending slot guarded by a lock: a new request overwrites the stale one, and
the worker takes the newest when it becomes free. One-shot jobs (engine load,
exports) get unique channels so they are never dropped.

The engine is built on the worker thread (``LoadEngineRequest``) and stays
resident there; the GUI thread never runs torch, file parsing or meshing. Results
(grids plus ready-made PolyData) come back through a queued signal, and the
client routes each to one typed signal per result kind (a dispatch table, not an
``isinstance`` chain). The worker sees the engine through the typed
``InferenceEngine`` Protocol (``voxstudio.models.engine_protocol``).
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, SignalInstance, Slot

from voxstudio.core.cleanup import clean_fragments
from voxstudio.core.errors import VoxStudioError, WeightsError
from voxstudio.gui.file_loader import shared_loader
from voxstudio.gui.requests import (
    ClassifyOutcome,
    ClassifyRequest,
    EngineInfo,
    ExportOutcome,
    ExportRequest,
    Failure,
    FailureKind,
    GenerateParams,
    LoadEngineRequest,
    LoadFileRequest,
    ShapeRequest,
    ShapeResult,
)
from voxstudio.gui.surface import grid_to_polydata
from voxstudio.session.shape_latent import generate_shape

if TYPE_CHECKING:  # voxstudio.models: for the type checker only (no torch on the GUI path at start-up)
    import torch

    from voxstudio.models.engine_protocol import InferenceEngine

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


@runtime_checkable
class ServedRequest(Protocol):
    """A feature request that brings its own handler (pose explorer, inversion).

    ``serve`` runs on the worker thread; what it returns is routed like any result
    (None: nothing to show).
    """

    failure_title: ClassVar[str]

    def serve(self, worker: EngineWorker) -> object | None: ...


class WarmUpInversionRequest:
    """Have the engine import what the first inversion imports (``torch._dynamo``, ~1.2 s).

    Served on the worker thread between other requests, not on a thread of its own:
    importing ``torch._dynamo`` beside running torch ops raced with them (an op
    failed with "'prims' object has no attribute 'sum'").
    """

    failure_title: ClassVar[str] = "Preparing the latent search failed"

    def serve(self, worker: EngineWorker) -> None:
        if worker.engine is not None and not worker.stopping:
            worker.engine.warm_up_inversion()


class WarmUpFilesRequest:
    """Start the file-reader process (``file_loader``) ahead of the first file the user opens.

    Asked for once the first shape is on screen, not when the engine is loaded: the
    child's start-up (~0.3 s of CPU: a fresh interpreter importing the readers) then
    competed with the first generation, meshing and frame for the machine's cores.
    """

    failure_title: ClassVar[str] = "Starting the file reader failed"

    def serve(self, worker: EngineWorker) -> None:
        if not worker.stopping:
            worker.files.warm_up()


def describe_device(device: torch.device) -> str:
    """"CPU" or "CUDA: <name>" for the status bar (runs on the worker)."""
    kind = device.type
    if kind == "cuda":
        try:
            import torch

            return f"CUDA: {torch.cuda.get_device_name(device)}"
        except Exception:  # noqa: BLE001 - a label must never break start-up
            return "CUDA"
    return str(kind).upper()


def describe_model(engine: InferenceEngine) -> str:
    """"GAN + CapsNet 32³" for the status bar."""
    parts = []
    if engine.has_generator:
        parts.append("GAN")
    if engine.has_classifier:
        parts.append("CapsNet")
    name = " + ".join(parts) if parts else "no networks"
    return f"{name} {engine.resolution}\u00b3"


class EngineWorker(QObject):
    """Lives on the worker thread; owns the engine and serves ``PendingRequests``."""

    #: Any result (ShapeResult, ClassifyOutcome, ExportOutcome, EngineInfo, ...): the
    #: client routes it to its typed signal on the GUI thread.
    finished = Signal(object)
    failed = Signal(Failure)

    def __init__(self, pending: PendingRequests) -> None:
        super().__init__()
        self._pending = pending
        self.engine: InferenceEngine | None = None
        # The worker's own request kinds and their handlers (feature requests serve themselves).
        self._handlers: dict[type, Callable[[Any], object]] = {
            ShapeRequest: self._shape,
            ClassifyRequest: self._classify,
            LoadFileRequest: self._load_file,
            ExportRequest: self._export,
            LoadEngineRequest: self._load_engine,
        }
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
    def _serve(self, request: object) -> object | None:
        handler = self._handlers.get(type(request))
        if handler is not None:
            return handler(request)
        if isinstance(request, ServedRequest):  # feature requests bring their handler
            return request.serve(self)
        raise TypeError(f"unknown request {type(request).__name__}")

    def _load_engine(self, request: LoadEngineRequest) -> EngineInfo:
        start = time.perf_counter()
        engine = request.factory()
        self.engine = engine
        _leave_a_core_for_rendering(engine)
        self._latent_cache.clear()
        self._last_generated = None
        self.stats["engine"] += 1
        return EngineInfo(
            classes=tuple(engine.classes),
            resolution=int(engine.resolution),
            latent_dim=int(engine.latent_dim),
            n_directions=int(len(engine.directions)),
            device_text=describe_device(engine.device),
            model_text=describe_model(engine),
            has_generator=bool(engine.has_generator),
            has_classifier=bool(engine.has_classifier),
            load_ms=(time.perf_counter() - start) * 1000.0,
            named_sliders=_named_slider_rows(engine),
        )

    def generate_grid(self, params: GenerateParams) -> np.ndarray:
        """The grid ``params`` make (feature requests: thumbnails of shapes not on screen)."""
        return self._generate(params)

    def require_engine(self) -> InferenceEngine:
        """The loaded engine (feature requests call this too); RuntimeError before it is loaded."""
        if self.engine is None:
            raise RuntimeError("The model is not loaded.")
        return self.engine

    def _latent(self, seed: int) -> np.ndarray:
        z = self._latent_cache.get(seed)
        if z is None:
            if len(self._latent_cache) > 64:
                self._latent_cache.clear()
            z = np.asarray(self.require_engine().latent_for_seed(seed), dtype=np.float32)
            self._latent_cache[seed] = z
        return z

    def _generate(self, params: GenerateParams) -> np.ndarray:
        if self._last_generated is not None and self._last_generated[0] == params:
            return self._last_generated[1]  # only the view changed: re-mesh, don't regenerate
        engine = self.require_engine()
        grid = generate_shape(engine, params, seed_latent=self._latent)
        self.stats["generate"] += 1
        self._last_generated = (params, grid)
        return grid

    def _shape(self, request: ShapeRequest) -> ShapeResult:
        generate_ms = 0.0
        if request.generate is not None:
            start = time.perf_counter()
            grid = self._generate(request.generate)
            if request.view.clean:
                grid = clean_fragments(grid, request.view.threshold).astype(np.float32)
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
        engine = self.require_engine()
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
            poses=None if result.poses is None else np.asarray(result.poses),
            presence=float(result.presence),
            none_of_these=bool(result.none_of_these),
        )

    def _load_file(self, request: LoadFileRequest) -> ShapeResult:
        start = time.perf_counter()
        prepared = self.files.load(request.path, request.resolution, request.up)
        if prepared.candidates:  # a bare .binvox: the classifier picks the upright pose
            engine = self.engine
            if engine is not None and engine.has_classifier:
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


def _leave_a_core_for_rendering(engine: InferenceEngine) -> None:
    """On CPU, give torch all cores but one: the GUI thread renders on the other.

    Measured on 2 cores (bench_gui.py): with torch on both, generation and the
    software-GL frame fight for them and a slider drag fell from ~23 to ~6 frames/s.
    ``VOXSTUDIO_TORCH_THREADS`` overrides the choice (benchmarks, tuning).
    """
    if engine.device.type != "cpu":
        return
    import torch

    torch.set_num_threads(torch_threads())


def torch_threads() -> int:
    """Threads for CPU inference: ``$VOXSTUDIO_TORCH_THREADS`` or all cores but one."""
    override = os.environ.get("VOXSTUDIO_TORCH_THREADS", "")
    if override.isdigit() and int(override) > 0:
        return int(override)
    return max(1, (os.cpu_count() or 2) - 1)


def _failure_kind(error: BaseException) -> FailureKind:
    return FailureKind.WEIGHTS if isinstance(error, WeightsError) else FailureKind.ERROR


def _user_message(error: BaseException) -> str:
    """The message to show: the project's own errors are written for users; others get their type."""
    if isinstance(error, VoxStudioError):
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
    worker is idle, wakes it with a queued signal. Results arrive on one typed
    signal per kind; failures on the signal of the request's kind (else ``failed``).
    """

    engineLoaded = Signal(EngineInfo)
    shapeReady = Signal(ShapeResult)  # main view or reconstruction (``target``)
    classified = Signal(ClassifyOutcome)
    exported = Signal(ExportOutcome)
    engineLoadFailed = Signal(Failure)
    fileFailed = Signal(Failure)
    exportFailed = Signal(Failure)
    failed = Signal(Failure)  # any other request (generation, classification, feature requests)
    _wake = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pending = PendingRequests()
        self._thread = QThread()
        self._thread.setObjectName("voxstudio-engine")
        self.worker = EngineWorker(self.pending)
        self.worker.moveToThread(self._thread)
        self._wake.connect(self.worker.drain)  # queued: worker lives on the other thread
        self.worker.finished.connect(self._route_result)  # queued: delivered on the GUI thread
        self.worker.failed.connect(self._route_failure)
        # Dispatch tables: result type -> signal, failed request type -> signal.
        self._result_signals: dict[type, SignalInstance] = {
            EngineInfo: self.engineLoaded,
            ShapeResult: self.shapeReady,
            ClassifyOutcome: self.classified,
            ExportOutcome: self.exported,
        }
        self._failure_signals: dict[type, SignalInstance] = {
            LoadEngineRequest: self.engineLoadFailed,
            LoadFileRequest: self.fileFailed,
            ExportRequest: self.exportFailed,
        }
        self._unique = itertools.count()
        self._closed = False
        self._warmed_engine: InferenceEngine | None = None
        self._files_warmed = False
        # Each torch op releases the GIL and must win it back to go on; with the
        # default 5 ms switch interval a busy GUI thread made a 3 ms generation take
        # ~30 ms (GIL convoy). 1 ms hands it back promptly.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self._thread.start()
        app = QCoreApplication.instance()
        if app is not None:  # never leave a running QThread behind at exit
            app.aboutToQuit.connect(self.shutdown)

    def _route_result(self, result: object) -> None:
        if self._closed:
            return  # queued before shutdown: its window (and viewport) are gone
        signal = self._result_signals.get(type(result))
        if signal is None:
            raise TypeError(f"no signal for result {type(result).__name__}")
        signal.emit(result)

    def _route_failure(self, failure: Failure) -> None:
        if self._closed:
            return
        self._failure_signals.get(type(failure.request), self.failed).emit(failure)

    def warm_up_inversion(self) -> None:
        """Have the loaded engine's first-inversion imports done on the worker, once per engine.

        Called when the user heads toward an inversion (a file is open, so "Open in
        generator" is offered; sculpt mode starts), not at load: the import costs ~1.2 s
        and ~70 MB that a user who never inverts should not pay.
        """
        engine = self.worker.engine
        if engine is None or not engine.has_generator or engine is self._warmed_engine:
            return
        self._warmed_engine = engine
        self.submit_unique("warm-up", WarmUpInversionRequest())

    def warm_up_files(self) -> None:
        """Have the worker start the file-reader process, once (``WarmUpFilesRequest``)."""
        if self._files_warmed:
            return
        self._files_warmed = True
        self.submit_unique("warm-up-files", WarmUpFilesRequest())

    @property
    def stats(self) -> Counter[str]:
        """Counts of work actually done by the worker (generate, mesh, classify...)."""
        return self.worker.stats

    def submit(self, channel: str, request: object) -> None:
        """Latest-wins submit on ``channel``."""
        if self.pending.put(channel, request):
            self._wake.emit()

    def submit_unique(self, prefix: str, request: object) -> None:
        """Submit a request that must not be coalesced (engine load, export)."""
        self.submit(f"{prefix}:{next(self._unique)}", request)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Drop pending work, let the current request finish, stop the thread.

        A request still running after ``timeout_ms`` keeps its thread alive (the
        thread object is parked, not destroyed: destroying a running QThread aborts
        the process); it ends on its own when the request returns.
        """
        self._closed = True
        if not self._thread.isRunning():
            return True
        self.pending.discard()
        self.worker.stop()
        self._thread.quit()
        if self._thread.wait(timeout_ms):
            return True
        _PARKED_THREADS.append((self._thread, self.worker))
        return False


def _named_slider_rows(engine: InferenceEngine) -> tuple[tuple[str, tuple[tuple[str, float, float, str], ...]], ...]:
    """Every class's named sliders as plain rows for the GUI thread (empty without a slider file)."""
    from voxstudio.models.sliders import slider_table

    sliders = engine.named_sliders
    if sliders is None:
        return ()
    return tuple((name, tuple(slider_table(sliders.sliders(name)))) for name in engine.classes)
