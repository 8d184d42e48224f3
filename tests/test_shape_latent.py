"""One latent per shape state: the worker, "more like this" and ``voxstudio generate`` share it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from voxstudio import paths
from voxstudio.models.engine import VoxelEngine
from voxstudio.models.latent import slerp
from voxstudio.models.sliders import SLIDERS_FILE
from voxstudio.session.gallery import GallerySpec, generate_samples, plan_samples
from voxstudio.session.results import GenerateParams
from voxstudio.session.shape_latent import current_latent, generate_shape

torch.set_num_threads(1)

pytestmark = pytest.mark.skipif(not (paths.weights_dir() / SLIDERS_FILE).exists(),
                                reason="weights/sliders.json not shipped")


@pytest.fixture(scope="module")
def engine() -> VoxelEngine:
    return VoxelEngine.load(device="cpu")


def _chair_state(engine: VoxelEngine) -> tuple[int, str, float, GenerateParams]:
    assert engine.named_sliders is not None, engine.named_sliders_problem
    chair = engine.classes.index("chair")
    name = engine.named_sliders.names("chair")[0]
    value = engine.named_sliders.find("chair", name).high
    sliders = tuple(0.5 if i == 1 else 0.0 for i in range(len(engine.directions)))
    params = GenerateParams(chair, seed_a=3, seed_b=9, t=0.25, sliders=sliders, named=((name, value),))
    return chair, name, value, params


def test_composes_ends_slerp_and_one_slider_move(engine: VoxelEngine) -> None:
    chair, name, value, params = _chair_state(engine)
    shape = current_latent(engine, params)
    expected_z = slerp(engine.latent_for_seed(3), engine.latent_for_seed(9), 0.25)
    expected_offset = engine.slider_offset(np.asarray(params.sliders, np.float32)) + engine.named_slider_offset(
        chair, {name: value})
    assert shape.z.dtype == np.float32 and shape.z.shape == (engine.latent_dim,)
    np.testing.assert_array_equal(shape.z, expected_z.astype(np.float32))
    assert shape.offset is not None
    np.testing.assert_allclose(shape.offset, expected_offset, rtol=1e-6, atol=1e-7)
    # Each slider adds to the move; the input latent is the same.
    plain = current_latent(engine, GenerateParams(chair, 3, 9, 0.25, params.sliders))
    np.testing.assert_array_equal(plain.z, shape.z)
    assert plain.offset is not None and np.abs(plain.offset - shape.offset).max() > 1e-3
    # No slider off zero: no move at all, and the drawn shape is the plain latent's.
    still = current_latent(engine, GenerateParams(chair, 3, 9, 0.25))
    assert still.offset is None
    np.testing.assert_array_equal(generate_shape(engine, GenerateParams(chair, 3, 9, 0.25)),
                                  engine.generate(still.z, chair))
    # The move is made on the decoder latent: the shape differs from the unmoved one.
    moved, unmoved = generate_shape(engine, params) > 0.5, engine.generate(shape.z, chair) > 0.5
    assert (moved != unmoved).sum() > 20


def test_seed_latent_replaces_the_engines_seeds(engine: VoxelEngine) -> None:
    fixed = np.full(engine.latent_dim, 0.25, np.float32)
    shape = current_latent(engine, GenerateParams(0, seed_a=5), seed_latent=lambda seed: fixed)
    np.testing.assert_array_equal(shape.z, fixed)


def test_more_like_this_varies_the_shape_on_screen_named_sliders_included(engine: VoxelEngine) -> None:
    chair, _, _, params = _chair_state(engine)
    on_screen = current_latent(engine, params)
    spec = GallerySpec(chair, count=1, around=params, spread=0.0)
    (sample,) = plan_samples(engine, spec, [0])
    np.testing.assert_allclose(sample.array(), on_screen.z, atol=1e-6)
    assert sample.sliders == params.sliders and sample.named == params.named
    # At spread 0 the gallery draws the shape on screen, sliders and all.
    _, grids = generate_samples(engine, spec, [0])
    np.testing.assert_allclose(grids[0], generate_shape(engine, params), atol=1e-5)
