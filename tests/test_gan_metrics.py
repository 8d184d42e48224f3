"""COV / MMD / 1-NNA / class agreement on hand-made voxel sets."""

from __future__ import annotations

import numpy as np
import pytest

from voxstudio.training.gan_metrics import (
    class_agreement,
    evaluate_generator,
    nearest_iou,
    paired_iou,
    pairwise_iou,
    set_metrics,
)


def _boxes(sizes: list, r: int = 16, z0: int = 0) -> np.ndarray:
    """Corner-anchored boxes; a size is an int (cube) or an (sx, sy, sz) triple."""
    out = np.zeros((len(sizes), r, r, r), bool)
    for i, s in enumerate(sizes):
        sx, sy, sz = (s, s, s) if np.ndim(s) == 0 else s
        out[i, :sx, :sy, z0 : z0 + sz] = True
    return out


def _replaying(shapes: np.ndarray, labels: np.ndarray):
    """A ``generate(z, ids)`` that returns the given shapes of each requested class, in order."""

    def generate(z: np.ndarray, ids: np.ndarray) -> np.ndarray:
        return np.concatenate([shapes[labels == c][: (ids == c).sum()] for c in np.unique(ids)]).astype(np.float32)

    return generate


def test_pairwise_iou_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    a = rng.random((5, 8, 8, 8)) > 0.6
    b = rng.random((7, 8, 8, 8)) > 0.3
    b[0] = False
    expected = np.array([[(x & y).sum() / (x | y).sum() for y in b] for x in a])
    np.testing.assert_allclose(pairwise_iou(a, b, chunk=2), expected, rtol=1e-6)
    # Float inputs are thresholded at 0.5.
    np.testing.assert_allclose(pairwise_iou(a.astype(np.float32) * 0.9, b), expected, rtol=1e-6)
    np.testing.assert_allclose(paired_iou(a, b[:5]), np.diag(expected[:, :5]), rtol=1e-6)
    empty = np.zeros((1, 8, 8, 8), bool)
    assert pairwise_iou(empty, empty)[0, 0] == 1.0


def test_identical_sets() -> None:
    ref = _boxes([3, 5, 7, 9, 11, 13])
    m = set_metrics(ref.copy(), ref)
    assert m.mmd == 0.0
    assert m.cov == 1.0
    # A generator that copies the reference set is "too close": every shape's
    # nearest neighbour is its copy in the other set -> 1-NNA 0 (<= 0.5).
    assert m.nna == 0.0


def test_same_distribution_gives_half() -> None:
    """Two independent samples of one distribution are indistinguishable: 1-NNA ~ 0.5."""
    rng = np.random.default_rng(0)
    pool = np.stack(np.meshgrid(*[np.arange(2, 15)] * 3, indexing="ij"), -1).reshape(-1, 3)
    picks = pool[rng.choice(len(pool), 160, replace=False)]
    a, b = _boxes(picks[:80].tolist()), _boxes(picks[80:].tolist())
    m = set_metrics(a, b)
    assert 0.3 <= m.nna <= 0.7
    assert m.cov > 0.4
    assert 0.0 < m.mmd < 0.3


def test_disjoint_sets() -> None:
    small = _boxes([2, 3, 4, 5])
    floating = _boxes([2, 3, 4, 5], z0=10)  # same boxes lifted: zero overlap
    m = set_metrics(small, floating)
    assert m.nna == 1.0
    assert m.mmd > 0.5
    half = set_metrics(small[:1].repeat(4, axis=0), small)
    assert half.cov == pytest.approx(0.25)


def test_class_agreement_and_evaluate_generator() -> None:
    assert class_agreement([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    with pytest.raises(ValueError):
        class_agreement([], [])
    ref = np.concatenate([_boxes([4, 5, 6, 7]), _boxes([4, 5, 6, 7], z0=8)])
    labels = np.array([0] * 4 + [1] * 4)

    perfect = _replaying(ref, labels)  # returns exactly the reference shapes of the class: a copying generator
    out = evaluate_generator(perfect, ref, labels, latent_dim=4, classify=lambda g: (g[:, :, :, 8:].any(axis=(1, 2, 3))).astype(int))
    assert out["mmd"] == 0.0 and out["cov"] == 1.0
    assert out["class_agreement"] == 1.0


def test_nearest_training_iou_tells_copies_from_new_shapes() -> None:
    train = np.concatenate([_boxes([4, 6, 8]), _boxes([4, 6, 8], z0=8)])
    train_labels = np.array([0] * 3 + [1] * 3)
    ref = np.concatenate([_boxes([5, 7]), _boxes([5, 7], z0=8)])
    labels = np.array([0] * 2 + [1] * 2)
    assert np.allclose(nearest_iou(train[:3], train), 1.0)
    # The 5-cube lies inside the 6-cube (IoU 125/216), nearer than the 4-cube inside it (64/125).
    assert nearest_iou(_boxes([5]), train[:3])[0] == pytest.approx(125 / 216)

    copying, new = _replaying(train, train_labels), _replaying(ref, labels)
    copied = evaluate_generator(copying, ref, labels, latent_dim=4, training=(train, train_labels))
    fresh = evaluate_generator(new, ref, labels, latent_dim=4, training=(train, train_labels))
    assert copied["nearest_train_iou"] == 1.0
    assert fresh["nearest_train_iou"] == pytest.approx(fresh["reference_nearest_train_iou"])
    assert fresh["nearest_train_iou"] < 0.8
    assert "nearest_train_iou" not in evaluate_generator(new, ref, labels, latent_dim=4)
