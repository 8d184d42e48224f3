"""Gallery batches: which latents a grid of samples shows, reproducibly. Qt-free.

A gallery batch is a small value (:class:`GallerySpec`): the class, how many
samples, a batch seed, and for "more like this" the shape state to vary and a
spread. Sample ``i`` of a batch depends only on ``(batch seed, i)``, never on the
batch size, so asking for more samples keeps the ones already shown, and the
same spec always shows the same shapes (a batch can be noted down and found
again).

Two kinds of batch:

* **Samples of a class**: sample ``i`` is a generator *seed*, so picking it puts
  that seed in the Generate panel (sliders at zero) and the shape is exactly the
  one a user would get by typing the seed.
* **More like this**: sample ``i`` is the current shape's latent ``z`` (end A or
  the A -> B mix, numbered and named sliders applied) perturbed by Gaussian noise ``e``:
  ``z_i = sqrt(1 - s^2) z + s e_i``, ``s`` the spread. The mix keeps a standard
  normal latent standard normal (where the generator was trained: plain
  ``z + s e`` drifts off the latent shell toward blobs); ``s = 0`` is the shape
  itself, ``s = 1`` an unrelated sample. Picking one hands its latent to the
  Generate panel as a loaded shape (end A), as "Open in generator" does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from voxstudio.models.engine_protocol import LatentSource
from voxstudio.session.results import GenerateParams
from voxstudio.session.shape_latent import current_latent

__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_SPREAD",
    "MAX_COUNT",
    "GallerySample",
    "GallerySpec",
    "generate_samples",
    "plan_samples",
    "sample_seed",
    "variation_label",
]

DEFAULT_COUNT = 12
MAX_COUNT = 64
DEFAULT_SPREAD = 0.4
SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class GallerySpec:
    """One batch: ``around`` None for samples of ``class_id``, else "more like this" shape state."""

    class_id: int
    count: int = DEFAULT_COUNT
    batch_seed: int = 0
    around: GenerateParams | None = None
    spread: float = DEFAULT_SPREAD
    origin: str = ""  # what "more like this" varies, e.g. "seed 42" (captions: "seed 42 ~3")

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"a gallery shows 1..{MAX_COUNT} samples, got {self.count}")
        if not 0 <= self.batch_seed <= SEED_MAX:
            raise ValueError(f"batch seed must be in 0..{SEED_MAX}, got {self.batch_seed}")
        if not 0.0 <= self.spread <= 1.0:
            raise ValueError(f"spread must be in 0..1, got {self.spread}")
        if self.class_id < 0:
            raise ValueError(f"class id must be >= 0, got {self.class_id}")
        if self.around is not None and self.around.class_id != self.class_id:
            raise ValueError("a 'more like this' batch stays in the class of the shape it varies")

    @property
    def is_variation(self) -> bool:
        return self.around is not None


@dataclass(frozen=True)
class GallerySample:
    """Sample ``index`` of a batch: a seed (samples of a class) or a latent ("more like this")."""

    index: int
    class_id: int
    seed: int | None  # the generator seed; None for a "more like this" latent
    latent: tuple[float, ...]  # the latent the generator is given (a tuple: hashable, JSON-ready)
    label: str  # caption, e.g. "seed 1234" or "seed 42 ~3" (variation 3 of seed 42)
    # The slider values a "more like this" sample is drawn with: those of the shape it varies
    # (sliders move the decoder latent, so they are not part of ``latent``).
    sliders: tuple[float, ...] = ()
    named: tuple[tuple[str, float], ...] = ()

    def array(self) -> np.ndarray:
        return np.asarray(self.latent, dtype=np.float32)


def sample_seed(batch_seed: int, index: int) -> int:
    """The generator seed of sample ``index`` of a batch (independent of the batch size)."""
    return int(np.random.default_rng([batch_seed, index]).integers(0, SEED_MAX + 1))


def variation_label(origin: str, index: int) -> str:
    """"seed 42 ~3": variation 3 of what was varied; variations of variations keep the first and last steps.

    ``origin`` may itself be a variation ("seed 42 ~6"), so the label grows by one
    step per "more like this"; past four steps the middle ones become "…".
    """
    tokens = origin.split()
    cut = next((i for i, token in enumerate(tokens) if token.startswith("~") or token == "\u2026"), len(tokens))
    head, tail = " ".join(tokens[:cut]), tokens[cut:]
    steps = [token for token in tail if token.startswith("~")] + [f"~{index + 1}"]
    if "\u2026" in tail or len(steps) > 4:
        steps = ["\u2026", *steps[-3:]]
    return " ".join([head, *steps]) if head else " ".join(steps)


def plan_samples(engine: LatentSource, spec: GallerySpec, indices: Sequence[int]) -> list[GallerySample]:
    """The samples ``indices`` of ``spec`` (each ``0 <= i < spec.count``), with their latents."""
    return _plan(engine, spec, indices)[0]


def _plan(engine: LatentSource, spec: GallerySpec,
          indices: Sequence[int]) -> tuple[list[GallerySample], np.ndarray | None]:
    """:func:`plan_samples` and the decoder-latent offset of the varied shape's sliders (None: none)."""
    for index in indices:
        if not 0 <= index < spec.count:
            raise ValueError(f"sample index {index} is outside the batch of {spec.count}")
    if spec.around is None:
        samples = []
        for index in indices:
            seed = sample_seed(spec.batch_seed, index)
            z = np.asarray(engine.latent_for_seed(seed), dtype=np.float32)
            samples.append(GallerySample(index, spec.class_id, seed, _as_tuple(z), f"seed {seed}"))
        return samples, None
    around = spec.around
    shape = current_latent(engine, around)
    base = shape.z
    keep = float(np.sqrt(1.0 - spec.spread**2))
    samples = []
    for index in indices:
        noise = np.random.default_rng([spec.batch_seed, index]).standard_normal(engine.latent_dim)
        z = (keep * base + spec.spread * noise).astype(np.float32)
        samples.append(GallerySample(index, spec.class_id, None, _as_tuple(z), variation_label(spec.origin, index),
                                     around.sliders, around.named))
    return samples, shape.offset


def generate_samples(engine: LatentSource, spec: GallerySpec,
                     indices: Sequence[int]) -> tuple[list[GallerySample], np.ndarray]:
    """Plan ``indices`` and generate them in one batch: ``(samples, grids (B, R, R, R) float32)``."""
    samples, offset = _plan(engine, spec, indices)  # offset: the varied shape's sliders, kept by its variations
    if not samples:
        return samples, np.zeros((0, 0, 0, 0), np.float32)
    latents = np.stack([sample.array() for sample in samples])
    grids = np.asarray(engine.generate(latents, np.full(len(samples), spec.class_id, np.int64), offset=offset),
                       dtype=np.float32)
    return samples, grids


def _as_tuple(z: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(z, dtype=np.float32).ravel())
