"""Render what a few capsule pose dimensions do: docs/images/pose_explorer.png.

    python docs/pose_explorer_sheet.py [--out docs/images/pose_explorer.png]

For the README's "Pose explorer" section: each row is one sample shape
(``resources/samples/<class>.binvox``) classified by the shipped capsule network,
its predicted class capsule's pose decoded with one dimension offset by
-0.25 / 0 / +0.25 (what dragging that slider in the GUI shows), plus the
occupied-voxel count and the bounding box, so the description can be checked.
Dimensions are numbered from 1, like the GUI's sliders (d1..d16).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from voxstudio.core.io import load_voxels
from voxstudio.core.render import render_grid_image
from voxstudio.models.engine import VoxelEngine
from voxstudio.paths import resource_path

#: (sample, 1-based dimension) per row.
ROWS = (("chair", 2), ("chair", 5), ("chair", 14), ("table", 2), ("bed", 11), ("wardrobe", 12))
OFFSETS = (-0.25, 0.0, 0.25)
TILE = (240, 190)


def extent(grid: np.ndarray) -> str:
    occupied = np.argwhere(grid >= 0.5)
    if not len(occupied):
        return "empty"
    dx, dy, dz = (occupied.max(0) - occupied.min(0) + 1).tolist()
    return f"{len(occupied)} vox, {dx}x{dy}x{dz}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "images" / "pose_explorer.png")
    args = parser.parse_args()
    engine = VoxelEngine.load(device="cpu")
    width, height = TILE
    sheet = Image.new("RGB", (width * len(OFFSETS), height * len(ROWS)), "white")
    for row, (name, dim) in enumerate(ROWS):
        result = engine.classify(load_voxels(resource_path("samples", f"{name}.binvox")))
        pose = result.poses[result.predicted]
        for col, offset in enumerate(OFFSETS):
            moved = pose.copy()
            moved[dim - 1] += offset
            grid = engine.decode_pose(moved, result.predicted)
            tile = Image.fromarray(render_grid_image(grid, window_size=TILE))
            draw = ImageDraw.Draw(tile)
            draw.text((6, 4), f"{name} d{dim} {offset:+.2f}", fill=(0, 0, 0))
            draw.text((6, 16), extent(grid), fill=(60, 60, 60))
            sheet.paste(tile, (col * width, row * height))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
