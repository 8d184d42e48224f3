"""Gallery batches (Qt-free) and the numpy thumbnail renderer."""

from __future__ import annotations

import numpy as np
import pytest

from voxstudio.core.thumbnail import BACKGROUND_RGB, render_thumbnail
from voxstudio.session.gallery import (
    GallerySpec,
    generate_samples,
    plan_samples,
    sample_seed,
    variation_label,
)
from voxstudio.session.results import GenerateParams
from voxstudio.session.shape_latent import current_latent


@pytest.fixture(scope="module")
def engine():
    from voxstudio.models.engine import VoxelEngine

    return VoxelEngine.random_init(resolution=32, seed=0)


def _drawn(image: np.ndarray) -> np.ndarray:
    """Pixels that are not background."""
    return np.any(image != np.asarray(BACKGROUND_RGB, np.uint8), axis=-1)


# -- thumbnails ----------------------------------------------------------------------------------
def test_empty_grid_gives_a_blank_picture():
    image = render_thumbnail(np.zeros((32, 32, 32), bool), 64)
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert not _drawn(image).any()


def test_a_tall_column_is_drawn_taller_than_a_flat_slab_and_coloured_by_height():
    column = np.zeros((32, 32, 32), bool)
    column[15:17, 15:17, 0:30] = True
    slab = np.zeros((32, 32, 32), bool)
    slab[4:28, 4:28, 0:2] = True
    tall, flat = _drawn(render_thumbnail(column, 128)), _drawn(render_thumbnail(slab, 128))
    rows = lambda mask: np.flatnonzero(mask.any(axis=1))  # noqa: E731
    cols = lambda mask: np.flatnonzero(mask.any(axis=0))  # noqa: E731
    assert np.ptp(rows(tall)) > 2.5 * np.ptp(cols(tall))  # a column stands up on screen (z is up)
    assert np.ptp(cols(flat)) > 1.5 * np.ptp(rows(flat))  # seen from above: a wide rhombus
    image = render_thumbnail(column, 128)
    top, bottom = image[rows(tall)[0] + 1], image[rows(tall)[-1] - 1]
    top_px, bottom_px = top[_drawn(top[None])[0]], bottom[_drawn(bottom[None])[0]]
    # viridis: yellow at the top (red + green high), purple at the bottom (blue above green)
    assert top_px[:, 1].mean() > 150 and bottom_px[:, 2].mean() > bottom_px[:, 1].mean()


def test_the_nearer_voxel_hides_the_one_behind_it():
    front = np.zeros((32, 32, 32), bool)
    front[2:30, 4:6, 0:26] = True  # a wide wall at the front (-y)
    both = front.copy()
    both[16:20, 20:24, 0:4] = True  # a small box behind it: hidden
    assert np.array_equal(render_thumbnail(front, 96), render_thumbnail(both, 96))
    behind_taller = front.copy()
    behind_taller[16:20, 20:24, 0:31] = True  # a post behind it, taller than the wall: seen
    assert not np.array_equal(render_thumbnail(front, 96), render_thumbnail(behind_taller, 96))


def test_thumbnails_are_deterministic_and_accept_probabilities():
    rng = np.random.default_rng(3)
    probs = rng.random((32, 32, 32)).astype(np.float32)
    a = render_thumbnail(probs, 80, threshold=0.9)
    assert np.array_equal(a, render_thumbnail(probs, 80, threshold=0.9))
    assert np.array_equal(a, render_thumbnail(probs >= 0.9, 80))
    assert _drawn(a).mean() > 0.2
    one = render_thumbnail(probs >= 0.9, 80, colour=(200, 40, 40))
    drawn = one[_drawn(one)]
    assert (drawn[:, 0] > drawn[:, 1]).all()  # every voxel drawn in the one (red) colour, shaded


@pytest.mark.parametrize(("grid", "size"), [(np.zeros((4, 4)), 64), (np.zeros((8, 8, 8)), 4),
                                            (np.zeros((300, 2, 2)), 64)])
def test_bad_thumbnail_input_is_refused(grid, size):
    with pytest.raises(ValueError, match="grid|size"):
        render_thumbnail(grid, size)


# -- batches -------------------------------------------------------------------------------------
def test_a_batch_is_reproducible_and_sample_i_does_not_depend_on_the_batch_size(engine):
    small = plan_samples(engine, GallerySpec(2, count=4, batch_seed=7), range(4))
    large = plan_samples(engine, GallerySpec(2, count=12, batch_seed=7), range(12))
    assert small == large[:4]
    assert len({s.seed for s in large}) == 12
    for sample in large:
        assert sample.class_id == 2 and sample.seed == sample_seed(7, sample.index)
        assert np.array_equal(sample.array(), engine.latent_for_seed(sample.seed))
    other = plan_samples(engine, GallerySpec(2, count=4, batch_seed=8), range(4))
    assert {s.seed for s in other}.isdisjoint(s.seed for s in small)


