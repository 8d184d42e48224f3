"""One latent per shape state: the worker, "more like this" and ``voxstudio generate`` share it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from voxstudio import paths
from voxstudio.models.engine import VoxelEngine
from voxstudio.models.latent import slerp
from voxstudio.models.sliders import SLIDERS_FILE
from voxstudio.session.gallery import GallerySpec, plan_samples
from voxstudio.session.results import GenerateParams
from voxstudio.session.shape_latent import current_latent

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


def test_composes_ends_slerp_numbered_then_named_sliders(engine: VoxelEngine) -> None:
    chair, name, value, params = _chair_state(engine)
    expected = slerp(engine.latent_for_seed(3), engine.latent_for_seed(9), 0.25)
    expected = engine.latent_with_sliders(expected, np.asarray(params.sliders, np.float32), chair)
    expected = engine.latent_with_named_sliders(expected, chair, {name: value})
    z = current_latent(engine, params)
    assert z.dtype == np.float32 and z.shape == (engine.latent_dim,)
    np.testing.assert_array_equal(z, expected)
    # The named slider moved it: without it the latent differs.
    plain = current_latent(engine, GenerateParams(chair, 3, 9, 0.25, params.sliders))
    assert np.abs(plain - z).max() > 1e-3


def test_seed_latent_replaces_the_engines_seeds(engine: VoxelEngine) -> None:
    fixed = np.full(engine.latent_dim, 0.25, np.float32)
    z = current_latent(engine, GenerateParams(0, seed_a=5), seed_latent=lambda seed: fixed)
    np.testing.assert_array_equal(z, fixed)


def test_more_like_this_varies_the_shape_on_screen_named_sliders_included(engine: VoxelEngine) -> None:
    chair, _, _, params = _chair_state(engine)
    on_screen = current_latent(engine, params)
    (sample,) = plan_samples(engine, GallerySpec(chair, count=1, around=params, spread=0.0), [0])
    np.testing.assert_allclose(sample.array(), on_screen, atol=1e-6)
