"""The latent a shape state gives the generator: one recipe for the GUI, the gallery and the CLI. Qt-free.

A generated shape is a :class:`GenerateParams`: end A (a seed or a loaded
latent), an optional slerp toward end B, the numbered latent-direction sliders
and the class's named sliders. The engine worker draws it, "more like this"
varies it and ``voxstudio generate`` writes it; all three must agree on the
latent to the last bit, or a seed typed in the shell, or a gallery variation of
the shape on screen, would not be the shape the user saw. So the composition
lives here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voxstudio.models.engine_protocol import LatentSource
from voxstudio.session.results import GenerateParams

__all__ = ["ShapeLatent", "current_latent", "generate_shape"]


@dataclass(frozen=True, eq=False)
class ShapeLatent:
    """What the generator is given for one shape state.

    ``z``: the input latent ``(latent_dim,)`` (end A, or the slerp toward end B).
    ``offset``: the sliders' move ``(latent_dim,)`` in the class's slider frame, made
    on the decoder latent (``Generator.slider_step``); None when every slider is at 0.
    """

    z: np.ndarray
    offset: np.ndarray | None = None


def current_latent(
    engine: LatentSource, params: GenerateParams, seed_latent: Callable[[int], np.ndarray] | None = None
) -> ShapeLatent:
    """The input latent and slider move for ``params`` (float32).

    End A (seed or loaded latent), slerp toward end B at ``t``; the numbered and
    the named sliders add up to one move in the class's slider frame.
    ``seed_latent`` replaces ``engine.latent_for_seed`` (the worker passes its cache).
    Named sliders raise as :meth:`VoxelEngine.named_slider_offset` does.
    """
    for_seed = seed_latent or engine.latent_for_seed

    def end(seed: int, loaded: tuple[float, ...] | None) -> np.ndarray:
        if loaded is not None:
            return np.asarray(loaded, dtype=np.float32)
        return np.asarray(for_seed(seed), dtype=np.float32)

    z = end(params.seed_a, params.latent_a)
    if params.t > 0.0:
        other = end(params.seed_b, params.latent_b)
        if not np.array_equal(z, other):
            from voxstudio.models.latent import slerp

            z = slerp(z, other, float(params.t))
    offset = None
    if params.sliders and any(v != 0.0 for v in params.sliders):
        offset = np.asarray(engine.slider_offset(np.asarray(params.sliders, dtype=np.float32)), dtype=np.float32)
    if params.named:
        named = np.asarray(engine.named_slider_offset(int(params.class_id), dict(params.named)), dtype=np.float32)
        offset = named if offset is None else offset + named
    return ShapeLatent(np.asarray(z, dtype=np.float32), offset)


def generate_shape(
    engine: LatentSource, params: GenerateParams, seed_latent: Callable[[int], np.ndarray] | None = None
) -> np.ndarray:
    """Occupancy probabilities ``(R, R, R)`` float32 of the shape state ``params``, as every caller draws it."""
    shape = current_latent(engine, params, seed_latent)
    return np.asarray(engine.generate(shape.z, int(params.class_id), offset=shape.offset), dtype=np.float32)
