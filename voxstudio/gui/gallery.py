"""The Gallery (Generate > Gallery…, Ctrl+G): a grid of samples to pick the current shape from.

Why it is built this way:

* **Generation** runs on the engine worker like all torch work, in chunks of
  :data:`CHUNK` samples (:class:`GalleryChunkRequest` on a unique channel). The
  next chunk is asked for when the previous one arrives, so a slider drag in the
  main window (its own latest-wins channel) is served between two chunks instead
  of waiting for the whole batch.
* **Thumbnails** are drawn by :func:`voxstudio.core.thumbnail.render_thumbnail`
  (numpy, no OpenGL) on a private one-thread ``QThreadPool``: offscreen VTK on a
  second thread beside the Qt viewport is not safe, and the numpy picture costs
  ~15-40 ms against VTK's ~75 ms. The GUI thread only turns the finished RGB
  array into an icon, so thumbnails appear one by one and the window never waits.
* **Cancelling**: every batch is a :class:`GalleryJob` (a plain object with a flag); a new batch (Shuffle, More
  like this, another class or count) or closing the gallery cancels the old one.
  Its queued chunk is skipped on the worker, queued renders are dropped from the
  pool, and anything still in flight is ignored when it arrives.

Click a sample to show it in the main window (its class and seed, or its latent
as a loaded shape, with the sliders at zero, as the Generate panel then shows);
double-click (or Use) to show it and close the gallery. Sample choice is Qt-free
in :mod:`voxstudio.session.gallery`.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from voxstudio.core.thumbnail import render_thumbnail
from voxstudio.gui.loaded_latent import LoadedLatent
from voxstudio.session.gallery import (
    DEFAULT_COUNT,
    DEFAULT_SPREAD,
    MAX_COUNT,
    SEED_MAX,
    GallerySample,
    GallerySpec,
    generate_samples,
)

if TYPE_CHECKING:  # pragma: no cover
    from voxstudio.gui.generate_panel import GeneratePanel
    from voxstudio.gui.requests import Failure
    from voxstudio.gui.worker import EngineClient, EngineWorker
    from voxstudio.session.results import EngineInfo, GenerateParams, ShapeResult

__all__ = ["GalleryChunk", "GalleryChunkRequest", "GalleryController", "GalleryDialog", "GalleryJob",
           "apply_sample"]

CHUNK = 4  # samples generated per worker request
THUMB_SIZE = 120  # pixels
SAMPLE_ROLE = Qt.ItemDataRole.UserRole


class GallerySource(Protocol):
    """What the gallery reads about the window: the main window or the session model both have it."""

    engine_info: EngineInfo | None
    current: ShapeResult | None


class GalleryJob:
    """One batch: its spec and a cancel flag read by the worker and the render thread.

    Deliberately not a QObject: the worker and the render thread hold references
    to it, and the last one may drop on either thread (a QObject must be
    destroyed on its own thread). Chunks go out through the controller's signal.
    """

    def __init__(self, spec: GallerySpec) -> None:
        self.spec = spec
        self.started = time.perf_counter()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()


@dataclass
class GalleryChunk:
    """Generated samples of a job (worker -> GUI thread)."""

    job: GalleryJob
    samples: list[GallerySample]
    grids: np.ndarray  # (B, R, R, R) float32
    ms: float


@dataclass
class GalleryChunkRequest:
    """Generate ``indices`` of a batch on the engine worker (its ``serve`` hook); never coalesced."""

    job: GalleryJob
    indices: tuple[int, ...]
    deliver: Callable[[GalleryChunk], None]  # the controller's queued signal (GUI thread)
    failure_title: ClassVar[str] = "Gallery failed"

    def serve(self, worker: EngineWorker) -> None:
        """Generate the chunk and ``deliver`` it (nothing for the client's shared result signals)."""
        if self.job.is_cancelled() or worker.stopping:
            return  # a newer batch replaced this one, or the window is closing
        engine = worker.engine
        if engine is None or not engine.has_generator:
            raise RuntimeError("The model has no generator to draw samples from.")
        start = time.perf_counter()
        samples, grids = generate_samples(engine, self.job.spec, self.indices)
        worker.stats["gallery"] += len(samples)
        chunk = GalleryChunk(self.job, samples, grids, (time.perf_counter() - start) * 1000.0)
        with contextlib.suppress(RuntimeError):  # the window (and its controller) is gone
            self.deliver(chunk)


def apply_sample(panel: GeneratePanel, sample: GallerySample) -> None:
    """Make ``sample`` the Generate panel's shape (one ``paramsChanged``): class, seed or latent, and its sliders.

    A seed sample sets the seed (and drops a loaded shape at end A), sliders at 0;
    a "more like this" sample becomes end A's loaded latent, as "Open in generator"
    does, with the sliders of the shape it varies (they are drawn into it).
    A running animation stops first (it would walk away from the picked shape).
    """
    panel.set_animating(False)
    if sample.seed is None:
        panel.set_loaded_latent("A", LoadedLatent(sample.latent, sample.label), sample.class_id,
                                sliders=sample.sliders, named=dict(sample.named))
        return
    panel.chip_a.set_latent(None)
    panel.set_shape(sample.class_id, sample.seed)  # sliders and interpolation to zero; one paramsChanged


def _describe(spec: GallerySpec) -> str:
    """"12 samples" or "12 like seed 42 (spread 0.30)" for the status line."""
    if spec.is_variation:
        return f"{spec.count} like {spec.origin or 'the shape'} (spread {spec.spread:.2f})"
    return f"{spec.count} samples"


def _qimage(rgb: np.ndarray) -> QImage:
    """An owned QImage copy of an ``(H, W, 3)`` uint8 array."""
    array = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, _ = array.shape
    return QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class GalleryDialog(QDialog):
    """The gallery's widgets (non-modal); :class:`GalleryController` drives them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Gallery")
        self.setObjectName("gallery_dialog")
        self.setWindowFlag(Qt.WindowType.Tool, True)  # stays above the main window, no taskbar entry

        self.class_combo = QComboBox()
        self.class_combo.setToolTip("Class the samples are drawn from")
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, MAX_COUNT)
        self.count_spin.setValue(DEFAULT_COUNT)
        self.count_spin.setKeyboardTracking(False)
        self.count_spin.setToolTip("How many samples the grid shows")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, SEED_MAX)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("Batch seed: the same seed shows the same samples again")
        self.shuffle_button = QPushButton("Shuffle")
        self.shuffle_button.setToolTip("A new batch of samples of the class")
        self.like_button = QPushButton("More like this")
        self.like_button.setToolTip("Samples around the shape in the main window")
        self.spread_spin = QDoubleSpinBox()
        self.spread_spin.setRange(0.05, 1.0)
        self.spread_spin.setSingleStep(0.05)
        self.spread_spin.setDecimals(2)
        self.spread_spin.setValue(DEFAULT_SPREAD)
        self.spread_spin.setKeyboardTracking(False)
        self.spread_spin.setToolTip("How far \u201cMore like this\u201d strays: 0.05 nearly the same shape, "
                                    "1 unrelated samples")

        top = QHBoxLayout()
        top.addWidget(QLabel("Class"))
        top.addWidget(self.class_combo)
        top.addWidget(QLabel("Samples"))
        top.addWidget(self.count_spin)
        top.addWidget(QLabel("Batch"))
        top.addWidget(self.seed_spin)
        top.addWidget(self.shuffle_button)
        top.addStretch(1)
        top.addWidget(self.like_button)
        top.addWidget(QLabel("Spread"))
        top.addWidget(self.spread_spin)

        self.grid = QListWidget()
        self.grid.setObjectName("gallery_grid")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)
        self.grid.setWrapping(True)
        self.grid.setSpacing(6)
        self.grid.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.grid.setGridSize(QSize(THUMB_SIZE + 16, THUMB_SIZE + 30))
        self.grid.setSelectionMode(QListWidget.SelectionMode.SingleSelection)

        self.status = QLabel()
        self.status.setWordWrap(True)  # a long status must not widen the dialog
        self.use_button = QPushButton("Use")
        self.use_button.setToolTip("Show the selected sample in the main window and close the gallery")
        self.use_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.use_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        layout.addLayout(bottom)
        self.close_button.clicked.connect(self.close)
        # No default button: Enter belongs to the grid (pick and close) and the spin boxes (apply the value);
        # a default button would fire with it (Shuffle, and a second pick).
        for button in (self.shuffle_button, self.like_button, self.use_button, self.close_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.resize(6 * (THUMB_SIZE + 16) + 60, 2 * (THUMB_SIZE + 30) + 130)


class GalleryController(QObject):
    """Owns the gallery dialog, its batches and its render thread for one window."""

    thumbnailShown = Signal(int)  # sample index whose picture is now in the grid
    batchFilled = Signal(float)  # seconds from asking to the last picture
    samplePicked = Signal(object)  # GallerySample handed to the Generate panel
    _rendered = Signal(object, object, object, float)  # job, sample, RGB array, ms (render thread -> GUI)
    _chunkReady = Signal(object)  # GalleryChunk (engine worker -> GUI)

    def __init__(self, source: GallerySource, client: EngineClient, panel: GeneratePanel,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.client = client
        self.source = source
        self.panel = panel
        self.window = parent
        self.dialog: GalleryDialog | None = None
        self.job: GalleryJob | None = None
        self.samples: dict[int, GallerySample] = {}
        self.grids: dict[int, np.ndarray] = {}
        self.render_ms: list[float] = []
        self.generate_ms: list[float] = []
        self._next_index = 0
        self._shown: set[int] = set()
        self._rng = random.Random()
        self._closed = False
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # 2-core machines: the GUI and the engine keep a core each
        self._rendered.connect(self._on_rendered)
        self._chunkReady.connect(self._on_chunk)
        client.failed.connect(self._on_failed)
        parent.installEventFilter(self)  # the window's Close: stop the render thread first
        events = getattr(source, "events", None)  # the session model: follow the shown shape
        if events is not None:
            events.current.connect(lambda _result: self._update_like_button())
        elif hasattr(source, "shapeShown"):
            source.shapeShown.connect(lambda _result: self._update_like_button())

    # -- state ---------------------------------------------------------------------------------
    def available(self) -> bool:
        info = self.source.engine_info
        return (info is not None and info.has_generator
                and str(getattr(self.source, "engine_state", "ready")) == "ready")

    def current_params(self) -> GenerateParams | None:
        """The main window's generated shape state (GenerateParams), or None for a file / nothing."""
        current = self.source.current
        return None if current is None else current.generate

    def filled(self) -> int:
        """Pictures shown for the current batch."""
        return len(self._shown)

    def is_filling(self) -> bool:
        return self.job is not None and not self.job.is_cancelled() and self.filled() < self.job.spec.count

    # -- user ----------------------------------------------------------------------------------
    def open(self) -> GalleryDialog | None:
        """Show the gallery (non-modal, returns at once); starts a batch of the current class if needed."""
        if not self.available():
            self._status_bar("The gallery needs a model with a generator", 4000)
            return None
        dialog = self.dialog
        if dialog is None:
            dialog = self.dialog = self._build_dialog()
        self._fill_classes(dialog)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        job = self.job
        if job is None or job.spec.class_id >= dialog.class_combo.count():
            self.start(self._plain_spec(self._current_class()))
        elif self.filled() < job.spec.count:
            self.start(job.spec)  # closed while filling: finish the same batch
        self._update_like_button()
        return dialog

    def shuffle(self) -> None:
        """A new batch of samples of the chosen class (new batch seed)."""
        if self.dialog is None:
            return
        seed = self._rng.randrange(SEED_MAX)
        blocked = self.dialog.seed_spin.blockSignals(True)
        self.dialog.seed_spin.setValue(seed)
        self.dialog.seed_spin.blockSignals(blocked)
        self.start(self._plain_spec(self.dialog.class_combo.currentIndex()))

    def more_like_this(self) -> bool:
        """Samples around the main window's shape (spread and batch seed from the dialog)."""
        params = self.current_params()
        if self.dialog is None or params is None:
            self._status_bar("More like this needs a generated shape in the main window", 4000)
            return False
        d = self.dialog
        blocked = d.class_combo.blockSignals(True)
        d.class_combo.setCurrentIndex(int(params.class_id))
        d.class_combo.blockSignals(blocked)
        self.start(GallerySpec(int(params.class_id), d.count_spin.value(), d.seed_spin.value(), around=params,
                               spread=round(d.spread_spin.value(), 4), origin=self._origin(params)))
        return True

    def _origin(self, params: GenerateParams) -> str:
        """What "more like this" varies, for captions: "seed 42", a loaded shape's label, "+ sliders"."""
        if params.latent_a is None:
            text = f"seed {params.seed_a}"
        else:
            loaded = self.panel.loaded_latent("A")
            text = loaded.label if loaded is not None and loaded.z == params.latent_a else "loaded shape"
        if params.t > 0.0:
            text += f" \u2192 B {params.t:.2f}"
        if any(v != 0.0 for v in params.sliders):
            text += " + sliders"
        return text

    def start(self, spec: GallerySpec) -> GalleryJob:
        """Show ``spec``'s batch: cancel the old one, lay out placeholders, ask for the first chunk."""
        self.cancel()
        dialog = self.dialog if self.dialog is not None else self._build_dialog()
        self.dialog = dialog
        job = self.job = GalleryJob(spec)
        self.samples.clear()
        self.grids.clear()
        self._shown.clear()
        self._next_index = 0
        dialog.grid.clear()
        placeholder = self._placeholder()
        for index in range(spec.count):
            item = QListWidgetItem(placeholder, "\u2026")
            item.setData(SAMPLE_ROLE, index)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # selectable once its sample has arrived
            dialog.grid.addItem(item)
        dialog.use_button.setEnabled(False)
        dialog.status.setText(f"Drawing {_describe(spec)}\u2026")
        self._request_next(job)
        return job

    def cancel(self) -> None:
        """Stop filling: the worker skips the job's next chunk, queued renders are dropped."""
        if self.job is not None:
            self.job.cancel()
        self.pool.clear()

    def pick(self, index: int, close: bool = False) -> GallerySample | None:
        """Show sample ``index`` in the main window; ``close`` also closes the gallery."""
        sample = self.samples.get(index)
        if sample is None:
            return None
        apply_sample(self.panel, sample)
        self._status_bar(f"Gallery: {self.panel.class_name()} \u00b7 {sample.label}", 5000)
        self.samplePicked.emit(sample)
        self._update_like_button()
        if close and self.dialog is not None:
            self.dialog.close()
        return sample

    def shutdown(self) -> None:
        """The window is closing: cancel, and wait for a picture being drawn (tens of ms)."""
        if self._closed:
            return
        self._closed = True
        self.cancel()
        self.pool.waitForDone(5000)
        if self.dialog is not None:
            self.dialog.close()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    # -- dialog --------------------------------------------------------------------------------
    def _build_dialog(self) -> GalleryDialog:
        dialog = GalleryDialog(self.window)
        self._fill_classes(dialog)
        dialog.class_combo.currentIndexChanged.connect(lambda index: self.start(self._plain_spec(index)))
        dialog.count_spin.valueChanged.connect(lambda _v: self._restart_same_kind())
        dialog.seed_spin.valueChanged.connect(lambda _v: self._restart_same_kind())
        dialog.spread_spin.valueChanged.connect(lambda _v: self._restart_same_kind(spread_only=True))
        dialog.shuffle_button.clicked.connect(self.shuffle)
        dialog.like_button.clicked.connect(self.more_like_this)
        dialog.grid.itemClicked.connect(lambda item: self.pick(int(item.data(SAMPLE_ROLE))))
        dialog.grid.itemActivated.connect(lambda item: self.pick(int(item.data(SAMPLE_ROLE)), close=True))
        dialog.grid.itemSelectionChanged.connect(
            lambda: dialog.use_button.setEnabled(bool(dialog.grid.selectedItems())))
        dialog.use_button.clicked.connect(self._use_selected)
        dialog.finished.connect(lambda _result: self.cancel())
        return dialog

    def _fill_classes(self, dialog: GalleryDialog) -> None:
        info = self.source.engine_info
        classes = list(info.classes) if info is not None else []
        if [dialog.class_combo.itemText(i) for i in range(dialog.class_combo.count())] == classes:
            return
        blocked = dialog.class_combo.blockSignals(True)
        dialog.class_combo.clear()
        dialog.class_combo.addItems(classes)
        dialog.class_combo.setCurrentIndex(self._current_class())
        dialog.class_combo.blockSignals(blocked)
        self.cancel()
        self.job = None  # the old batch belonged to another model

    def _current_class(self) -> int:
        params = self.current_params()
        if params is not None:
            return int(params.class_id)
        return max(0, self.panel.class_combo.currentIndex())

    def _plain_spec(self, class_id: int) -> GallerySpec:
        d = self.dialog
        count = d.count_spin.value() if d is not None else DEFAULT_COUNT
        seed = d.seed_spin.value() if d is not None else 0
        if d is not None and d.class_combo.currentIndex() != class_id:
            blocked = d.class_combo.blockSignals(True)
            d.class_combo.setCurrentIndex(class_id)
            d.class_combo.blockSignals(blocked)
        return GallerySpec(max(0, int(class_id)), count, seed)

    def _restart_same_kind(self, spread_only: bool = False) -> None:
        """Count, batch seed or spread changed: the same kind of batch again."""
        job, d = self.job, self.dialog
        if d is None or job is None:
            return
        if job.spec.is_variation:
            self.start(replace(job.spec, count=d.count_spin.value(), batch_seed=d.seed_spin.value(),
                               spread=round(d.spread_spin.value(), 4)))
        elif not spread_only:
            self.start(self._plain_spec(job.spec.class_id))

    def _use_selected(self) -> None:
        if self.dialog is not None:
            items = self.dialog.grid.selectedItems()
            if items:
                self.pick(int(items[0].data(SAMPLE_ROLE)), close=True)

    def _update_like_button(self) -> None:
        if self.dialog is not None:
            on = self.current_params() is not None
            self.dialog.like_button.setEnabled(on)
            self.dialog.like_button.setToolTip(
                "Samples around the shape in the main window" if on
                else "Show a generated shape first (an opened file has no latent: Open in generator)")

    def _status_bar(self, text: str, timeout_ms: int) -> None:
        notify = getattr(self.source, "notify", None)  # the session model says it in the status bar
        if callable(notify):
            notify(text, timeout_ms)
            return
        status_bar = getattr(self.window, "statusBar", None)
        if callable(status_bar):
            status_bar().showMessage(text, timeout_ms)

    @staticmethod
    def _placeholder() -> QIcon:
        pixmap = QPixmap(THUMB_SIZE, THUMB_SIZE)
        pixmap.fill(QColor("#eeeeee"))
        return QIcon(pixmap)

    # -- worker and render thread --------------------------------------------------------------
    def _request_next(self, job: GalleryJob) -> None:
        if job.is_cancelled() or self._next_index >= job.spec.count:
            return
        stop = min(job.spec.count, self._next_index + CHUNK)
        indices = tuple(range(self._next_index, stop))
        self._next_index = stop
        self.client.submit_unique("gallery", GalleryChunkRequest(job, indices, self._chunkReady.emit))

    def _on_chunk(self, result: GalleryChunk) -> None:
        if result.job is not self.job or result.job.is_cancelled():
            return
        job = result.job
        self.generate_ms.append(result.ms)
        self._request_next(job)  # the worker generates the next chunk while these are drawn
        for sample, grid in zip(result.samples, result.grids):
            self.samples[sample.index] = sample
            self.grids[sample.index] = grid
            self.pool.start(lambda s=sample, g=grid: self._render(job, s, g))

    def _render(self, job: GalleryJob, sample: GallerySample, grid: np.ndarray) -> None:
        """Render thread: draw one picture and hand it to the GUI thread (unless the job is cancelled)."""
        if job.is_cancelled():
            return
        start = time.perf_counter()
        rgb = render_thumbnail(grid, THUMB_SIZE)
        if not job.is_cancelled():
            with contextlib.suppress(RuntimeError):  # the controller is being destroyed with its window
                self._rendered.emit(job, sample, rgb, (time.perf_counter() - start) * 1000.0)

    def _on_rendered(self, job: object, sample: object, rgb: object, ms: float) -> None:
        if job is not self.job or self.dialog is None or not isinstance(sample, GallerySample):
            return
        assert isinstance(job, GalleryJob) and isinstance(rgb, np.ndarray)
        if job.is_cancelled():
            return
        item = self.dialog.grid.item(sample.index)
        if item is None:
            return
        item.setIcon(QIcon(QPixmap.fromImage(_qimage(rgb))))
        item.setText(sample.label if sample.seed is not None else f"~{sample.index + 1}")  # the origin is above
        item.setToolTip(f"{self.dialog.class_combo.itemText(sample.class_id)} \u00b7 {sample.label}\n"
                        "Click: show it in the main window \u00b7 double-click: use it and close")
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self.render_ms.append(ms)
        del self.render_ms[:-256]
        self._shown.add(sample.index)
        self.thumbnailShown.emit(sample.index)
        if len(self._shown) == job.spec.count:
            seconds = time.perf_counter() - job.started
            self.dialog.status.setText(
                f"{_describe(job.spec)} in {seconds:.1f} s \u00b7 click one to show it, double-click to use it")
            self.batchFilled.emit(seconds)
        else:
            self.dialog.status.setText(f"{len(self._shown)} of {job.spec.count}\u2026")

    def _on_failed(self, failure: Failure) -> None:
        request = failure.request
        if isinstance(request, GalleryChunkRequest) and request.job is self.job:
            self.job.cancel()
            if self.dialog is not None:
                self.dialog.status.setText(f"Could not draw samples: {failure.message}")
