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

import numpy as np

from voxstudio.models.engine_protocol import LatentSource
from voxstudio.session.results import GenerateParams

__all__ = ["current_latent"]


def current_latent(
    engine: LatentSource, params: GenerateParams, seed_latent: Callable[[int], np.ndarray] | None = None
) -> np.ndarray:
    """The latent the generator is given for ``params``: ``(latent_dim,)`` float32.

    End A (seed or loaded latent), slerp toward end B at ``t``, then the numbered
    sliders, then the named sliders (both in the class's slider frame).
    ``seed_latent`` replaces ``engine.latent_for_seed`` (the worker passes its cache).
    Named sliders raise as :meth:`VoxelEngine.latent_with_named_sliders` does.
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
    class_id = int(params.class_id)
    if params.sliders and any(v != 0.0 for v in params.sliders):
        sliders = np.asarray(params.sliders, dtype=np.float32)
        z = np.asarray(engine.latent_with_sliders(z, sliders, class_id), dtype=np.float32)
    if params.named:
        z = np.asarray(engine.latent_with_named_sliders(z, class_id, dict(params.named)), dtype=np.float32)
    return z
