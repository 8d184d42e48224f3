"""Test-time voting over yaws, and the "none of these" answer, for both classifiers.

Real files face any direction, so one forward pass on one pose is a coin toss
between a chair and its back view. As VoxNet (Maturana & Scherer 2015) and VRN
(Brock et al. 2016) do, every shape is classified in its four 90-degree yaws and
the votes averaged; the classifiers are trained with the same four yaws
(:func:`voxstudio.training.augment.real_file_augment`).

*Presence* is how strongly any class is there: for the capsule network the
longest averaged class capsule (a capsule's length is the probability that its
entity exists, Sabour et al. 2017), for the CNN the largest averaged softmax
probability. Below the threshold calibrated at training time
(``none_threshold`` in the weights JSON, see
:mod:`voxstudio.training.calibration`) the answer is "none of these".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from voxstudio.models.capsnet import CapsNet3D

__all__ = ["YAW_VOTES", "Votes", "yaw_views", "vote", "is_none_of_these"]

#: Poses each shape is classified in (quarter turns about z).
YAW_VOTES = 4


@dataclass
class Votes:
    """Averaged outputs for a batch of B shapes."""

    probabilities: Tensor  # (B, C), rows sum to 1
    presence: Tensor  # (B,) in [0, 1]
    poses: Tensor | None = None  # (B, C, D) capsule poses of the unturned view
    reconstruction: Tensor | None = None  # (B, R, R, R) logits, decoded from the predicted class


def yaw_views(x: Tensor, votes: int = YAW_VOTES) -> Tensor:
    """``(B, R, R, R)`` -> ``(B * votes, R, R, R)``: each shape in ``votes`` quarter turns, shape-major."""
    views = [torch.rot90(x, k, dims=(1, 2)) for k in range(votes)]
    return torch.stack(views, dim=1).reshape(-1, *x.shape[1:])


def vote(model: nn.Module, x: Tensor, votes: int = YAW_VOTES, reconstruct: bool = False) -> Votes:
    """Classify ``(B, R, R, R)`` occupancy in ``votes`` yaws and average (capsule network or CNN)."""
    batch = x.shape[0]
    views = yaw_views(x, votes)
    if hasattr(model, "capsules"):
        capsnet = cast("CapsNet3D", model)
        poses, lengths = capsnet.capsules(views)
        mean = lengths.reshape(batch, votes, -1).mean(dim=1)
        probabilities = mean / mean.sum(dim=1, keepdim=True).clamp_min(1e-12)
        first = poses.reshape(batch, votes, *poses.shape[1:])[:, 0]
        recon = capsnet.decode(first, probabilities.argmax(dim=1)) if reconstruct else None
        return Votes(probabilities, mean.max(dim=1).values.clamp(0.0, 1.0), first, recon)
    logits = model(views)
    probabilities = torch.softmax(logits.float(), dim=1).reshape(batch, votes, -1).mean(dim=1)
    return Votes(probabilities, probabilities.max(dim=1).values)


def is_none_of_these(presence: float, threshold: float | None) -> bool:
    """True when no class is present enough (never when no threshold was calibrated)."""
    return threshold is not None and float(presence) < float(threshold)
