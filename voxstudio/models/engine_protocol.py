"""What the GUI's engine worker needs from an engine, as a typed ``Protocol``.

Why a Protocol and not ``VoxelEngine`` itself: the worker (and the tests' slow or
failing stand-ins that wrap the real engine) only rely on this surface, and the
type checker now proves it: ``VoxelEngine`` satisfies it structurally (checked
in ``tests/test_engine_protocol.py`` and by mypy at the assignment below), so the
worker no longer duck-types the engine with ``getattr(engine, name, default)``.

Importing this module costs nothing at start-up: torch and the engine module are
imported for the type checker only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from voxstudio.models.engine import ClassifyResult
    from voxstudio.models.sliders import SliderSet

#: ``progress(step, steps, best_iou)`` during ``invert``.
InvertProgress = Callable[[int, int, float], None]
#: Polled between ``invert`` steps; True stops the search early.
InvertCancel = Callable[[], bool]


class LatentSource(Protocol):
    """Seeds and sliders to latents, latents to shapes: all that shape states and galleries need.

    ``session.shape_latent`` and ``session.gallery`` take this narrower slice, so
    their tests can pass small stand-ins.
    """

    @property
    def latent_dim(self) -> int: ...

    def latent_for_seed(self, seed: int) -> np.ndarray: ...
    def slider_offset(self, slider_values: Sequence[float] | np.ndarray) -> np.ndarray: ...
    def named_slider_offset(self, class_id: int, values: Mapping[str, float]) -> np.ndarray: ...
    def generate(self, z: np.ndarray, class_id: int | np.ndarray, offset: np.ndarray | None = None) -> np.ndarray: ...


@runtime_checkable
class InferenceEngine(LatentSource, Protocol):
    """The inference facade as the worker sees it (``VoxelEngine`` implements it)."""

    @property
    def classes(self) -> Sequence[str]: ...
    @property
    def resolution(self) -> int: ...
    @property
    def device(self) -> torch.device: ...
    @property
    def directions(self) -> np.ndarray: ...  # (K, latent_dim): one latent slider per row
    @property
    def has_generator(self) -> bool: ...
    @property
    def has_classifier(self) -> bool: ...
    @property
    def named_sliders(self) -> SliderSet | None: ...  # weights/sliders.json for this generator, if it fits

    def warm_up_inversion(self) -> None: ...
    def classify(self, grid: np.ndarray) -> ClassifyResult: ...
    def presence(self, grids: np.ndarray) -> np.ndarray: ...
    def decode_pose(self, pose: np.ndarray, class_id: int) -> np.ndarray: ...
    def invert(
        self,
        grid: np.ndarray,
        class_id: int,
        steps: int = 300,
        progress: InvertProgress | None = None,
        should_cancel: InvertCancel | None = None,
    ) -> np.ndarray: ...


#: Builds the engine on the worker thread (raises ``WeightsError`` for missing / bad weights).
EngineFactory = Callable[[], InferenceEngine]


if TYPE_CHECKING:  # pragma: no cover - a static proof that the real engine fits the Protocol
    from voxstudio.models.engine import VoxelEngine

    def _voxel_engine_is_an_inference_engine(engine: VoxelEngine) -> InferenceEngine:
        return engine
