"""Label-preserving augmentation for classifier training: mirror in x, small shifts.

Furniture has a front (-y) and stands on the ground (z = 0), so rotations are
not label-preserving in the sense that matters: a chair seen from behind or
upside down never appears at test time.  A left-right mirror (x) and shifts of
a voxel or two (x, y; z only upwards, never below the ground) are.  Shifted-out
voxels are dropped and the vacated border is empty, never wrapped around.
"""

from __future__ import annotations

import torch
from torch import Tensor


def flip_and_shift(
    voxels: Tensor,
    max_shift: int = 2,
    max_lift: int = 1,
    flip_probability: float = 0.5,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Per-sample random x-mirror and translation of a (B, R, R, R) batch, vectorised.

    Shifts are uniform integers in ``[-max_shift, max_shift]`` for x and y and
    ``[0, max_lift]`` for z.  Randomness comes from ``generator`` (default: the
    global torch generator, which the training loop seeds and checkpoints).
    """
    batch, size = voxels.shape[0], voxels.shape[-1]
    device = voxels.device

    def draw(low: int, high: int) -> Tensor:
        return torch.randint(low, high + 1, (batch,), generator=generator).to(device)

    flip = (torch.rand(batch, generator=generator) < flip_probability).to(device)
    shift_x, shift_y, shift_z = draw(-max_shift, max_shift), draw(-max_shift, max_shift), draw(0, max_lift)
    axis = torch.arange(size, device=device)
    # Output voxel i reads input voxel i - shift (then mirrored in x when flipped).
    source_x = axis[None, :] - shift_x[:, None]
    source_x = torch.where(flip[:, None], size - 1 - source_x, source_x)
    source_y = axis[None, :] - shift_y[:, None]
    source_z = axis[None, :] - shift_z[:, None]
    inside_x = (source_x >= 0) & (source_x < size)
    inside_y = (source_y >= 0) & (source_y < size)
    inside_z = (source_z >= 0) & (source_z < size)
    index_b = torch.arange(batch, device=device)[:, None, None, None]
    gathered = voxels[
        index_b,
        source_x.clamp(0, size - 1)[:, :, None, None],
        source_y.clamp(0, size - 1)[:, None, :, None],
        source_z.clamp(0, size - 1)[:, None, None, :],
    ]
    inside = inside_x[:, :, None, None] & inside_y[:, None, :, None] & inside_z[:, None, None, :]
    return gathered * inside.to(gathered.dtype)