def test_generated_samples_are_the_engines_shapes_for_their_latents(engine):
    samples, grids = generate_samples(engine, GallerySpec(5, count=6, batch_seed=1), [4, 5])
    assert [s.index for s in samples] == [4, 5] and grids.shape == (2, 32, 32, 32)
    for sample, grid in zip(samples, grids):
        np.testing.assert_allclose(grid, engine.generate(sample.array(), 5), atol=1e-5)


def test_current_latent_follows_seed_interpolation_and_sliders(engine):
    from voxstudio.models.latent import slerp

    sliders = tuple(0.5 if i % 2 else -1.0 for i in range(len(engine.directions)))
    params = GenerateParams(class_id=1, seed_a=3, seed_b=9, t=0.25, sliders=sliders)
    shape = current_latent(engine, params)
    np.testing.assert_allclose(shape.z, slerp(engine.latent_for_seed(3), engine.latent_for_seed(9), 0.25), rtol=1e-6)
    np.testing.assert_allclose(shape.offset, engine.slider_offset(sliders), rtol=1e-6)
    loaded = tuple(float(v) for v in engine.latent_for_seed(11))
    np.testing.assert_array_equal(current_latent(engine, GenerateParams(1, 0, latent_a=loaded)).z,
                                  engine.latent_for_seed(11))


def test_more_like_this_keeps_the_sliders_of_the_shape_it_varies(engine):
    sliders = tuple(1.5 if i == 0 else 0.0 for i in range(len(engine.directions)))
    params = GenerateParams(class_id=2, seed_a=42, sliders=sliders)
    spec = GallerySpec(2, 4, 5, around=params, spread=0.3)
    samples, grids = generate_samples(engine, spec, range(4))
    moved = engine.slider_offset(sliders)
    for sample, grid in zip(samples, grids):
        assert sample.sliders == sliders and sample.named == ()
        np.testing.assert_allclose(grid, engine.generate(sample.array(), 2, offset=moved), atol=1e-5)
    assert not np.allclose(grids[0], engine.generate(samples[0].array(), 2), atol=1e-3)


def test_more_like_this_stays_near_the_current_latent_and_its_samples_differ(engine):
    params = GenerateParams(class_id=2, seed_a=42)
    base = engine.latent_for_seed(42)
    near = plan_samples(engine, GallerySpec(2, 8, 5, around=params, spread=0.3, origin="chair"), range(8))
    wide = plan_samples(engine, GallerySpec(2, 8, 5, around=params, spread=0.8), range(8))
    unrelated = np.stack([engine.latent_for_seed(s) for s in range(100, 108)])
    dist = lambda zs: np.linalg.norm(np.stack([s.array() for s in zs]) - base, axis=1)  # noqa: E731
    random_dist = np.linalg.norm(unrelated - base, axis=1)
    assert dist(near).max() < 0.4 * random_dist.min()  # much nearer than other samples of the prior
    assert dist(near).mean() < dist(wide).mean()  # the spread sets how far
    latents = np.stack([s.array() for s in near])
    pairwise = np.linalg.norm(latents[:, None] - latents[None], axis=-1)[np.triu_indices(8, 1)]
    assert pairwise.min() > 1.0  # every sample differs from the others
    assert all(s.seed is None and s.class_id == 2 for s in near)
    assert near[2].label == "chair ~3"
    # norm kept on the latent shell (a mix of two standard normals), not pushed outward
    assert abs(np.linalg.norm(latents, axis=1).mean() - np.linalg.norm(base)) < 0.15 * np.linalg.norm(base)
    again = plan_samples(engine, GallerySpec(2, 8, 5, around=params, spread=0.3, origin="chair"), range(8))
    assert again == near  # reproducible by the batch seed


@pytest.mark.parametrize("kwargs", [{"count": 0}, {"count": 65}, {"spread": 1.5}, {"batch_seed": -1},
                                    {"around": GenerateParams(class_id=3, seed_a=0)}])
def test_bad_specs_are_refused(kwargs):
    with pytest.raises(ValueError):
        GallerySpec(2, **kwargs)


def test_indices_outside_the_batch_are_refused(engine):
    with pytest.raises(ValueError, match="outside"):
        plan_samples(engine, GallerySpec(0, count=3), [3])


def test_variation_labels_name_the_steps_and_stay_short():
    assert variation_label("seed 42", 2) == "seed 42 ~3"
    assert variation_label("seed 42 ~3", 0) == "seed 42 ~3 ~1"
    assert variation_label("", 4) == "~5"
    deep = "seed 7"
    for step in range(8):
        deep = variation_label(deep, step)
    assert deep == "seed 7 \u2026 ~6 ~7 ~8"
