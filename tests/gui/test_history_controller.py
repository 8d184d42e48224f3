"""HistoryController alone: a SessionModel, a Generate panel, settings and a host window (no engine, no view)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow, QVBoxLayout, QWidget

from voxstudio.gui.generate_panel import GeneratePanel
from voxstudio.gui.history_controller import HistoryController
from voxstudio.gui.loaded_latent import LoadedLatent
from voxstudio.gui.settings import AppSettings
from voxstudio.session import EngineInfo, GenerateParams, SessionModel, ShapeResult, ViewParams
from voxstudio.session.favourites import load_last_state, save_last_state
from voxstudio.session.shape_state import LatentRef, ShapeState

pytestmark = pytest.mark.gui

CLASSES = ("bathtub", "chair", "sofa")
INFO = EngineInfo(classes=CLASSES, resolution=32, latent_dim=4, n_directions=8, device_text="CPU",
                  model_text="test", has_generator=True, has_classifier=False, load_ms=1.0)


class Parts:
    def __init__(self, qtbot: Any, folder: Path) -> None:
        self.session = SessionModel()
        self.panel = GeneratePanel()
        self.host = QMainWindow()
        central = QWidget()
        QVBoxLayout(central)
        self.host.setCentralWidget(central)
        qtbot.addWidget(self.host)
        qtbot.addWidget(self.panel)
        self.history = HistoryController(self.session, self.panel, AppSettings.from_file(folder / "s.ini"), self.host)
        self.history.install(self.host.menuBar(), central)
        self.changes = 0
        self.panel.paramsChanged.connect(self._count)

    def _count(self) -> None:
        self.changes += 1

    def ready(self) -> None:
        """What EngineController does on engine load: panel first, then the session event."""
        self.panel.set_engine(INFO)
        self.session.engine_ready(INFO)


def test_steps_undo_redo_without_an_engine(qtbot: Any, tmp_path: Path) -> None:
    parts = Parts(qtbot, tmp_path)
    parts.ready()
    panel, history = parts.panel, parts.history
    panel.seed.setValue(8)
    panel.set_class(2)
    assert len(history.history.undo_states()) == 2
    changes = parts.changes
    assert history.undo() and panel.class_combo.currentIndex() == 0 and panel.seed.value() == 8
    assert parts.changes == changes + 1  # applying asks for ONE regeneration
    assert history.undo() and panel.seed.value() == 0
    assert not history.undo()
    assert history.redo() and history.redo() and panel.class_combo.currentText() == "sofa"
    assert len(history.history.undo_states()) == 2  # applying recorded nothing


def test_apply_sets_the_loaded_latent_and_fits_the_sliders(qtbot: Any, tmp_path: Path) -> None:
    parts = Parts(qtbot, tmp_path)
    parts.ready()
    messages: list[str] = []
    parts.session.events.status.connect(lambda message: messages.append(message.text))
    state = ShapeState("chair", 5, (0.5, -1.0, 0.25) + (0.0,) * 7, LatentRef((0.1, 0.2, 0.3, 0.4), "x.binvox"),
                       seed_b=3, t=0.4)
    assert parts.history.apply(state)
    panel = parts.panel
    assert panel.loaded_latent("A") == LoadedLatent((0.1, 0.2, 0.3, 0.4), "x.binvox")
    assert [s.value() for s in panel.sliders[:3]] == [0.5, -1.0, 0.25] and len(panel.sliders) == 8
    assert panel.params().t == pytest.approx(0.4) and panel.t_readout.text() == "0.40"
    assert "2 slider value(s) this model has no slider for" in messages[-1]
    read_back = parts.history.current_state()
    assert read_back is not None and read_back.sliders[:3] == (0.5, -1.0, 0.25) and read_back.seed_b == 3
    # a latent of another size falls back to the seed; an unknown class is refused
    assert parts.history.apply(ShapeState("chair", 6, latent=LatentRef((1.0,) * 9, "big")))
    assert panel.loaded_latent("A") is None and panel.seed.value() == 6
    assert "has 9 values, this model needs 4" in messages[-1]
    assert not parts.history.apply(ShapeState("lamp", 1))
    assert "no class 'lamp'" in messages[-1] and panel.seed.value() == 6


def test_last_state_is_put_on_the_panel_when_the_engine_is_ready(qtbot: Any, tmp_path: Path) -> None:
    save_last_state(tmp_path, ShapeState("sofa", 31, (0.0, 1.5)))
    parts = Parts(qtbot, tmp_path)
    parts.ready()
    assert parts.panel.class_combo.currentText() == "sofa" and parts.panel.seed.value() == 31
    assert parts.panel.sliders[1].value() == 1.5
    assert not parts.history.history.can_undo()
    parts.panel.seed.setValue(32)
    parts.host.close()  # the host's close remembers the shape
    assert load_last_state(tmp_path) == parts.history.history.current
    assert load_last_state(tmp_path).seed == 32


def test_thumbnail_comes_from_the_shown_grid(qtbot: Any, tmp_path: Path) -> None:
    parts = Parts(qtbot, tmp_path)
    parts.ready()
    parts.panel.seed.setValue(4)
    state = parts.history.history.current
    grid = np.zeros((32, 32, 32), np.float32)
    grid[10:20, 10:20, 0:12] = 1.0
    params: GenerateParams = parts.panel.params()
    with qtbot.waitSignal(parts.history.renderer.rendered, timeout=10_000) as blocker:
        parts.session.show_current(ShapeResult(1, "main", grid, None, ViewParams(), generate=params))
    key, image = blocker.args
    assert key == state and image.width() == image.height() > 32
    assert parts.history.strip.has_thumbnail(state)
    parts.history.shutdown()
