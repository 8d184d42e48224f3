"""Plain, Qt-free values the session holds: what is shown and what the engine is.

They cross the worker-thread boundary (the worker builds them, the GUI thread
shows them) and live in the session model, so they sit here, below the GUI:
nothing in this module touches Qt or torch. ``voxstudio.gui.requests``
re-exports them for the GUI code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from voxstudio.core.export import Surface


@dataclass(frozen=True)
class ViewParams:
    """How a grid is turned into a surface: follows the view's controls."""

    surface: Surface = "blocky"
    threshold: float = 0.5
    # "Clean up fragments": generated shapes shown (and so exported) as their main piece with
    # pinholes filled (core/cleanup.py). Off by default and in every metric.
    clean: bool = False


@dataclass(frozen=True)
class GenerateParams:
    """Everything that determines one generated shape (so it can be cached).

    This is also "the current shape state" of a generated shape: class, seeds,
    interpolation, slider values and the loaded latents.
    """

    class_id: int
    seed_a: int
    seed_b: int = 0
    t: float = 0.0  # interpolation A -> B (slerp), 0 = seed A only
    sliders: tuple[float, ...] = ()
    # Latents of loaded shapes ("Open in generator") used instead of seed A / seed B.
    latent_a: tuple[float, ...] | None = None
    latent_b: tuple[float, ...] | None = None
    # Named sliders of the class (weights/sliders.json), non-zero ones only: ((name, value), ...).
    named: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class EngineInfo:
    """What the GUI needs to know about the engine, without touching torch."""

    classes: tuple[str, ...]
    resolution: int
    latent_dim: int
    n_directions: int
    device_text: str
    model_text: str
    has_generator: bool
    has_classifier: bool
    load_ms: float
    # Per class: its named sliders as (name, low, high, tooltip) rows (models.sliders.slider_table).
    named_sliders: tuple[tuple[str, tuple[tuple[str, float, float, str], ...]], ...] = ()


@dataclass
class ShapeResult:
    """A grid and its display surface, built off the GUI thread."""

    seq: int
    target: str  # the view it is for: "main" or "recon"
    grid: np.ndarray
    mesh: Any  # pyvista.PolyData with point data "height"
    view: ViewParams
    generate: GenerateParams | None = None
    label: str = ""
    generate_ms: float = 0.0
    mesh_ms: float = 0.0
    source_path: Path | None = None
    #: What the load path did to a file, e.g. "binvox 128³ · y up, front -z (ShapeNet) → z up · re-framed".
    source_note: str = ""


@dataclass
class ClassifyOutcome:
    seq: int
    classes: tuple[str, ...]
    probabilities: np.ndarray  # (C,) float32, sums to 1
    predicted: int
    reconstruction: ShapeResult
    classify_ms: float
    poses: np.ndarray | None = None
    presence: float = 1.0  # how strongly any class is there
    none_of_these: bool = False  # no class fits (presence below the calibrated threshold)
