"""Pillow pictures for training logs and reports: sample grids and confusion matrices.

Pure numpy + Pillow, no VTK and no display: training writes a per-class sample
grid every few hundred steps and ``voxstudio evaluate --png`` a confusion
matrix, both on headless machines, in milliseconds. (Interactive-quality
renders of one shape live in :mod:`voxstudio.core.render`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["save_confusion_png", "save_sample_grid", "shaded_view"]


def shaded_view(grid: np.ndarray) -> np.ndarray:
    """Cheap oblique "3/4 front" preview of a boolean grid as a grey ``(H, W)`` uint8 image.

    Voxels are projected with an orthographic cabinet view (depth shifts the image
    up and right, half a pixel per voxel) and shaded by depth; pure numpy, so a
    72-shape grid renders in milliseconds instead of spinning up VTK per epoch.
    """
    r = grid.shape[0]
    size = r + r // 2 + 2
    image = np.zeros((size, size), dtype=np.float32)
    depth_buf = np.full((size, size), np.inf, dtype=np.float32)
    xs, ys, zs = np.nonzero(grid)
    if xs.size:
        u = xs + ys // 2 + 1
        v = (size - 2) - (zs + ys // 2)
        # Viewer at -y: the nearest voxel (smallest y) wins each pixel (z-buffer).
        np.minimum.at(depth_buf, (v, u), ys.astype(np.float32))
        hit = np.isfinite(depth_buf)
        shade = 1.0 - 0.6 * depth_buf / max(r - 1, 1)
        image[hit] = shade[hit]
    return (image * 255).astype(np.uint8)


def save_sample_grid(path: Path, grids: np.ndarray, rows: int, row_labels: list[str] | None = None) -> Path:
    """Tile :func:`shaded_view` images into a PNG (``rows`` x ``len(grids) / rows``)."""
    from PIL import Image, ImageDraw

    cols = int(np.ceil(len(grids) / rows))
    tiles = [shaded_view(g) for g in grids]
    th, tw = tiles[0].shape
    label_w = 90 if row_labels else 0
    canvas = np.full((rows * (th + 2), label_w + cols * (tw + 2)), 40, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        rr, cc = divmod(i, cols)
        canvas[rr * (th + 2) : rr * (th + 2) + th, label_w + cc * (tw + 2) : label_w + cc * (tw + 2) + tw] = tile
    image = Image.fromarray(canvas).convert("RGB")
    if row_labels:
        draw = ImageDraw.Draw(image)
        for rr, label in enumerate(row_labels[:rows]):
            draw.text((4, rr * (th + 2) + th // 2 - 5), label, fill=(230, 230, 230))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = image.resize((image.width * 2, image.height * 2), Image.Resampling.NEAREST)
    image.save(path)
    return path


def save_confusion_png(
    path: str | Path, classes: Sequence[str], confusion: np.ndarray, title: str, cell: int = 44
) -> Path:
    """Draw a confusion matrix (rows: true, columns: predicted; row-normalised shading,
    counts written in) under ``title`` as a PNG."""
    from PIL import Image, ImageDraw, ImageFont

    font = _font(ImageFont, 13)
    count = len(classes)
    label_width = max(int(font.getlength(name)) for name in classes) + 16
    title_height = 28
    top = title_height + label_width
    width = max(label_width + count * cell + 12, int(font.getlength(title)) + 16)
    height = top + count * cell + 12
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((8, 6), title, fill="black", font=font)
    totals = confusion.sum(axis=1, keepdims=True).clip(min=1)
    fractions = confusion / totals
    for row in range(count):
        draw.text((8, top + row * cell + cell // 2 - 7), classes[row], fill="black", font=font)
        for column in range(count):
            x0, y0 = label_width + column * cell, top + row * cell
            shade = float(fractions[row, column])
            colour = tuple(int(255 - shade * (255 - c)) for c in (31, 84, 160))
            draw.rectangle((x0, y0, x0 + cell - 1, y0 + cell - 1), fill=colour, outline=(200, 200, 200))
            value = int(confusion[row, column])
            if value:
                text = str(value)
                text_colour = "white" if shade > 0.5 else "black"
                draw.text((x0 + (cell - font.getlength(text)) / 2, y0 + cell // 2 - 7), text, fill=text_colour, font=font)
    for column, name in enumerate(classes):
        # Column labels written sideways: render horizontally, rotate, paste.
        strip = Image.new("RGB", (label_width, cell), "white")
        ImageDraw.Draw(strip).text((4, cell // 2 - 7), name, fill="black", font=font)
        rotated = strip.rotate(90, expand=True)
        image.paste(rotated, (label_width + column * cell, title_height))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def _font(image_font: Any, size: int) -> Any:
    try:
        return image_font.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed-size bitmap font
        return image_font.load_default()
