"""voxstudio.core.grid: resampling, framing, filling, thresholding."""

from __future__ import annotations

import numpy as np
import pytest
from core_shapes import box_grid, chair_grid

from voxstudio.core.grid import bounding_box, fill_interior, normalise, resize, resize_to_shape, to_occupancy


def test_resize_downsample_keeps_one_voxel_thin_parts() -> None:
    grid = np.zeros((64, 64, 64), dtype=bool)
    grid[10, :, 5] = True  # a one-voxel-thin rod
    small = resize(grid, 32)
    assert small.shape == (32, 32, 32) and small.dtype == np.bool_
    assert small[5, :, 2].all()
    assert small.sum() == 32


def test_resize_downsample_is_max_pool_for_integer_factor() -> None:
    rng = np.random.default_rng(0)
    grid = rng.random((32, 32, 32)).astype(np.float32)
    expected = grid.reshape(16, 2, 16, 2, 16, 2).max(axis=(1, 3, 5))
    out = resize(grid, 16)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)


def test_resize_non_integer_factor_covers_every_source_voxel() -> None:
    rng = np.random.default_rng(1)
    grid = rng.random((50, 50, 50)) > 0.999
    out = resize(grid, 32)
    assert out.shape == (32, 32, 32)
    # Blocks partition the source; every occupied source voxel lands in an occupied block,
    # and nothing else is occupied.
    starts = (np.arange(32) * 50) // 32
    block = np.searchsorted(starts, np.argwhere(grid), side="right") - 1
    expected = np.zeros((32, 32, 32), bool)
    expected[block[:, 0], block[:, 1], block[:, 2]] = True
    np.testing.assert_array_equal(out, expected)


def test_resize_upsample_is_nearest() -> None:
    grid = box_grid(8, (2, 3, 0), (4, 5, 6))
    big = resize(grid, 32)
    np.testing.assert_array_equal(big, np.repeat(np.repeat(np.repeat(grid, 4, 0), 4, 1), 4, 2))
    assert resize(big, 8).tolist() == grid.tolist()


def test_resize_to_shape_mixed_axes_and_same_size_copy() -> None:
    grid = np.ones((4, 10, 3), dtype=np.uint8)
    out = resize_to_shape(grid, (8, 5, 3))
    assert out.shape == (8, 5, 3) and out.dtype == np.uint8 and out.all()
    same = resize(np.ones((5, 5, 5), bool), 5)
    assert same.all()


def test_normalise_scales_centres_and_grounds() -> None:
    grid = np.zeros((40, 40, 40), dtype=bool)
    grid[30:34, 5:9, 20:28] = True  # 4 x 4 x 8 floating off-centre
    out = normalise(grid, resolution=32)
    lo, hi = bounding_box(out)
    extent = hi - lo
    assert extent[2] == 30  # longest side spans R - 2
    assert extent[0] == extent[1] == 15  # aspect ratio kept (4:8 -> 15:30)
    assert lo[2] == 0  # standing on the ground
    assert lo[0] == (32 - 15) // 2 and lo[1] == (32 - 15) // 2  # centred in x and y
    assert out.dtype == np.bool_


def test_normalise_keeps_thin_parts_and_dtype() -> None:
    chair = chair_grid(64).astype(np.float32)
    out = normalise(chair, resolution=32)
    assert out.dtype == np.float32 and out.shape == (32, 32, 32)
    # the legs (2 voxels at 64^3) survive down-sampling
    assert out[:, :, 0].sum() >= 4


def test_normalise_empty_and_margin() -> None:
    assert not normalise(np.zeros((8, 8, 8), bool)).any()
    out = normalise(box_grid(16, (0, 0, 0), (16, 16, 16)), resolution=16, margin=2)
    lo, hi = bounding_box(out)
    assert (hi - lo).tolist() == [12, 12, 12]
    with pytest.raises(ValueError):
        normalise(np.ones((4, 4, 4), bool), resolution=2)


def test_fill_interior_fills_closed_shell_not_open_cup() -> None:
    shell = box_grid(16, (2, 2, 2), (12, 12, 12)) & ~box_grid(16, (3, 3, 3), (11, 11, 11))
    filled = fill_interior(shell)
    np.testing.assert_array_equal(filled, box_grid(16, (2, 2, 2), (12, 12, 12)))
    cup = shell & ~box_grid(16, (3, 3, 11), (11, 11, 12))  # remove the lid
    np.testing.assert_array_equal(fill_interior(cup), cup)


def test_to_occupancy_threshold_and_nan() -> None:
    grid = np.array([0.2, 0.5, 0.51, np.nan, 1.0], dtype=np.float32).reshape(5, 1, 1)
    assert to_occupancy(grid).ravel().tolist() == [False, False, True, False, True]
    assert to_occupancy(grid, threshold=0.1).ravel().tolist() == [True, True, True, False, True]
    b = np.ones((2, 2, 2), bool)
    out = to_occupancy(b)
    out[0, 0, 0] = False
    assert b.all()  # a copy, not a view


def test_bounding_box() -> None:
    assert bounding_box(np.zeros((3, 3, 3))) is None
    lo, hi = bounding_box(box_grid(10, (1, 2, 3), (4, 6, 9)))
    assert lo.tolist() == [1, 2, 3] and hi.tolist() == [4, 6, 9]
