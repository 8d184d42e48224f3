"""Plain data passed between the GUI thread and the engine worker.

Everything here is immutable-by-convention Python / numpy / pyvista data: the GUI
thread builds requests, the worker answers with results. Nothing here touches Qt
or torch, so both sides can import it freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from voxstudio.core.export import ExportOptions


@dataclass(frozen=True)
class ViewParams:
    """How a grid is turned into a surface: follows the view's controls."""

    surface: str = "blocky"  # "blocky" | "smooth"
    threshold: float = 0.5


@dataclass(frozen=True)
class GenerateParams:
    """Everything that determines one generated shape (so it can be cached)."""

    class_id: int
    seed_a: int
    seed_b: int = 0
    t: float = 0.0  # interpolation A -> B (slerp), 0 = seed A only
    sliders: tuple[float, ...] = ()
    # Latents of loaded shapes ("Open in generator") used instead of seed A / seed B.
    latent_a: tuple[float, ...] | None = None
    latent_b: tuple[float, ...] | None = None


@dataclass
class LoadEngineRequest:
    """Build the engine on the worker thread (it then stays resident there)."""

    factory: Callable[[], Any]


@dataclass
class ShapeRequest:
    """Generate (``generate`` set) or re-mesh (``grid`` set) a shape for one view.

    ``target`` is the view it is for: "main" (the shape being explored) or "recon"
    (the capsule network's reconstruction). ``seq`` orders results on the GUI side.
    """

    seq: int
    target: str
    view: ViewParams
    generate: GenerateParams | None = None
    grid: np.ndarray | None = None
    label: str = ""
    frame_resolution: int | None = None  # scale the mesh into a grid of this size (None: its own)
    # A file's shape shown again (turned 90 degrees): it stays that file's, and is re-classified.
    source_path: Path | None = None
    source_note: str = ""


@dataclass
class ClassifyRequest:
    seq: int
    grid: np.ndarray
    view: ViewParams


@dataclass
class LoadFileRequest:
    seq: int
    path: Path
    resolution: int
    view: ViewParams
    up: str = "auto"  # "auto" (the file type's convention), "z" or "y"


@dataclass
class ExportRequest:
    path: Path
    grid: np.ndarray
    surface: str
    threshold: float
    options: ExportOptions | None = None  # size, main piece, .vox colours (None: core defaults)


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


@dataclass
class ShapeResult:
    """A grid and its display surface, built off the GUI thread."""

    seq: int
    target: str
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


@dataclass
class ExportOutcome:
    path: Path
    ms: float


@dataclass
class Failure:
    """A request that raised: ``message`` is meant for the user."""

    request: Any
    message: str
    kind: str = field(default="error")  # "weights" for a WeightsError at start-up
