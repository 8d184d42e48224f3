"""Latent-space helpers: spherical interpolation, random walks and slider directions.

Latents are standard normal, so almost all their mass lies on a thin shell of
radius ~sqrt(latent_dim). Linear interpolation cuts through the (never trained)
inside of that shell and gives washed-out shapes mid-way; ``slerp`` stays on it.

Slider directions: the GUI offers K sliders that each move the shape "one
meaningful way". We find them without labels by PCA of *generated* shapes (the
main modes of shape variation the generator actually produces), then regress
the PCA scores on the decoder latents' slider-frame coordinates (the frame sliders
move shapes in, see ``Generator.slider_step``): the regression weights are the
directions that move a shape along each principal mode. They are orthonormalised (so sliders are
independent and ``z`` stays on the shell for moderate values) and each gets a
scale so that slider range [-3, 3] produces a visible but still in-distribution
change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from voxstudio.core.iou import batch_iou

if TYPE_CHECKING:  # pragma: no cover
    from voxstudio.models.gan import Generator


def slerp(a: np.ndarray, b: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Spherical interpolation between latents ``a`` and ``b`` (both ``(D,)``).

    ``t`` scalar -> ``(D,)``; ``t`` array ``(T,)`` -> ``(T, D)``. Norms are
    interpolated linearly and the direction along the great circle, so endpoints
    are exact and intermediate norms stay between ``|a|`` and ``|b|``. Falls back
    to linear interpolation for (anti-)parallel inputs where the circle is undefined.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"slerp needs two vectors of equal shape, got {a.shape} and {b.shape}")
    scalar = np.ndim(t) == 0
    ts = np.atleast_1d(np.asarray(t, dtype=np.float64))[:, None]
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 or nb == 0.0:
        out = (1.0 - ts) * a + ts * b
    else:
        ua, ub = a / na, b / nb
        omega = np.arccos(np.clip(ua @ ub, -1.0, 1.0))
        if omega < 1e-6 or np.pi - omega < 1e-6:
            direction = (1.0 - ts) * ua + ts * ub
            direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-12)
        else:
            so = np.sin(omega)
            direction = (np.sin((1.0 - ts) * omega) * ua + np.sin(ts * omega) * ub) / so
        out = direction * ((1.0 - ts) * na + ts * nb)
    out = out.astype(np.float32)
    return out[0] if scalar else out


def random_latents(count: int, latent_dim: int, seed: int | None = None) -> np.ndarray:
    """``(count, latent_dim)`` standard-normal latents, reproducible per ``seed``."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)


