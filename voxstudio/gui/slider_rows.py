"""Rebuilding a panel's column of slider rows when the model's dimension count changes.

Both the latent sliders (Generate panel) and the capsule pose sliders (pose explorer)
follow the model: a new engine or classification may bring a different count, and the
old rows must leave the layout before new ones are made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import QLayout, QWidget

SliderT = TypeVar("SliderT", bound=QWidget)


def rebuild_slider_rows(
    layout: QLayout,
    sliders: list[SliderT],
    count: int,
    make: Callable[[int], SliderT],
    on_change: Callable[..., None],
    place: Callable[[SliderT, int], None],
) -> list[SliderT] | None:
    """Replace ``sliders`` by ``count`` new rows; ``None`` when the count already matches.

    ``make(index)`` builds a row (it must have a ``valueChanged`` signal), ``place(row,
    index)`` puts it into ``layout``.
    """
    if len(sliders) == count:
        return None
    for slider in sliders:
        layout.removeWidget(slider)
        slider.deleteLater()
    rows: list[SliderT] = []
    for index in range(count):
        slider = make(index)
        slider.valueChanged.connect(on_change)  # type: ignore[attr-defined]
        place(slider, index)
        rows.append(slider)
    return rows
