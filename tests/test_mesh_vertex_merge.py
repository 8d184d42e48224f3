"""Merging vertices by position (core/io/meshes.py): the fast lexsort path equals np.unique's inverse."""

from __future__ import annotations

import numpy as np
import pytest

from voxstudio.core.io.meshes import _same_position_ids


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_position_ids_equal_numpy_unique_inverse(seed: int) -> None:
    rng = np.random.default_rng(seed)
    distinct = rng.integers(-20, 20, (500, 3)).astype(np.float64) / 3.0
    vertices = distinct[rng.integers(0, len(distinct), 5000)]
    vertices[::11] *= -1.0  # mirrored copies, signed zeros included
    vertices[::13, 2] = 0.0
    vertices[::17, 2] = -0.0
    expected = np.unique(vertices, axis=0, return_inverse=True)[1].reshape(-1)
    assert np.array_equal(_same_position_ids(vertices), expected)


def test_same_position_ids_of_edge_cases() -> None:
    assert _same_position_ids(np.zeros((0, 3))).shape == (0,)
    assert _same_position_ids(np.ones((4, 3))).tolist() == [0, 0, 0, 0]
    rows = np.array([[1.0, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert _same_position_ids(rows).tolist() == [2, 1, 2, 0]  # ids in sorted order of the positions
