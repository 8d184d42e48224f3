"""Small analytic voxel shapes for the core tests (chair, box, sphere).

Shapes follow the project convention: (x, y, z), z up, front towards -y.
"""

from __future__ import annotations

import numpy as np


def box_grid(resolution: int, lo: tuple[int, int, int], hi: tuple[int, int, int]) -> np.ndarray:
    """Solid axis-aligned box of voxels ``lo <= index < hi``."""
    grid = np.zeros((resolution,) * 3, dtype=bool)
    grid[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] = True
    return grid


def chair_grid(resolution: int = 32) -> np.ndarray:
    """A chair built from boxes: four legs, a seat, and a backrest at the back (+y)."""
    r = resolution / 32.0
    s = lambda v: int(round(v * r))  # noqa: E731 - tiny local scaler
    grid = np.zeros((resolution,) * 3, dtype=bool)
    grid[s(8) : s(24), s(8) : s(24), s(12) : s(14)] = True  # seat
    for x in (s(8), s(22)):
        for y in (s(8), s(22)):
            grid[x : x + s(2), y : y + s(2), 0 : s(12)] = True  # legs
    grid[s(8) : s(24), s(22) : s(24), s(14) : s(30)] = True  # backrest at the back
    return grid


def sphere_grid(resolution: int, radius: float) -> np.ndarray:
    """Solid ball of voxels whose centres lie within ``radius`` of the grid centre."""
    centre = resolution / 2.0
    x, y, z = np.meshgrid(*(np.arange(resolution) + 0.5,) * 3, indexing="ij")
    return (x - centre) ** 2 + (y - centre) ** 2 + (z - centre) ** 2 < radius**2


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0
