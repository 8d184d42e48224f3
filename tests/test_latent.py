"""slerp / random walks / slider directions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from voxstudio.models.gan import Generator
from voxstudio.models.latent import compute_directions, perturb, random_walk, slerp

torch.set_num_threads(1)


def test_slerp_endpoints_and_vectorised_t() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(16), rng.standard_normal(16) * 2
    np.testing.assert_allclose(slerp(a, b, 0.0), a, atol=1e-5)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, atol=1e-5)
    ts = np.linspace(0, 1, 7)
    path = slerp(a, b, ts)
    assert path.shape == (7, 16) and path.dtype == np.float32
    np.testing.assert_allclose(path[3], slerp(a, b, ts[3]), atol=1e-6)
    norms = np.linalg.norm(path, axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(a) + ts * (np.linalg.norm(b) - np.linalg.norm(a)), rtol=1e-5)
    # Equal angular steps along the great circle.
    unit = path / norms[:, None]
    angles = np.arccos(np.clip(np.sum(unit[1:] * unit[:-1], axis=1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-4)


def test_slerp_parallel_and_bad_shapes() -> None:
    a = np.ones(4)
    np.testing.assert_allclose(slerp(a, 3 * a, 0.5), 2 * a, atol=1e-6)
    with pytest.raises(ValueError):
        slerp(np.ones(3), np.ones(4), 0.5)


def test_random_walk_is_smooth_and_starts_at_start() -> None:
    start = np.random.default_rng(1).standard_normal(32).astype(np.float32)
    walk = random_walk(32, keyframes=3, frames_per_segment=10, seed=0, start=start)
    assert walk.shape == (21, 32)
    np.testing.assert_allclose(walk[0], start, atol=1e-6)
    steps = np.linalg.norm(np.diff(walk, axis=0), axis=1)
    assert steps.max() < 0.3 * np.linalg.norm(start)
    near = perturb(start, 0.1, seed=3)
    assert np.linalg.norm(near - start) < np.linalg.norm(start)


@pytest.fixture(scope="module")
def generator() -> Generator:
    torch.manual_seed(0)
    return Generator(num_classes=3, latent_dim=32, base_channels=4, embed_dim=4)


def test_directions_orthonormal_and_move_the_shape(generator: Generator) -> None:
    directions, scales = compute_directions(generator, k=8, num_samples=128, seed=0, calibrate=False)
    assert directions.shape == (8, 32) and directions.dtype == np.float32
    np.testing.assert_allclose(directions @ directions.T, np.eye(8), atol=1e-5)
    np.testing.assert_array_equal(scales, np.ones(8, np.float32))
    z = torch.randn(4, 32)
    base = generator.sample(z, 1)
    for d in directions[:3]:
        moved = generator.sample(z + 3.0 * torch.from_numpy(d), 1)
        assert float((moved - base).abs().mean()) > 1e-3


def test_first_direction_drives_leading_mode_more_than_random(generator: Generator) -> None:
    """The PCA-regressed direction changes generated shapes more than a random unit direction."""
    directions, _ = compute_directions(generator, k=2, num_samples=128, seed=0, calibrate=False)
    z = torch.randn(16, 32, generator=torch.Generator().manual_seed(5))
    base = generator.sample(z, 0)
    rand = torch.randn(32, generator=torch.Generator().manual_seed(6))
    rand /= rand.norm()
    moved_dir = generator.sample(z + 3.0 * torch.from_numpy(directions[0]), 0)
    moved_rand = generator.sample(z + 3.0 * rand, 0)
    assert float((moved_dir - base).abs().mean()) > float((moved_rand - base).abs().mean())


def test_calibrated_scales_come_from_candidates(generator: Generator) -> None:
    directions, scales = compute_directions(
        generator, k=2, num_samples=64, seed=0, calibrate=True, calibration_samples=4
    )
    assert scales.shape == (2,)
    assert set(np.round(scales, 3).tolist()) <= {0.5, 0.75, 1.0, 1.25, 1.5}
