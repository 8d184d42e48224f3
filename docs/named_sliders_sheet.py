"""Render what some named sliders do: docs/images/named_sliders.png.

    python docs/named_sliders_sheet.py [--out docs/images/named_sliders.png]

For the README's "Named sliders" section: each row is one class and slider of the
shipped ``weights/sliders.json`` on one seed of the shipped generator, at the
slider's calibrated low end, 0 and high end (what dragging it across the GUI
slider or ``voxstudio generate --slider NAME=VALUE`` shows), thresholded at 0.5.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from voxstudio.core.render import render_grid_image
from voxstudio.models.engine import VoxelEngine

#: (class, slider, seed) per row.
ROWS = (
    ("chair", "Back tilt", 0),
    ("chair", "Backrest", 3),
    ("table", "Coffee table", 1),
    ("chair", "Seat height", 5),
    ("sofa", "Arm height", 1),
    ("bed", "Headboard", 2),
    ("toilet", "Tank", 0),
    ("laptop", "Lid angle", 0),
)
TILE = (240, 190)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "images" / "named_sliders.png")
    args = parser.parse_args()
    engine = VoxelEngine.load(device="cpu")
    if engine.named_sliders is None:
        raise SystemExit(engine.named_sliders_problem)
    rows = [(c, n, s) for c, n, s in ROWS if n in engine.named_sliders.names(c)]
    width, height = TILE
    sheet = Image.new("RGB", (width * 3, height * len(rows)), "white")
    for row, (class_name, name, seed) in enumerate(rows):
        slider = engine.named_sliders.find(class_name, name)
        class_id = engine.classes.index(class_name)
        for col, value in enumerate((slider.low, 0.0, slider.high)):
            offset = engine.named_slider_offset(class_id, {name: value})
            grid = engine.generate(engine.latent_for_seed(seed), class_id, offset=offset)
            tile = Image.fromarray(render_grid_image(grid, window_size=TILE))
            ImageDraw.Draw(tile).text((6, 4), f"{class_name} seed {seed}: {name} {value:+.1f}", fill=(0, 0, 0))
            sheet.paste(tile, (col * width, row * height))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