def random_walk(
    latent_dim: int,
    keyframes: int = 4,
    frames_per_segment: int = 30,
    seed: int | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Smooth latent tour: slerp between random keyframes, ``(frames, latent_dim)``.

    Used for "explore" animations: every frame is on the latent shell and
    consecutive frames differ by a small angle, so the shape morphs smoothly.
    ``start`` (optional) is the first keyframe, e.g. the current latent.
    """
    if keyframes < 2 or frames_per_segment < 1:
        raise ValueError("need at least 2 keyframes and 1 frame per segment")
    keys = random_latents(keyframes, latent_dim, seed)
    if start is not None:
        keys[0] = np.asarray(start, dtype=np.float32)
    ts = np.arange(frames_per_segment) / frames_per_segment
    segments = [slerp(keys[i], keys[i + 1], ts) for i in range(keyframes - 1)]
    return np.concatenate(segments + [keys[-1:]], axis=0)


def perturb(z: np.ndarray, amount: float, seed: int | None = None) -> np.ndarray:
    """A nearby latent: rotate ``z`` a fraction ``amount`` (0..1) toward a random latent."""
    other = random_latents(1, np.asarray(z).shape[-1], seed)[0]
    return slerp(np.asarray(z, dtype=np.float32), other, float(amount))


def _pooled_samples(generator: Generator, z: torch.Tensor, y: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Generated grids average-pooled to at most 16^3 and flattened: ``(N, F)``.

    Pooling keeps PCA cheap (4096 features at 32^3) and focuses the components
    on part-level shape changes rather than single-voxel noise.
    """
    factor = max(1, generator.resolution // 16)
    chunks = []
    for start in range(0, z.shape[0], batch_size):
        grids = generator.sample(z[start : start + batch_size], y[start : start + batch_size])
        if factor > 1:
            grids = torch.nn.functional.avg_pool3d(grids.unsqueeze(1), factor)
        chunks.append(grids.flatten(1).cpu())
    return torch.cat(chunks).double()


def compute_directions(
    generator: Generator,
    k: int = 8,
    num_samples: int = 1024,
    batch_size: int = 128,
    seed: int = 0,
    calibrate: bool = True,
    calibration_samples: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Meaningful latent slider directions: ``(directions (K, D), scales (K,))``.

    1. Sample ``num_samples`` latents with uniformly random classes and generate.
    2. Centre the (pooled) grids per class, so class identity -- which ``z`` does
       not control -- does not eat the leading components.
    3. PCA -> top ``k`` modes of within-class shape variation and their scores.
    4. Least-squares regress the scores on ``z``: column ``j`` of the solution is
       the latent direction that best drives mode ``j``.
    5. Orthonormalise in order of variance (QR), so direction 0 is the strongest.
    6. Optionally calibrate a per-direction scale (:func:`calibrate_scales`).
    """
    latent_dim = generator.latent_dim
    if k < 1 or k > latent_dim:
        raise ValueError(f"k must be in 1..{latent_dim}")
    if num_samples < max(2 * k, latent_dim + 1):
        raise ValueError("num_samples must exceed the latent size for a stable regression")
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(num_samples, latent_dim, generator=gen)
    y = torch.randint(0, generator.num_classes, (num_samples,), generator=gen)
    device = next(generator.parameters()).device
    feats = _pooled_samples(generator, z.to(device), y.to(device), batch_size)
    y_cpu = y.cpu()
    for c in torch.unique(y_cpu):
        mask = y_cpu == c
        feats[mask] -= feats[mask].mean(dim=0, keepdim=True)
    # Top-k right singular vectors = principal axes; scores = projections.
    _, _, vh = torch.linalg.svd(feats, full_matrices=False)
    scores = feats @ vh[:k].T  # (N, k)
    # Regress on slider-frame coordinates (the input latents themselves without a
    # mixture or diffusion prior): see Generator.slider_step.
    with torch.no_grad():
        frame = generator.slider_coordinates(generator.decoder_latent(z.to(device), y.to(device)), y.to(device))
    z64 = frame.cpu().double()
    weights = torch.linalg.lstsq(z64, scores).solution  # (D, k)
    q, r = torch.linalg.qr(weights)
    # Keep the sign that increases each principal score (QR may flip columns).
    q = q * torch.sign(torch.diagonal(r)).where(torch.diagonal(r) != 0, torch.ones(k, dtype=q.dtype))
    directions = q.T.float().numpy().astype(np.float32)  # (k, D), orthonormal rows
    if calibrate:
        scales = calibrate_scales(generator, directions, num_samples=calibration_samples, seed=seed)
    else:
        scales = np.ones(k, dtype=np.float32)
    return directions, scales


def export_directions(
    generator: Generator, k: int, direction_samples: int, calibration_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """The slider directions saved with exported weights (training export and prior refits alike).

    :func:`compute_directions` with seed 0 and at least ``latent_dim + 1`` samples,
    scale-calibrated on ``calibration_samples`` latents (0: not calibrated).
    """
    return compute_directions(
        generator,
        k=k,
        num_samples=max(direction_samples, generator.latent_dim + 1),
        seed=0,
        calibrate=calibration_samples > 0,
        calibration_samples=calibration_samples,
    )


def calibrate_scales(
    generator: Generator,
    directions: np.ndarray,
    num_samples: int = 64,
    target_change: float = 0.35,
    candidates: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5),
    seed: int = 0,
) -> np.ndarray:
    """Per-direction latent units per slider unit.

    For each direction pick the smallest candidate scale whose slider extremes
    (+-3) change the thresholded shape by ``target_change`` (mean 1 - IoU with
    the unmoved shape). The largest candidate (1.5 -> 4.5 sigma at the slider end)
    caps the move so ``z`` stays in the region the generator was trained on.
    """
    gen = torch.Generator().manual_seed(seed + 1)
    device = next(generator.parameters()).device
    z = torch.randn(num_samples, generator.latent_dim, generator=gen).to(device)
    y = torch.randint(0, generator.num_classes, (num_samples,), generator=gen).to(device)
    base = generator.sample(z, y) > 0.5
    dirs = torch.as_tensor(directions, dtype=torch.float32, device=device)
    scales = np.full(len(directions), candidates[-1], dtype=np.float32)
    for j, d in enumerate(dirs):
        for s in candidates:
            change = 0.0
            for sign in (-1.0, 1.0):
                moved = generator.sample(z, y, offset=sign * 3.0 * s * d) > 0.5
                change += float((1.0 - batch_iou(base, moved)).mean()) / 2.0
            if change >= target_change:
                scales[j] = s
                break
    return scales
