"""The session model: everything the window shows, as plain evented state.

Why it exists: the state of a VoxStudio session (is the engine ready, which
shape is in the main view and where it came from, the reconstruction, the last
classification, which request is newest) used to live as loose attributes on
``MainWindow``, so every controller needed the whole window. Here it is one
Qt-free object, in the spirit of napari's ``ViewerModel`` / ``Dims``:
controllers change it through its methods, and views observe its ``events``.
It can be tested without a display, and the history / undo work can snapshot
``shape_state`` without touching a widget.

Sequence numbers order everything: each request to the worker gets the next
one (``next_seq``); a result older than what a view already shows is refused
(``accept``); the request time is kept to measure request -> painted-frame
latency (``frame_painted``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from voxstudio.session.events import Event
from voxstudio.session.results import ClassifyOutcome, EngineInfo, GenerateParams, ShapeResult, ViewParams

DEFAULT_RESOLUTION = 32
#: Views whose newest result is tracked: the main shape, the reconstruction, the classification.
VIEWS = ("main", "recon", "classify")
_MAX_TRACKED_REQUESTS = 512
_MAX_LATENCIES = 1000


class _TextEnum(str, Enum):
    """A ``str`` enum whose ``str()`` is its value, like 3.11's ``StrEnum`` (the package supports 3.10)."""

    def __str__(self) -> str:
        return str(self.value)


class EngineState(_TextEnum):
    """Life cycle of the engine (compares equal to its value, e.g. ``"ready"``)."""

    NONE = "none"  # no engine asked for (tests, --no-model)
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class ShapeSource(_TextEnum):
    """Where the main view's shape comes from (or will come from: a file being opened)."""

    NONE = "none"
    GENERATED = "generated"
    FILE = "file"


@dataclass(frozen=True)
class StatusMessage:
    """A line for the status bar; ``timeout_ms`` 0 keeps it until the next one."""

    text: str
    timeout_ms: int = 0


@dataclass(frozen=True)
class ErrorReport:
    """A failure the user must see (the window shows it as a dialog)."""

    title: str
    message: str


class SessionEvents:
    """The session's events; each carries the new value."""

    def __init__(self) -> None:
        self.engine: Event[EngineState] = Event("engine")
        self.current: Event[ShapeResult] = Event("current")
        self.source: Event[ShapeSource] = Event("source")
        self.reconstruction: Event[ShapeResult | None] = Event("reconstruction")
        self.classification: Event[ClassifyOutcome] = Event("classification")
        self.view: Event[ViewParams] = Event("view")
        self.painted: Event[int] = Event("painted")  # seq of the main-view result now on screen
        self.status: Event[StatusMessage] = Event("status")
        self.error: Event[ErrorReport] = Event("error")


