"""Plain data passed between the GUI thread and the engine worker.

Everything here is immutable-by-convention Python / numpy / pyvista data: the GUI
thread builds requests, the worker answers with results. Nothing here touches Qt
or torch, so both sides can import it freely. The results the session holds
(``ShapeResult``, ``ClassifyOutcome``, ``EngineInfo``, ...) live in
``voxstudio.session.results`` and are re-exported here.

Every request names the title of the dialog its failure is shown under
(``failure_title``), so failures need no per-type branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np

from voxstudio.core.export import ExportOptions, Surface
from voxstudio.session.results import ClassifyOutcome, EngineInfo, GenerateParams, ShapeResult, ViewParams

if TYPE_CHECKING:  # voxstudio.models imports torch (~0.8 s): never on the GUI path at start-up
    from voxstudio.models.engine_protocol import EngineFactory

__all__ = [
    "ClassifyOutcome",
    "ClassifyRequest",
    "EngineInfo",
    "ExportOutcome",
    "ExportRequest",
    "Failure",
    "FailureKind",
    "GenerateParams",
    "LoadEngineRequest",
    "LoadFileRequest",
    "Request",
    "ShapeRequest",
    "ShapeResult",
    "ViewParams",
]


class Request(Protocol):
    """What every request to the worker has: the title of the dialog its failure is shown under."""

    failure_title: ClassVar[str]


@dataclass
class LoadEngineRequest:
    """Build the engine on the worker thread (it then stays resident there)."""

    factory: EngineFactory
    failure_title: ClassVar[str] = "The model could not be loaded"


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
    failure_title: ClassVar[str] = "Generation failed"


@dataclass
class ClassifyRequest:
    seq: int
    grid: np.ndarray
    view: ViewParams
    failure_title: ClassVar[str] = "Classification failed"


@dataclass
class LoadFileRequest:
    seq: int
    path: Path
    resolution: int
    view: ViewParams
    up: str = "auto"  # "auto" (the file type's convention), "z" or "y"
    failure_title: ClassVar[str] = "Could not open file"


@dataclass
class ExportRequest:
    path: Path
    grid: np.ndarray
    surface: Surface
    threshold: float
    options: ExportOptions | None = None  # size, main piece, .vox colours (None: core defaults)
    failure_title: ClassVar[str] = "Export failed"


@dataclass
class ExportOutcome:
    path: Path
    ms: float


class FailureKind(str, Enum):
    ERROR = "error"
    WEIGHTS = "weights"  # a WeightsError: missing / unreadable weights at start-up


@dataclass
class Failure:
    """A request that raised: ``message`` is meant for the user, under ``request.failure_title``."""

    request: Request  # the request object that failed
    message: str
    kind: FailureKind = FailureKind.ERROR
