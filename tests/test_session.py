"""The Qt-free session model: engine life cycle, shown shapes, sequence numbers, latency, events."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voxstudio.session import (
    ClassifyOutcome,
    EngineInfo,
    EngineState,
    ErrorReport,
    Event,
    GenerateParams,
    SessionModel,
    ShapeResult,
    ShapeSource,
    StatusMessage,
    ViewParams,
)

INFO = EngineInfo(classes=("a", "b"), resolution=16, latent_dim=8, n_directions=8, device_text="CPU",
                  model_text="GAN", has_generator=True, has_classifier=False, load_ms=1.0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _shape(seq: int, target: str = "main", generate: GenerateParams | None = None) -> ShapeResult:
    return ShapeResult(seq=seq, target=target, grid=np.zeros((4, 4, 4), np.float32), mesh=None,
                       view=ViewParams(), generate=generate)


def _outcome(seq: int) -> ClassifyOutcome:
    return ClassifyOutcome(seq=seq, classes=("a", "b"), probabilities=np.array([0.25, 0.75], np.float32),
                           predicted=1, reconstruction=_shape(seq, "recon"), classify_ms=1.0)


def _record(event: Event) -> list:
    seen: list = []
    event.connect(seen.append)
    return seen


def test_importing_the_session_never_imports_qt():
    code = ("import sys, voxstudio.session; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyvistaqt', 'torch'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_engine_life_cycle_is_an_enum_and_is_announced():
    session = SessionModel()
    states = _record(session.events.engine)
    assert session.engine_state is EngineState.NONE and not session.is_ready
    assert session.resolution() == 32
    session.engine_loading()
    session.engine_ready(INFO)
    assert states == [EngineState.LOADING, EngineState.READY]
    assert session.is_ready and session.has_generator and not session.has_classifier
    assert session.resolution() == 16
    assert session.engine_state == "ready" and str(session.engine_state) == "ready"  # old string uses still work
    session.engine_failed("gan.safetensors: missing", weights=True)
    assert states[-1] is EngineState.FAILED and session.engine_info is None
    assert session.engine_error == "gan.safetensors: missing" and session.engine_weights_failure
    assert not session.has_generator and session.resolution() == 32


def test_sequence_numbers_increase_and_stale_results_are_refused():
    session = SessionModel()
    first, second = session.next_seq(), session.next_seq()
    assert (first, second) == (1, 2) and session.latest_request_seq() == 2
    assert session.accept("main", second)
    assert not session.accept("main", first)  # older than what the view shows
    assert session.shown_seq("main") == 2 and session.shown_seq("recon") == 0
    assert session.accept("recon", first)  # views are ordered independently
    assert session.accept("main", second)  # the same result again is not stale


def test_showing_a_shape_and_painting_it_measures_the_latency():
    clock = FakeClock()
    session = SessionModel(clock=clock)
    shown = _record(session.events.current)
    painted = _record(session.events.painted)
    assert session.frame_painted() is None  # nothing awaited
    seq = session.next_seq()
    clock.now += 0.040
    session.show_current(_shape(seq))
    assert shown == [session.current] and session.painted_seq() == 0
    clock.now += 0.010
    assert session.frame_painted() == seq
    assert painted == [seq] and session.painted_seq() == seq
    assert session.latencies_ms == [pytest.approx(50.0)]
    assert session.frame_painted() is None  # one latency per shown result
    assert len(session.latencies_ms) == 1


def test_latencies_keep_the_last_thousand():
    session = SessionModel(clock=FakeClock())
    for _ in range(1005):
        session.show_current(_shape(session.next_seq()))
        session.frame_painted()
    assert len(session.latencies_ms) == 1000


def test_shape_state_is_the_generated_shapes_parameters():
    session = SessionModel()
    assert session.shape_state is None
    params = GenerateParams(class_id=1, seed_a=7, sliders=(0.5, 0.0), latent_a=(0.1, 0.2))
    session.show_current(_shape(session.next_seq(), generate=params))
    assert session.shape_state == params
    session.show_current(_shape(session.next_seq()))  # a file: no generator state
    assert session.shape_state is None


def test_classification_belongs_to_the_current_shape_only_when_newer():
    session = SessionModel()
    outcomes = _record(session.events.classification)
    shape_seq = session.next_seq()
    session.show_current(_shape(shape_seq))
    old = _outcome(shape_seq - 1)
    session.set_classification(old)
    assert session.classification_of_current() is None
    new = _outcome(session.next_seq())
    session.set_classification(new)
    assert session.classification_of_current() is new and outcomes == [old, new]


def test_source_view_reconstruction_status_and_error_events():
    session = SessionModel()
    sources = _record(session.events.source)
    views = _record(session.events.view)
    recons = _record(session.events.reconstruction)
    status = _record(session.events.status)
    errors = _record(session.events.error)
    session.set_source(ShapeSource.FILE)
    session.set_source(ShapeSource.FILE)  # unchanged: no event
    assert sources == [ShapeSource.FILE] and session.current_source == "file"
    session.set_view(ViewParams("smooth", 0.3))
    session.set_view(ViewParams("smooth", 0.3))
    assert views == [ViewParams("smooth", 0.3)] and session.view.surface == "smooth"
    recon = _shape(3, "recon")
    session.set_reconstruction(recon)
    session.set_reconstruction(None)
    assert recons == [recon, None] and session.reconstruction is None
    session.notify("Opened x", 5000)
    session.report_error("Could not open file", "x: truncated")
    assert status == [StatusMessage("Opened x", 5000)]
    assert errors == [ErrorReport("Could not open file", "x: truncated")]


def test_event_disconnect_and_order():
    event: Event[int] = Event("n")
    calls: list[str] = []

    def first(value: int) -> None:
        calls.append(f"first {value}")
        event.disconnect(first)  # disconnecting while emitting is safe

    event.connect(first)
    event.connect(lambda value: calls.append(f"second {value}"))
    event.emit(1)
    event.emit(2)
    assert calls == ["first 1", "second 1", "second 2"] and len(event) == 1
    event.disconnect(first)  # not connected any more: ignored