class SessionModel:
    """Engine state, the shown shapes, sequence numbers and timings of one window."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.events = SessionEvents()
        self._clock = clock
        self.engine_state = EngineState.NONE
        self.engine_info: EngineInfo | None = None
        self.engine_error = ""
        self.engine_weights_failure = False  # the failure was missing / unreadable weights
        self.current: ShapeResult | None = None
        self.current_source = ShapeSource.NONE
        self.reconstruction: ShapeResult | None = None
        self.last_classification: ClassifyOutcome | None = None
        self.view = ViewParams()
        self.latencies_ms: list[float] = []  # request -> painted frame, main view (the last 1000)
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._shown_seq = dict.fromkeys(VIEWS, 0)
        self._painted_seq = 0
        self._requested_at: dict[int, float] = {}
        self._awaiting_frame: tuple[int, float | None] | None = None

    # ------------------------------------------------------------------ engine
    def engine_loading(self) -> None:
        self.engine_state = EngineState.LOADING
        self.engine_info = None
        self.engine_error = ""
        self.events.engine.emit(self.engine_state)

    def engine_ready(self, info: EngineInfo) -> None:
        self.engine_info = info
        self.engine_state = EngineState.READY
        self.events.engine.emit(self.engine_state)

    def engine_failed(self, message: str, weights: bool = False) -> None:
        self.engine_info = None
        self.engine_error = message
        self.engine_weights_failure = weights
        self.engine_state = EngineState.FAILED
        self.events.engine.emit(self.engine_state)

    @property
    def is_ready(self) -> bool:
        return self.engine_state is EngineState.READY and self.engine_info is not None

    @property
    def has_generator(self) -> bool:
        return self.is_ready and self.engine_info is not None and self.engine_info.has_generator

    @property
    def has_classifier(self) -> bool:
        return self.is_ready and self.engine_info is not None and self.engine_info.has_classifier

    def resolution(self) -> int:
        """The engine's grid size (files are framed into it), 32 until one is loaded."""
        return self.engine_info.resolution if self.engine_info is not None else DEFAULT_RESOLUTION

    # ------------------------------------------------------------------ sequence numbers
    def next_seq(self) -> int:
        """Number the next request to the worker (and note when it was made)."""
        seq = next(self._seq)
        self._last_seq = seq
        self._requested_at[seq] = self._clock()
        if len(self._requested_at) > _MAX_TRACKED_REQUESTS:  # only recent requests matter for latency
            for old in sorted(self._requested_at)[: _MAX_TRACKED_REQUESTS // 2]:
                self._requested_at.pop(old, None)
        return seq

    def latest_request_seq(self) -> int:
        """Sequence number of the newest request sent to the worker."""
        return self._last_seq

    def shown_seq(self, view: str = "main") -> int:
        """Sequence number of what a view ("main", "recon", "classify") currently shows."""
        return self._shown_seq[view]

    def painted_seq(self) -> int:
        """Sequence number of the newest main-view result that has been painted."""
        return self._painted_seq

    def accept(self, view: str, seq: int) -> bool:
        """True (and ``seq`` becomes the view's newest) unless the view already shows a newer result."""
        if seq < self._shown_seq[view]:
            return False
        self._shown_seq[view] = seq
        return True

    # ------------------------------------------------------------------ shapes
    def set_source(self, source: ShapeSource) -> None:
        """What the main view is about to show: a file being opened must not be replaced by a generated shape."""
        if source is not self.current_source:
            self.current_source = source
            self.events.source.emit(source)

    def show_current(self, result: ShapeResult) -> None:
        """``result`` is now the main view's shape; its latency is closed when its frame is painted."""
        self.current = result
        self._awaiting_frame = (result.seq, self._requested_at.pop(result.seq, None))
        self.events.current.emit(result)

    def set_reconstruction(self, result: ShapeResult | None) -> None:
        self.reconstruction = result
        self.events.reconstruction.emit(result)

    def set_classification(self, outcome: ClassifyOutcome) -> None:
        self.last_classification = outcome
        self.events.classification.emit(outcome)

    @property
    def shape_state(self) -> GenerateParams | None:
        """The generated shape's state (class, seeds, sliders, loaded latents), None for a file or nothing."""
        return None if self.current is None else self.current.generate

    def classification_of_current(self) -> ClassifyOutcome | None:
        """The last classification, if it was made after the current shape was requested (so it is about it)."""
        outcome = self.last_classification
        if outcome is None or self.current is None or outcome.seq <= self.current.seq:
            return None
        return outcome

    # ------------------------------------------------------------------ view and frames
    def set_view(self, view: ViewParams) -> None:
        """Surface kind / threshold changed: observers re-mesh what is shown."""
        if view != self.view:
            self.view = view
            self.events.view.emit(view)

    def frame_painted(self) -> int | None:
        """A frame reached the screen: the seq it completed (latency recorded), or None if none was awaited."""
        if self._awaiting_frame is None or self.current is None:
            return None
        seq, requested = self._awaiting_frame
        self._awaiting_frame = None
        self._painted_seq = seq
        if requested is not None:
            self.latencies_ms.append((self._clock() - requested) * 1000.0)
            del self.latencies_ms[:-_MAX_LATENCIES]
        self.events.painted.emit(seq)
        return seq

    # ------------------------------------------------------------------ messages
    def notify(self, text: str, timeout_ms: int = 0) -> None:
        """Say something in the status bar."""
        self.events.status.emit(StatusMessage(text, timeout_ms))

    def report_error(self, title: str, message: str) -> None:
        """Show a failure to the user (a dialog)."""
        self.events.error.emit(ErrorReport(title, message))
