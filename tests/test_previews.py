"""voxstudio.core.previews: the Pillow sample grids and confusion matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from voxstudio.core.previews import save_confusion_png, save_sample_grid, shaded_view


def test_shaded_view_draws_nearer_voxels_brighter() -> None:
    grid = np.zeros((8, 8, 8), bool)
    assert not shaded_view(grid).any()  # empty grid: black
    grid[2, 0, 2] = True  # at the front (y = 0)
    grid[5, 7, 2] = True  # at the back
    image = shaded_view(grid)
    assert image.shape == (8 + 4 + 2, 8 + 4 + 2) and image.dtype == np.uint8
    values = np.unique(image).tolist()
    assert len(values) == 3 and values[0] == 0 and values[2] == 255  # background, back voxel, front voxel
    assert abs(values[1] - 0.4 * 255) <= 1  # the back voxel at depth 7 of 7 is shaded to 40 %


def test_sample_grid_tiles_rows_and_columns(tmp_path: Path) -> None:
    grids = np.zeros((6, 8, 8, 8), bool)
    grids[:, 2:6, 2:6, 0:4] = True
    path = save_sample_grid(tmp_path / "sub" / "grid.png", grids, rows=2, row_labels=["a", "b"])
    tile = shaded_view(grids[0]).shape[0] + 2
    with Image.open(path) as image:
        assert image.size == (2 * (90 + 3 * tile), 2 * (2 * tile))


def test_confusion_png_is_written(tmp_path: Path) -> None:
    confusion = np.array([[5, 1], [0, 4]])
    path = save_confusion_png(tmp_path / "c.png", ["chair", "table"], confusion, "test: 90%")
    with Image.open(path) as image:
        width, height = image.size
        pixels = np.asarray(image.convert("RGB"))
    assert width > 2 * 44 and height > 2 * 44
    assert (pixels.min(axis=-1) < 128).any()  # dark diagonal cells / text were drawn
