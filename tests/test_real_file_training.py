"""What the classifiers learn from for real files: augmentation, outliers, voting, pose search."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from core_shapes import chair_grid

from voxstudio.core.io.prepare import PreparedShape, frame_grid
from voxstudio.core.orientation import SHAPENET, Z_UP
from voxstudio.data.procedural.outliers import OUTLIER_KINDS, generate_outlier
from voxstudio.models import build_classifier
from voxstudio.models.capsnet import margin_loss
from voxstudio.models.file_classifier import settle_pose
from voxstudio.models.voting import is_none_of_these, vote, yaw_views
from voxstudio.training.augment import dilate, real_file_augment, rotate_yaw90, stretch, surface_shell
from voxstudio.training.classifier_task import OUTLIER_LABEL, build_task, with_outliers


def _chairs(count: int = 4) -> torch.Tensor:
    chair = torch.from_numpy(frame_grid(chair_grid(32), 32)).float()
    return chair[None].repeat(count, 1, 1, 1)


def test_surface_shell_keeps_only_voxels_with_an_empty_face_neighbour() -> None:
    block = torch.zeros(1, 8, 8, 8)
    block[0, 2:6, 2:6, 0:4] = 1
    shell = surface_shell(block)
    assert int(shell.sum()) == 64 - 8  # the 2x2x2 core is gone
    assert shell[0, 3, 3, 1] == 0 and shell[0, 3, 3, 0] == 1  # the floor layer stays (outside is empty)
    assert bool((shell <= block).all())


def test_rotate_yaw90_is_exact_and_per_sample() -> None:
    chairs = _chairs(4)
    turned = rotate_yaw90(chairs, torch.tensor([0, 1, 2, 3]))
    for k in range(4):
        assert torch.equal(turned[k], torch.rot90(chairs[k], k, dims=(0, 1)))


def test_stretch_reframes_the_shape() -> None:
    chair = _chairs(1)[0]  # 16 x 16 x 30 voxels
    narrow = stretch(chair, (0.6, 1.0, 1.0)).numpy() > 0.5
    occupied = np.argwhere(narrow)
    extent = occupied.max(axis=0) - occupied.min(axis=0) + 1
    assert extent.tolist() == [10, 16, 30] and narrow[:, :, 0].any()
    squat = np.argwhere(stretch(chair, (1.0, 1.0, 0.5)).numpy() > 0.5)
    # 16 x 16 x 15 is re-framed: the longest side spans R - 2 again
    assert (squat.max(axis=0) - squat.min(axis=0) + 1).tolist() == [30, 30, 28]


def test_dilate_grows_by_one_voxel() -> None:
    dot = torch.zeros(1, 5, 5, 5)
    dot[0, 2, 2, 2] = 1
    assert int(dilate(dot).sum()) == 27


def test_real_file_augment_is_reproducible_and_keeps_shapes() -> None:
    chairs = _chairs(16)
    first = real_file_augment(chairs, torch.Generator().manual_seed(3))
    again = real_file_augment(chairs, torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    assert first.shape == chairs.shape and bool(((first == 0) | (first == 1)).all())
    assert bool((first.flatten(1).sum(1) > 50).all())  # nothing vanishes
    assert not torch.equal(first, chairs)


def test_outliers_are_deterministic_framed_and_cover_every_kind() -> None:
    grids = [generate_outlier(seed) for seed in range(len(OUTLIER_KINDS))]
    np.testing.assert_array_equal(grids[0], generate_outlier(0))
    for grid in grids:
        occupied = np.argwhere(grid)
        assert grid[:, :, 0].any() and (occupied.max(axis=0) - occupied.min(axis=0) + 1).max() == 30
    assert len({grid.tobytes() for grid in grids}) == len(grids)


def test_margin_loss_pushes_every_capsule_down_for_an_outlier() -> None:
    lengths = torch.tensor([[0.95, 0.05], [0.5, 0.6]])
    labels = torch.tensor([0, OUTLIER_LABEL])
    per_sample = [float(margin_loss(lengths[i:i + 1], labels[i:i + 1])) for i in range(2)]
    assert per_sample[0] == pytest.approx(0.0)
    assert per_sample[1] == pytest.approx(0.5 * ((0.5 - 0.1) ** 2 + (0.6 - 0.1) ** 2))


def test_with_outliers_appends_labelled_non_furniture() -> None:
    from voxstudio.data.dataset import VoxelDataset

    base = VoxelDataset(np.zeros((3, 32, 32, 32), bool), np.array([0, 1, 2]), ["a", "b", "c"], 32)
    mixed = with_outliers(base, 5)
    assert len(mixed) == 8 and mixed.labels[3:].tolist() == [OUTLIER_LABEL] * 5
    assert mixed.voxels[3:].any(axis=(1, 2, 3)).all() and mixed.classes == base.classes


@pytest.mark.parametrize("kind", ["capsnet", "baseline"])
def test_training_steps_with_outliers_lower_the_loss(kind: str) -> None:
    from voxstudio.data.dataset import VoxelDataset

    chairs = _chairs(6).numpy() > 0.5
    base = VoxelDataset(chairs, np.zeros(6, np.int64), ["chair", "other"], 32)
    data = with_outliers(base, 6)
    task = build_task(kind, data, None, epochs=1, outliers=6, lr=1e-3)
    task.bind(task.modules(), torch.device("cpu"))
    voxels = torch.from_numpy(data.voxels).float()
    labels = torch.from_numpy(data.labels)
    task.augment = "none"  # the same batch every step: the loss must fall
    losses = [task.train_step(voxels, labels, step)["loss"] for step in range(8)]
    assert losses[-1] < losses[0]
    assert task.weights_config()["training"]["outlier_samples"] == 6


def test_votes_do_not_depend_on_the_yaw() -> None:
    torch.manual_seed(0)
    model = build_classifier("capsnet", num_classes=3, resolution=32).eval()
    chair = _chairs(1)
    with torch.inference_mode():
        a = vote(model, chair)
        b = vote(model, torch.rot90(chair, 1, dims=(1, 2)))
    torch.testing.assert_close(a.probabilities, b.probabilities, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(a.presence, b.presence, atol=1e-5, rtol=1e-4)
    assert yaw_views(chair).shape == (4, 32, 32, 32)


def test_baseline_votes_are_probabilities() -> None:
    torch.manual_seed(0)
    model = build_classifier("baseline", num_classes=3, resolution=32).eval()
    with torch.inference_mode():
        out = vote(model, _chairs(2))
    torch.testing.assert_close(out.probabilities.sum(1), torch.ones(2))
    assert torch.equal(out.presence, out.probabilities.max(1).values)


def test_none_of_these_needs_a_threshold() -> None:
    assert is_none_of_these(0.2, 0.5) and not is_none_of_these(0.7, 0.5) and not is_none_of_these(0.0, None)


def test_pose_search_takes_the_pose_the_classifier_sees_best() -> None:
    upright = frame_grid(chair_grid(32), 32)
    lying = np.rot90(upright, 1, axes=(1, 2)).copy()
    prepared = PreparedShape(upright, "binvox 32\u00b3", None, ["re-framed"], [(Z_UP, lying), (SHAPENET, upright)])
    settle_pose(prepared, lambda grids: np.array([0.9 if np.array_equal(grid, upright) else 0.2 for grid in grids]))
    assert prepared.orientation is SHAPENET and prepared.grid is upright
    assert "pose search" in prepared.describe()
