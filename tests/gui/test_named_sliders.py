"""The named-slider box: rows from the shipped slider file, calibrated ranges, tooltips, values."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxstudio import paths
from voxstudio.gui.named_sliders import STEPS, NamedSliderBox
from voxstudio.models.sliders import SLIDERS_FILE, load_sliders, slider_table

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def shipped():
    path = paths.weights_dir() / SLIDERS_FILE
    if not path.exists():
        pytest.skip("weights/sliders.json not shipped")
    return load_sliders(path)


def test_chair_sliders_show_names_ranges_and_tooltips(qtbot, shipped, tmp_path: Path) -> None:
    box = NamedSliderBox()
    qtbot.addWidget(box)
    rows = slider_table(shipped.sliders("chair"))
    box.set_sliders(rows)
    box.resize(380, 40 + 28 * len(rows))
    box.show()
    qtbot.waitExposed(box)
    assert box.isVisible() and box.names() == [r[0] for r in rows]
    assert "Back tilt" in box.names() and "Backrest" in box.names()
    for row, (name, low, high, tooltip) in zip(box.rows, rows):
        assert row.label.text() == name
        assert (row.slider.minimum(), row.slider.maximum()) == (round(low * STEPS), round(high * STEPS))
        assert row.slider.toolTip().startswith(tooltip) and row.label.toolTip() == row.slider.toolTip()
    # moving one slider reports it by name, once; reset brings every row back to 0
    tilt = box.rows[box.names().index("Back tilt")]
    with qtbot.waitSignal(box.valuesChanged, timeout=1000):
        tilt.slider.setValue(tilt.slider.maximum())
    assert box.values() == (("Back tilt", tilt.high),)
    box.set_values({"Backrest": 99.0}, emit=False)  # clamped to the calibrated end
    backrest = box.rows[box.names().index("Backrest")]
    assert box.values() == (("Backrest", backrest.high),)
    box.reset()
    assert box.values() == ()
    box.grab().save(str(tmp_path / "named_sliders.png"))


def test_box_hides_for_a_class_without_sliders(qtbot) -> None:
    box = NamedSliderBox()
    qtbot.addWidget(box)
    box.set_sliders([("Height", -2.0, 2.5, "Height: taller or lower.")])
    box.show()
    assert box.isVisible()
    box.set_sliders([])
    assert not box.isVisible() and box.values() == ()
