"""voxstudio.core.iou: one IoU for numpy and torch, two empty grids -> 1."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from voxstudio.core.iou import batch_iou, grid_iou, iou_from_counts


def _brute(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else np.logical_and(a, b).sum() / union


def test_batch_iou_numpy_and_torch_agree_with_brute_force() -> None:
    rng = np.random.default_rng(0)
    a = rng.random((6, 5, 5, 5)) > 0.6
    b = rng.random((6, 5, 5, 5)) > 0.4
    b[5] = a[5]  # identical pair
    a[4] = b[4] = False  # two empty grids
    expected = [_brute(x, y) for x, y in zip(a, b)]
    np.testing.assert_allclose(batch_iou(a, b), expected, rtol=1e-12)
    result = batch_iou(torch.from_numpy(a), torch.from_numpy(b))
    assert isinstance(result, torch.Tensor) and result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6)
    assert expected[4] == 1.0 and expected[5] == 1.0


def test_batch_iou_broadcasts_one_target_against_a_batch() -> None:
    target = torch.zeros(1, 4, 4, 4, dtype=torch.bool)
    target[0, :2] = True  # 32 voxels
    batch = torch.zeros(3, 4, 4, 4, dtype=torch.bool)
    batch[0, :2] = True  # equal
    batch[1, :1] = True  # half of it
    # batch[2] empty against a non-empty target
    assert batch_iou(batch, target).tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_iou_from_counts_handles_zero_union() -> None:
    np.testing.assert_allclose(iou_from_counts(np.array([0, 2, 3]), np.array([0, 4, 3])), [1.0, 0.5, 1.0])


def test_grid_iou_thresholds_and_resizes_the_second_grid() -> None:
    a = np.zeros((8, 8, 8), np.float32)
    a[:4] = 0.9
    b = np.zeros((16, 16, 16), np.float32)
    b[:8] = 0.7
    assert grid_iou(a, b) == pytest.approx(1.0)
    assert grid_iou(a, np.full_like(a, 0.49)) == 0.0
    assert grid_iou(np.zeros((4, 4, 4)), np.zeros((4, 4, 4))) == 1.0
