"""Named sliders in the real window: per-class rows with tooltips, the shown shape follows them."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import wait_for_shape

from voxstudio.models.sliders import NamedSlider, SliderSet

pytestmark = pytest.mark.gui


def _engine_with_named_sliders():
    from voxstudio.models.engine import VoxelEngine

    engine = VoxelEngine.random_init(resolution=32, seed=0)
    rng = np.random.default_rng(1)

    def slider(name: str) -> NamedSlider:
        d = rng.standard_normal(engine.latent_dim).astype(np.float32)
        return NamedSlider(name, name.lower(), f"{name}: right for more, left for less.", d / np.linalg.norm(d),
                           -2.0, 3.0)

    engine.named_sliders = SliderSet(engine.latent_dim, {"chair": (slider("Backrest"), slider("Armrests")),
                                                         "bed": (slider("Headboard"),)})
    return engine


def test_panel_shows_the_class_sliders_and_the_shape_follows(qtbot, make_window) -> None:
    engine = _engine_with_named_sliders()
    window = make_window(factory=lambda: engine)
    panel = window.generate_panel
    assert not panel.named_box.isVisible()  # bathtub (class 0) has none
    chair = engine.classes.index("chair")
    with qtbot.waitSignal(panel.paramsChanged, timeout=2000):
        panel.set_class(chair)
    assert panel.named_box.isVisible() and panel.named_box.names() == ["Backrest", "Armrests"]
    row = panel.named_box.rows[0]
    assert row.label.toolTip().startswith("Backrest: right for more") and row.slider.maximum() == 300
    wait_for_shape(qtbot, window, lambda: row.slider.setValue(250))
    assert window.current.generate.named == (("Backrest", 2.5),)
    z = engine.latent_with_named_sliders(engine.latent_for_seed(panel.params().seed_a), chair, {"Backrest": 2.5})
    np.testing.assert_array_equal(window.current.grid >= 0.5, engine.generate(z, chair) >= 0.5)
    panel.set_class(engine.classes.index("bed"))
    assert panel.named_box.names() == ["Headboard"] and panel.params().named == ()
    window.grab().save("/tmp/named_window.png")


def test_undo_brings_back_the_named_sliders_of_another_class(qtbot, make_window) -> None:
    engine = _engine_with_named_sliders()
    window = make_window(factory=lambda: engine)
    panel, history = window.generate_panel, window.history
    chair = engine.classes.index("chair")
    wait_for_shape(qtbot, window, lambda: panel.set_class(chair))
    row = panel.named_box.rows[0]
    row.slider.setSliderDown(True)
    for ticks in (100, 180, 250):
        wait_for_shape(qtbot, window, lambda t=ticks: row.slider.setValue(t))
    row.slider.setSliderDown(False)  # the drag is one step
    backrest = np.array(window.current.grid, copy=True)
    assert history.history.current.named == (("Backrest", 2.5),)
    wait_for_shape(qtbot, window, lambda: panel.set_class(engine.classes.index("bed")))
    assert panel.named_box.names() == ["Headboard"]

    wait_for_shape(qtbot, window, history.undo_action.trigger)
    assert panel.class_name() == "chair" and panel.named_box.names() == ["Backrest", "Armrests"]
    assert panel.params().named == (("Backrest", 2.5),)
    np.testing.assert_array_equal(window.current.grid, backrest)
