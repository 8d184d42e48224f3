"""Voxel intersection-over-union, the one implementation every layer uses.

IoU is the project's shape-similarity measure: inversion progress (engine, GUI,
bench), the capsule decoder's reconstruction quality, the VAE-GAN's
reconstruction metric, latent-direction calibration and the GAN set metrics.
Keeping it here (the bottom layer) fixes one convention for all of them: **two
empty grids are identical (IoU 1)**, never a division by zero.

The functions are written against the operators numpy arrays and torch tensors
share (``&``, ``|``, ``reshape``, ``sum``, ``clip``, ``/``), so models can pass
tensors that stay on their device while the core keeps no torch dependency.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from voxstudio.core.grid import resize

__all__ = ["batch_iou", "grid_iou", "iou_from_counts"]

A = TypeVar("A")  # numpy.ndarray or torch.Tensor; the result is of the same library


def iou_from_counts(intersection: A, union: A) -> A:
    """``intersection / union`` element-wise, 1 where ``union`` is 0 (two empty grids).

    Integer or float counts of either library; the result is floating point.
    """
    inter: Any = intersection
    total: Any = union
    return (inter + (total == 0)) / total.clip(min=1)


def batch_iou(a: A, b: A) -> A:
    """IoU per item of boolean grids ``a`` ``(N, ...)`` and ``b`` ``(N, ...)`` -> ``(N,)``.

    Either side may have a leading size of 1 to compare one target with a batch
    (numpy/torch broadcasting). Both must be boolean, of the same library; a
    torch result is float32 on the inputs' device, a numpy one float64.
    """
    left: Any = a
    both, either = left & b, left | b
    count = both.shape[0]
    return iou_from_counts(both.reshape(count, -1).sum(1), either.reshape(count, -1).sum(1))


def grid_iou(a: np.ndarray, b: np.ndarray, threshold: float = 0.5) -> float:
    """IoU of two occupancy grids, each thresholded at ``value >= threshold``.

    ``b`` is resized to ``a``'s edge length first when the sizes differ (e.g. a
    loaded 64^3 file against a generated 32^3 shape).
    """
    occ_a = np.asarray(a) >= threshold
    grid_b = np.asarray(b)
    if grid_b.shape != occ_a.shape:
        grid_b = resize(grid_b, occ_a.shape[0])
    occ_b = grid_b >= threshold
    return float(batch_iou(occ_a[None], occ_b[None])[0])
