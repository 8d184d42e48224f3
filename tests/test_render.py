"""Offscreen rendering: a non-blank PNG, with the shape upright (z up on screen)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from core_shapes import chair_grid
from PIL import Image

from voxstudio.core.render import render_grid_image, render_grid_png


def _coloured_rows(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of saturated (shape) pixels and their colours; white and grey are background/outline."""
    rgb = image.astype(int)
    saturated = (rgb.max(axis=2) - rgb.min(axis=2)) > 40
    rows, cols = np.nonzero(saturated)
    return rows, rgb[rows, cols]


@pytest.mark.parametrize("surface", ["blocky", "smooth"])
def test_chair_renders_upright(surface: str, tmp_path: Path) -> None:
    path = render_grid_png(chair_grid(32), tmp_path / f"chair_{surface}.png", surface=surface, window_size=(400, 300))
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape == (300, 400, 3)
    rows, colours = _coloured_rows(image)
    assert rows.size > 0.05 * image.shape[0] * image.shape[1]  # the chair fills a good part of the frame
    top = colours[rows <= np.percentile(rows, 5)].mean(axis=0)
    bottom = colours[rows >= np.percentile(rows, 95)].mean(axis=0)
    # coloured by height with viridis: high z is yellow, low z is dark purple
    assert top[0] > top[2] and top[1] > top[2], f"top of the picture is not the top of the chair: {top}"
    assert bottom[2] > bottom[1], f"bottom of the picture is not the floor: {bottom}"


def test_flat_colour_and_empty_grid() -> None:
    image = render_grid_image(chair_grid(16), color_by_height=False, window_size=(200, 150))
    assert image.shape == (150, 200, 3) and image.dtype == np.uint8
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 10
    empty = render_grid_image(np.zeros((16, 16, 16), bool), window_size=(200, 150))
    rows, _ = _coloured_rows(empty)
    assert rows.size == 0
