"""The Qt-free session model: the state of one VoxStudio window, evented.

Below the GUI in the layers (it may import core and models, never Qt): the
GUI's controllers change it and its views observe it. See ``model.py``.
"""

from __future__ import annotations

from voxstudio.session.events import Event
from voxstudio.session.model import (
    DEFAULT_RESOLUTION,
    EngineState,
    ErrorReport,
    SessionEvents,
    SessionModel,
    ShapeSource,
    StatusMessage,
)
from voxstudio.session.results import ClassifyOutcome, EngineInfo, GenerateParams, ShapeResult, ViewParams

__all__ = [
    "DEFAULT_RESOLUTION",
    "ClassifyOutcome",
    "EngineInfo",
    "EngineState",
    "ErrorReport",
    "Event",
    "GenerateParams",
    "SessionEvents",
    "SessionModel",
    "ShapeResult",
    "ShapeSource",
    "StatusMessage",
    "ViewParams",
]
