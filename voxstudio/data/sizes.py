"""Real-world sizes per class, for exporting a shape at a plausible physical size.

A grid carries no scale: every shape is framed with its longest side spanning
``R - 2`` voxels. To print or render one at a believable size we need metres per
voxel. :data:`CLASS_SIZES` holds each class's typical overall height and longest
side in metres, measured as medians over the procedural generators
(``voxstudio.data.procedural``, which build furniture from parts in metres; a
test checks the table against them), so "a chair" comes out about 0.96 m tall.

The longest side sets the scale (it is what the framing normalises, and it
varies less than height: beds with and without headboards differ most in
height).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voxstudio.core.grid import bounding_box

__all__ = ["CLASS_SIZES", "FALLBACK_LONGEST_M", "ClassSize", "default_voxel_size", "physical_extent"]


@dataclass(frozen=True)
class ClassSize:
    """Typical overall height and longest side of one class, in metres."""

    height_m: float
    longest_m: float


CLASS_SIZES: dict[str, ClassSize] = {
    "bathtub": ClassSize(0.58, 1.69),
    "bed": ClassSize(1.23, 2.10),
    "chair": ClassSize(0.96, 0.96),
    "desk": ClassSize(0.75, 1.42),
    "dresser": ClassSize(0.92, 1.33),
    "monitor": ClassSize(0.47, 0.57),
    "night_stand": ClassSize(0.55, 0.59),
    "sofa": ClassSize(0.90, 1.84),
    "table": ClassSize(0.72, 1.12),
    "toilet": ClassSize(0.87, 0.87),
    "wardrobe": ClassSize(2.00, 2.00),
    "laptop": ClassSize(0.23, 0.37),
}
"""Median height and longest side (metres) of each class's procedural shapes."""

FALLBACK_LONGEST_M = 1.0
"""Longest side given to a shape of unknown class (a piece of furniture of about a metre)."""


def default_voxel_size(class_name: str | None, occupancy: np.ndarray) -> float:
    """Metres per voxel that give ``occupancy`` its class's typical longest side.

    Unknown classes (or None) get :data:`FALLBACK_LONGEST_M`; an empty grid uses
    the grid's own size as the extent.
    """
    size = CLASS_SIZES.get(class_name or "")
    longest_m = size.longest_m if size else FALLBACK_LONGEST_M
    grid = np.asarray(occupancy)
    box = bounding_box(grid)
    voxels = int((box[1] - box[0]).max()) if box is not None else max(grid.shape)
    return longest_m / max(voxels, 1)


def physical_extent(occupancy: np.ndarray, voxel_size: float) -> tuple[float, float, float]:
    """Width, depth and height (metres) of the occupied voxels at ``voxel_size`` metres each."""
    box = bounding_box(np.asarray(occupancy))
    if box is None:
        return (0.0, 0.0, 0.0)
    extent = (box[1] - box[0]) * float(voxel_size)
    return (float(extent[0]), float(extent[1]), float(extent[2]))
