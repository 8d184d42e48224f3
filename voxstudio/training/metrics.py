"""Classification metrics: accuracy, confusion matrix, per-class accuracy.

Plain numpy so the evaluator, the training task and reports share one
definition (rows of the confusion matrix are the true class, columns the
prediction).  The GAN's set metrics (COV / MMD / 1-NNA) live in
``gan_metrics.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _as_labels(values: Any, name: str) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D array of integer class ids, got {array.dtype} {array.shape}")
    return array.astype(np.int64, copy=False)


def accuracy(predicted: Any, target: Any) -> float:
    """Fraction of predictions equal to the target (NaN for no samples)."""
    predicted, target = _as_labels(predicted, "predicted"), _as_labels(target, "target")
    if predicted.shape != target.shape:
        raise ValueError(f"predicted {predicted.shape} and target {target.shape} differ in length")
    return float(np.mean(predicted == target)) if target.size else float("nan")


def confusion_matrix(predicted: Any, target: Any, num_classes: int) -> np.ndarray:
    """(C, C) int64 counts; ``[t, p]`` = samples of true class t predicted as p."""
    predicted, target = _as_labels(predicted, "predicted"), _as_labels(target, "target")
    if predicted.shape != target.shape:
        raise ValueError(f"predicted {predicted.shape} and target {target.shape} differ in length")
    for name, values in (("predicted", predicted), ("target", target)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} class ids must be in [0, {num_classes})")
    flat = np.bincount(target * num_classes + predicted, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def per_class_accuracy(confusion: np.ndarray, rejected: np.ndarray | None = None) -> np.ndarray:
    """Recall of each class (diagonal / row sum); NaN for a class with no samples.

    ``rejected`` (C,) counts shapes answered "none of these" per true class: they
    count in the row total as wrong answers.
    """
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1).astype(np.float64)
    if rejected is not None:
        totals = totals + np.asarray(rejected, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / np.where(totals > 0, totals, 1), np.nan)
