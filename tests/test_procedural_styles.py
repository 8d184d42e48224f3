"""Generator v5 styles where real files failed: bathtubs, chests of drawers, console night stands, boxed TVs.

Each test finds the style by its geometry in the voxels (what the classifier sees),
not by peeking at the generator's choice, so a style that stops being produced,
or is produced with the wrong shape, fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from voxstudio.data.attributes import shape_attributes
from voxstudio.data.procedural import GENERATOR_VERSION, build_parts, build_shape, generate_shape
from voxstudio.data.procedural.primitives import rasterise

R = 32


def _box(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.argwhere(grid)
    return idx.min(axis=0), idx.max(axis=0)


def _extent(grid: np.ndarray) -> np.ndarray:
    lo, hi = _box(grid)
    return hi - lo + 1  # x (width), y (depth), z (height)


@pytest.fixture(scope="module")
def tubs() -> list[np.ndarray]:
    """Tubs without their random yaw, so corners and ends line up with the grid."""
    return [rasterise(build_parts("bathtub", s)[0], resolution=R, yaw_deg=0.0) for s in range(60)]


def test_generator_version_names_the_new_styles() -> None:
    assert GENERATOR_VERSION >= 5


def _is_corner_tub(grid: np.ndarray) -> bool:
    """Near-square footprint whose front-right corner is cut away (quarter circle or pentagon)."""
    lo, hi = _box(grid)
    ex, ey, _ = hi - lo + 1
    if abs(int(ex) - int(ey)) > 3:
        return False
    top = grid.any(axis=2)
    back_left = top[lo[0] : lo[0] + 3, hi[1] - 2 : hi[1] + 1].all()
    front_right = top[hi[0] - 2 : hi[0] + 1, lo[1] : lo[1] + 3].any()
    return bool(back_left and not front_right)


def test_corner_tubs_have_a_cut_front_and_a_basin(tubs: list[np.ndarray]) -> None:
    corner = [g for g in tubs if _is_corner_tub(g)]
    assert len(corner) >= 3
    for grid in corner:
        lo, hi = _box(grid)
        # the basin: the column a third of the way in from the back-left corner is open above its floor
        x = lo[0] + (hi[0] - lo[0]) * 2 // 5
        y = hi[1] - (hi[1] - lo[1]) * 2 // 5
        column = grid[x, y, : hi[2] + 1]
        assert column.any() and int(np.nonzero(column)[0].max()) <= hi[2] - 3


def test_tall_built_in_tubs_exist_and_stay_hollow(tubs: list[np.ndarray]) -> None:
    """Tubs in a raised deck or with the alcove's walls are much taller for their length than
    a bare tub (ModelNet's boxed-in tubs), and still open at the top."""
    tall = [g for g in tubs if _extent(g)[2] >= 0.5 * _extent(g)[:2].max() and not _is_corner_tub(g)]
    assert len(tall) >= 4
    for grid in tall:
        lo, hi = _box(grid)
        cx, cy = (lo[:2] + hi[:2]) // 2
        column = grid[cx, cy, : hi[2] + 1]
        assert int(np.nonzero(column)[0].max()) <= hi[2] - 3, "open basin"


def test_slipper_tubs_rise_at_an_end(tubs: list[np.ndarray]) -> None:
    """A slipper tub's rim climbs at one or both ends: the ends stand above its middle."""
    raised = 0
    for grid in tubs:
        lo, hi = _box(grid)
        axis = 0 if _extent(grid)[0] >= _extent(grid)[1] else 1
        heights = np.array([np.nonzero(grid.take(i, axis=axis).any(axis=0))[0].max(initial=-1)
                            for i in range(lo[axis], hi[axis] + 1)])
        n = len(heights)
        middle = heights[n * 2 // 5 : n * 3 // 5 + 1].max()
        ends = max(heights[: n // 4].max(), heights[-(n // 4):].max())
        raised += ends >= middle + 2 and grid[..., : hi[2] // 3].sum() < 0.5 * grid.sum()
    assert raised >= 3


def test_low_wide_and_tall_narrow_chests_of_drawers() -> None:
    low = tall = 0
    for seed in range(60):
        a = shape_attributes("dresser", seed)
        assert a["drawers"] >= a["drawer_rows"] >= 2
        low += a["width"] >= 1.8 * a["height"] and a["drawer_columns"] >= 2  # a lowboy: drawers in columns
        if a["height"] > 1.15 * a["width"] and not a["mirror"]:  # (a mirror on top also makes it tall)
            tall += 1
            assert a["drawer_columns"] == 1 and a["drawer_rows"] >= 3, seed  # a highboy: one column of drawers
            assert a["depth"] < 0.6 * a["height"]
    assert low >= 5 and tall >= 4


def test_console_night_stands_are_shallow_with_drawers_under_the_top() -> None:
    """Small side tables / consoles with drawers right under the top are night stands: wider than a
    bedside cube, shallow (no desk depth), the drawer band over open legs."""
    consoles = 0
    for seed in range(120):
        a = shape_attributes("night_stand", seed)
        if not (a["open_table"] and a["drawers"] == 2):  # two drawers side by side: only consoles
            continue
        consoles += 1
        assert a["depth"] < 0.72 * a["width"], seed  # 0.3-0.42 m deep: never a desk's depth
        grid = generate_shape("night_stand", seed)
        lo, hi = _box(grid)
        # the front view: solid band at the top, open between the legs below it
        front = grid.any(axis=1)[lo[0] : hi[0] + 1, lo[2] : hi[2] + 1]
        middle = front[front.shape[0] // 3 : 2 * front.shape[0] // 3]
        assert middle[:, -2:].all(), seed  # the top and drawer band
        assert not middle[:, 3 : int(0.5 * front.shape[1])].all(), seed  # knee-high space between the legs
    assert consoles >= 3


def test_boxed_vintage_televisions() -> None:
    """A vintage TV in a box cabinet (Kenney's televisionVintage): 1.25-1.8x as wide as tall, about
    as deep as tall, the screen recessed into the front face."""
    found = 0
    for seed in range(400):
        if build_shape("monitor", seed)[2].get("crt") != 1.0:
            continue
        grid = generate_shape("monitor", seed)
        ex, ey, ez = _extent(grid)
        if not (1.25 * ez <= ex <= 1.85 * ez):
            continue
        lo, hi = _box(grid)
        face = grid[:, lo[1], :].sum()
        silhouette = grid.any(axis=1).sum()
        # box cabinet: about as deep as tall (a tube set's rounded back reaches deeper)
        found += face < 0.6 * silhouette and 0.6 * ez <= ey <= 1.1 * ez
    assert found >= 3
