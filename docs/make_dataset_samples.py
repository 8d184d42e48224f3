"""Render docs/images/dataset_samples.png: a few procedural shapes of every class.

    python docs/make_dataset_samples.py [--seeds 6] [--res 32] [--out docs/images/dataset_samples.png]

Each tile is rendered with :func:`voxstudio.core.render.render_grid_image` (the
same offscreen renderer as the GUI screenshots), coloured by height, camera at
front-left-above so the front (-y) faces the viewer.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from voxstudio.core.render import render_grid_image
from voxstudio.data.procedural import CLASSES, generate_shape


def _tile(grid: np.ndarray, size: tuple[int, int]) -> Image.Image:
    """Render large, crop the white border away and fit into ``size`` (shapes fill their tiles)."""
    image = Image.fromarray(np.ascontiguousarray(render_grid_image(grid, window_size=(3 * size[0], 3 * size[1]))))
    pixels = np.asarray(image)[3:-3, 3:-3]  # the offscreen window draws a dark border line
    ink = np.argwhere(pixels.min(axis=2) < 150) + 3  # ignores the grey ground outline
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0)
    image = image.crop((max(0, left - 6), max(0, top - 6), right + 6, bottom + 6))
    image.thumbnail(size, Image.Resampling.LANCZOS)
    tile = Image.new("RGB", size, "white")
    tile.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return tile


def montage(seeds: int, resolution: int, tile: tuple[int, int] = (130, 120), label_width: int = 86) -> Image.Image:
    width, height = tile
    sheet = Image.new("RGB", (label_width + seeds * width, len(CLASSES) * height), "white")
    draw = ImageDraw.Draw(sheet)
    for row, name in enumerate(CLASSES):
        draw.text((6, row * height + height // 2 - 6), name, fill="black")
        for col in range(seeds):
            sheet.paste(_tile(generate_shape(name, col, resolution), tile), (label_width + col * width, row * height))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--res", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "images" / "dataset_samples.png")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet = montage(args.seeds, args.res)
    sheet = sheet.convert("P", palette=Image.Palette.ADAPTIVE, colors=128)  # keeps the PNG small
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
