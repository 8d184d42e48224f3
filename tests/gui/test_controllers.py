"""Controllers alone: a session, a stand-in engine client and the controller's own widgets, no window.

napari's ``_qt/widgets/_tests/test_qt_dims.py`` is the pattern: the Qt side is
built around a plain model and driven through it. The stand-in client records
what would go to the worker and emits the results a worker would send.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QPushButton, QStatusBar, QWidget

from voxstudio.gui.banner import Banner
from voxstudio.gui.classify_panel import ClassifyPanel
from voxstudio.gui.engine_controller import EngineController
from voxstudio.gui.generate_panel import GeneratePanel
from voxstudio.gui.inversion import InversionController, InversionOutcome, InversionRequest
from voxstudio.gui.pose_explorer import PoseDecodeRequest, PoseExplorer, PoseExplorerController
from voxstudio.gui.requests import Failure, FailureKind, LoadEngineRequest
from voxstudio.gui.window_chrome import StatusWidgets
from voxstudio.gui.worker import CHANNEL_RECON
from voxstudio.session import (
    ClassifyOutcome,
    EngineInfo,
    EngineState,
    SessionModel,
    ShapeResult,
    ViewParams,
)

pytestmark = pytest.mark.gui

CLASSES = ("bed", "chair", "table")
INFO = EngineInfo(classes=CLASSES, resolution=32, latent_dim=4, n_directions=8, device_text="CPU",
                  model_text="GAN + CapsNet 32\u00b3", has_generator=True, has_classifier=True, load_ms=12.0)


class FakeClient(QObject):
    """What the controllers use of ``EngineClient``: submit, and the signals they listen to."""

    engineLoaded = Signal(EngineInfo)
    engineLoadFailed = Signal(Failure)
    failed = Signal(Failure)

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, object]] = []
        self.warm_ups = 0

    def submit(self, channel: str, request: object) -> None:
        self.sent.append((channel, request))

    def warm_up_inversion(self) -> None:
        self.warm_ups += 1

    def submit_unique(self, prefix: str, request: object) -> None:
        self.sent.append((prefix, request))


def _shape(session: SessionModel, path: Path | None = None) -> ShapeResult:
    grid = np.zeros((32, 32, 32), np.float32)
    grid[10:20, 10:20, 0:8] = 1.0
    return ShapeResult(seq=session.next_seq(), target="main", grid=grid, mesh=None, view=ViewParams(),
                       label="shape", source_path=path)


def _outcome(seq: int, poses: np.ndarray) -> ClassifyOutcome:
    recon = ShapeResult(seq=seq, target="recon", grid=np.zeros((32,) * 3, np.float32), mesh=None, view=ViewParams())
    return ClassifyOutcome(seq=seq, classes=CLASSES, probabilities=np.array([0.1, 0.8, 0.1], np.float32),
                           predicted=1, reconstruction=recon, classify_ms=3.0, poses=poses)


# ---------------------------------------------------------------------------- pose explorer
@pytest.fixture
def pose_setup(qtbot):
    session, client = SessionModel(), FakeClient()
    explorer = PoseExplorer()
    qtbot.addWidget(explorer)
    show_recon = QAction("Show reconstruction", explorer)
    show_recon.setCheckable(True)
    controller = PoseExplorerController(session, client, explorer, show_recon)
    return session, client, explorer, show_recon, controller


def test_pose_sliders_send_decode_requests_only_once_the_engine_is_ready(pose_setup):
    session, client, explorer, show_recon, _controller = pose_setup
    poses = np.linspace(-0.3, 0.3, 3 * 16, dtype=np.float32).reshape(3, 16)
    explorer.set_engine(INFO)
    explorer.set_outcome(_outcome(session.next_seq(), poses))
    explorer.sliders[2].set_value(0.25)
    assert client.sent == []  # no engine yet: nothing to decode with

    session.engine_ready(INFO)
    session.set_view(ViewParams("smooth", 0.4))
    explorer.sliders[2].set_value(0.25)
    channel, request = client.sent[-1]
    assert channel == CHANNEL_RECON and isinstance(request, PoseDecodeRequest)
    expected = poses[1].copy()
    expected[2] = 0.25
    np.testing.assert_allclose(request.pose, expected)
    assert request.class_id == 1 and request.label == "pose as chair"
    assert request.view == ViewParams("smooth", 0.4)  # the session's view
    assert request.seq == session.latest_request_seq()  # numbered by the session
    assert show_recon.isChecked()  # the edited view is shown


def test_a_newer_classification_redraws_the_pose_sent_before_it(pose_setup):
    session, client, explorer, _show, _controller = pose_setup
    session.engine_ready(INFO)
    poses = np.full((3, 16), 0.1, np.float32)
    explorer.set_engine(INFO)
    first = _outcome(session.next_seq(), poses)
    explorer.set_outcome(first)
    explorer.reset()  # one decode request, newer than the classification
    assert len(client.sent) == 1
    session.set_classification(first)  # its reconstruction would win the view: redraw the pose
    assert len(client.sent) == 2 and client.sent[-1][1].label == "reconstruction"
    later = _outcome(session.next_seq(), poses)
    session.set_classification(later)  # newer than every decode: nothing to redraw
    assert len(client.sent) == 2


# ---------------------------------------------------------------------------- inversion
@pytest.fixture
def inversion_setup(qtbot):
    session, client = SessionModel(), FakeClient()
    parent = QWidget()
    qtbot.addWidget(parent)
    button = QPushButton("Open in generator\u2026", parent)
    panel = GeneratePanel(parent)
    panel.set_engine(INFO)
    controller = InversionController(session, client, button, panel, parent)
    yield session, client, button, panel, controller
    del parent  # kept alive (with its children) until the test is done


def test_the_button_follows_the_session(inversion_setup):
    session, client, button, _panel, controller = inversion_setup
    assert not button.isEnabled()
    session.engine_loading()
    session.engine_ready(INFO)
    session.show_current(_shape(session))  # a generated shape: already in the generator
    assert not button.isEnabled() and controller.open_dialog() is None
    assert client.warm_ups == 0  # nothing to invert: the optimiser's first import is not paid
    session.show_current(_shape(session, Path("mine.binvox")))
    assert button.isEnabled() and client.warm_ups >= 1
    session.engine_failed("gone")
    assert not button.isEnabled()


def test_a_search_is_sent_and_its_latent_handed_to_the_generate_panel(qtbot, inversion_setup):
    session, client, button, panel, controller = inversion_setup
    session.engine_ready(INFO)
    shown = _shape(session, Path("mine.binvox"))
    session.show_current(shown)
    session.set_classification(_outcome(session.next_seq(), np.zeros((3, 16), np.float32)))
    assert controller.default_class()[0] == 1  # the classifier's prediction

    button.click()
    dialog = controller.dialog
    assert dialog is not None and dialog.class_combo.currentIndex() == 1
    dialog.steps.setValue(12)
    dialog.start_button.click()
    prefix, request = client.sent[-1]
    assert prefix == "invert" and isinstance(request, InversionRequest)
    assert request.class_id == 1 and request.steps == 12 and request.label == "mine.binvox"
    np.testing.assert_array_equal(request.grid, shown.grid)

    z = np.arange(4, dtype=np.float32)
    stale = []
    controller.reconstructionStale.connect(lambda: stale.append(True))
    with qtbot.waitSignal(controller.inversionFinished, timeout=5_000) as blocker:
        request.job.done.emit(InversionOutcome(request.job, z, 1, 0.75, 9, 1.5, "mine.binvox"))
    assert blocker.args[0].iou == 0.75 and controller.job is None and stale == [True]
    loaded = panel.loaded_latent("A")
    assert loaded is not None and loaded.label == "mine.binvox"
    np.testing.assert_array_equal(loaded.array(), z)
    assert panel.class_combo.currentIndex() == 1
    assert controller.dialog is None  # closed itself


def test_a_failed_search_is_shown_in_the_dialog_and_others_failures_are_not(inversion_setup):
    session, client, _button, _panel, controller = inversion_setup
    session.engine_ready(INFO)
    session.show_current(_shape(session, Path("mine.binvox")))
    dialog = controller.open_dialog()
    dialog.start_button.click()
    request = client.sent[-1][1]
    client.failed.emit(Failure(LoadEngineRequest(lambda: None), "someone else's"))
    assert controller.job is not None and dialog.status.text() != "someone else's"
    client.failed.emit(Failure(request, "out of memory"))
    assert controller.job is None and dialog.status.text() == "out of memory"


# ---------------------------------------------------------------------------- engine
@pytest.fixture
def engine_setup(qtbot):
    session, client = SessionModel(), FakeClient()
    parent = QWidget()
    qtbot.addWidget(parent)
    generate_panel, classify_panel, banner = GeneratePanel(parent), ClassifyPanel(parent), Banner(parent)
    status = StatusWidgets(QStatusBar(parent))
    controller = EngineController(session, client, generate_panel, classify_panel, banner, status)
    yield session, client, generate_panel, classify_panel, banner, status, controller
    del parent  # kept alive (with its children) until the test is done


def test_loading_then_ready_enables_the_panels(engine_setup):
    session, client, generate_panel, classify_panel, banner, status, controller = engine_setup
    states: list[EngineState] = []
    session.events.engine.connect(states.append)
    messages = []
    session.events.status.connect(messages.append)
    factory = object
    controller.load(factory)
    assert session.engine_state is EngineState.LOADING and "Loading model" in banner.text()
    assert client.sent == [("engine", LoadEngineRequest(factory))]
    assert not generate_panel.is_available() and not classify_panel.is_available()

    client.engineLoaded.emit(INFO)
    assert states == [EngineState.LOADING, EngineState.READY] and session.engine_info == INFO
    assert generate_panel.is_available() and classify_panel.is_available()
    assert generate_panel.class_combo.count() == len(CLASSES) and len(generate_panel.sliders) == 8
    assert status.model_label.text() == "Model: GAN + CapsNet 32\u00b3" and status.device_label.text() == "Device: CPU"
    assert banner.isHidden() and messages[-1].text == "Model loaded in 12 ms"


def test_missing_weights_say_so_and_leave_the_panels_disabled(engine_setup):
    session, client, generate_panel, classify_panel, banner, status, controller = engine_setup
    controller.load(object)
    client.engineLoadFailed.emit(Failure(client.sent[-1][1], "weights/gan.safetensors: not found",
                                         FailureKind.WEIGHTS))
    assert session.engine_state is EngineState.FAILED and session.engine_weights_failure
    assert session.engine_error == "weights/gan.safetensors: not found"
    assert "Model weights missing or unreadable" in banner.text() and banner.level == "warning"
    assert not generate_panel.is_available() and not classify_panel.is_available()
    assert status.model_label.text() == "Model: unavailable"
