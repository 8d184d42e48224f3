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


# ---------------------------------------------------------------- real-file augmentation
#
# Real files differ from the procedural shapes in ways no mirror or shift covers:
# they face any direction (ModelNet's "aligned" models still disagree on the front,
# and a user's file may have been exported either way), some are hollow surface
# shells (ShapeNet's .surface.binvox, open polygon soups), proportions stretch
# beyond the generators' ranges, and game assets are chunky and low-poly.
# ``real_file_augment`` draws all of these per sample.

#: Chance per sample of each real-file nuisance (yaw is always drawn, 4 steps of 90 degrees).
SHELL_PROBABILITY = 0.2
STRETCH_PROBABILITY = 0.3
DILATE_PROBABILITY = 0.08
#: A stretched axis keeps this fraction of its length at least (then the shape is re-framed).
MIN_STRETCH = 0.6


def rotate_yaw90(voxels: Tensor, quarter_turns: Tensor) -> Tensor:
    """Rotate each sample of ``(B, R, R, R)`` by ``quarter_turns[b]`` x 90 degrees about z (exact)."""
    out = voxels.clone()
    for k in (1, 2, 3):
        chosen = (quarter_turns % 4) == k
        if bool(chosen.any()):
            out[chosen] = torch.rot90(voxels[chosen], k, dims=(1, 2))
    return out


def surface_shell(voxels: Tensor) -> Tensor:
    """Keep only voxels with an empty face neighbour (a hollow, surface-only version of a solid).

    Outside the grid counts as empty, so the floor layer stays part of the shell.
    """
    padded = torch.nn.functional.pad(voxels, (1, 1, 1, 1, 1, 1))
    size = voxels.shape[-1]
    interior = voxels
    for axis in (1, 2, 3):
        for offset in (0, 2):
            window = [slice(None)] + [slice(1, 1 + size)] * 3
            window[axis] = slice(offset, offset + size)
            interior = interior * padded[tuple(window)]
    return voxels * (1 - interior)


def dilate(voxels: Tensor) -> Tensor:
    """Grow occupancy by one voxel (26-neighbourhood): chunky, low-poly looking parts."""
    return torch.nn.functional.max_pool3d(voxels[:, None], 3, stride=1, padding=1)[:, 0]


def stretch(grid: Tensor, factors: tuple[float, float, float]) -> Tensor:
    """Scale one shape's axes by ``factors`` (each <= 1) and re-frame it like the training data."""
    import numpy as np

    from voxstudio.core.grid import bounding_box, normalise, resize_to_shape

    array = grid.cpu().numpy() > 0.5
    box = bounding_box(array)
    if box is None:
        return grid
    lo, hi = box
    cropped = array[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    shape = tuple(max(1, int(round(n * f))) for n, f in zip(cropped.shape, factors))
    framed = normalise(resize_to_shape(cropped, shape), array.shape[0])
    return torch.from_numpy(np.ascontiguousarray(framed)).to(grid.dtype).to(grid.device)


def real_file_augment(voxels: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Mirror/shift plus the nuisances of real files, per sample of a ``(B, R, R, R)`` batch.

    Order: proportions (re-framed), any of four yaws, chunky or hollow parts, then
    the mirror and the shifts of :func:`flip_and_shift`.
    """
    batch = voxels.shape[0]

    def coin(p: float) -> Tensor:
        return torch.rand(batch, generator=generator) < p

    stretched = coin(STRETCH_PROBABILITY)
    axes = torch.randint(0, 3, (batch,), generator=generator)
    amounts = MIN_STRETCH + (1 - MIN_STRETCH) * torch.rand(batch, generator=generator)
    out = voxels.clone()
    for index in torch.nonzero(stretched).flatten().tolist():
        factors = [1.0, 1.0, 1.0]
        factors[int(axes[index])] = float(amounts[index])
        out[index] = stretch(voxels[index], (factors[0], factors[1], factors[2]))
    out = rotate_yaw90(out, torch.randint(0, 4, (batch,), generator=generator).to(voxels.device))
    dilated = coin(DILATE_PROBABILITY).to(voxels.device)
    shelled = coin(SHELL_PROBABILITY).to(voxels.device) & ~dilated
    if bool(dilated.any()):
        out[dilated] = dilate(out[dilated])
    if bool(shelled.any()):
        out[shelled] = surface_shell(out[shelled])
    return flip_and_shift(out, generator=generator)
