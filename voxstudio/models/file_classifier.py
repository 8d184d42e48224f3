"""Classify files as users hand them over: framed, oriented, voted, or "none of these".

Shared by ``voxstudio classify``, ``voxstudio evaluate --files`` and the self-test
(the GUI's worker does the same steps through :class:`~voxstudio.models.engine.VoxelEngine`):
:func:`~voxstudio.core.io.prepare.prepare_shape` frames the file like the
training data, :func:`settle_pose` picks the upright pose of a file whose axis
convention is unknown, and :mod:`voxstudio.models.voting` classifies it in four
yaws and decides whether any class is there at all.

Pose search (a bare ``.binvox``, which may be y up like ShapeNet's or z up like
ModelNet-derived sets): each candidate pose is classified and the one in which
the classifier sees a class most strongly (highest presence) wins. Furniture
lying on its side looks like no class in particular, so its presence is low.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io.prepare import PreparedShape, prepare_shape
from voxstudio.models.voting import Votes, is_none_of_these, vote

__all__ = ["FileResult", "FileClassifier", "settle_pose"]

PresenceFn = Callable[[np.ndarray], np.ndarray]


def settle_pose(prepared: PreparedShape, presence: PresenceFn) -> PreparedShape:
    """Choose among ``prepared.candidates`` by classifier presence (no-op when the pose is known)."""
    if not prepared.candidates:
        return prepared
    scores = presence(np.stack([grid for _, grid in prepared.candidates]))
    best = int(np.argmax(scores))
    shown = ", ".join(f"{pose.key} {score:.2f}" for (pose, _), score in zip(prepared.candidates, scores))
    prepared.choose(best, f"pose search: {shown}")
    return prepared


@dataclass
class FileResult:
    """One file's answer, as ``voxstudio classify --json`` prints it."""

    file: str
    class_name: str | None = None
    confidence: float = 0.0
    probabilities: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    presence: float = 0.0
    description: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "class": self.class_name,
            "confidence": round(float(self.confidence), 6),
            "probabilities": {name: round(float(p), 6) for name, p in self.probabilities.items()},
            "error": self.error,
        }


class FileClassifier:
    """A trained classifier (capsule network or CNN) applied to files or grids."""

    def __init__(self, model: nn.Module, classes: Sequence[str], resolution: int,
                 none_threshold: float | None = None, device: torch.device | str = "cpu") -> None:
        self.model = model.to(torch.device(device)).eval()
        self.classes = list(classes)
        self.resolution = int(resolution)
        self.none_threshold = none_threshold
        self.device = torch.device(device)

    @classmethod
    def from_weights(cls, stem: str | Path, device: str = "auto") -> FileClassifier:
        """Load ``stem.json`` + ``stem.safetensors`` (raises ``WeightsError``)."""
        from voxstudio.models import load_classifier
        from voxstudio.models.device import pick_device

        dev = pick_device(device)
        model, config = load_classifier(stem, device=dev)
        threshold = config.get("none_threshold")
        return cls(model, [str(c) for c in config["classes"]], int(config["resolution"]),
                   None if threshold is None else float(threshold), dev)

    def votes(self, grids: np.ndarray, batch_size: int = 32) -> Votes:
        """Voted probabilities and presence for ``(B, R, R, R)`` grids at the network resolution."""
        grids = np.asarray(grids)
        probabilities, presence = [], []
        with torch.inference_mode():
            for start in range(0, len(grids), batch_size):
                x = torch.as_tensor(grids[start:start + batch_size], dtype=torch.float32, device=self.device)
                out = vote(self.model, x)
                probabilities.append(out.probabilities.float().cpu())
                presence.append(out.presence.float().cpu())
        return Votes(torch.cat(probabilities), torch.cat(presence))

    def presence(self, grids: np.ndarray) -> np.ndarray:
        return self.votes(grids).presence.numpy()

    def prepare(self, path: str | Path, up: str = "auto") -> PreparedShape:
        """The file as the network sees it (pose settled)."""
        return settle_pose(prepare_shape(path, self.resolution, up), self.presence)

    def classify_grids(self, grids: np.ndarray) -> list[tuple[int | None, float, np.ndarray, float]]:
        """``(class id or None, confidence, probabilities, presence)`` per grid."""
        out = self.votes(grids)
        results: list[tuple[int | None, float, np.ndarray, float]] = []
        for probs_t, presence_t in zip(out.probabilities, out.presence):
            probs = probs_t.numpy()
            presence = float(presence_t)
            if is_none_of_these(presence, self.none_threshold):
                results.append((None, 1.0 - presence, probs, presence))
            else:
                best = int(probs.argmax())
                results.append((best, float(probs[best]), probs, presence))
        return results

    def classify_path(self, path: str | Path, up: str = "auto") -> FileResult:
        """One file's answer; a bad file's problem lands in ``error`` instead of raising."""
        result = FileResult(file=str(path))
        try:
            prepared = self.prepare(path, up)
        except (VoxelFileError, ValueError, MemoryError) as error:
            result.error = str(error) or type(error).__name__
            return result
        class_id, confidence, probs, presence = self.classify_grids(prepared.grid[None])[0]
        result.class_name = None if class_id is None else self.classes[class_id]
        result.confidence = confidence
        result.probabilities = {name: float(p) for name, p in zip(self.classes, probs)}
        result.presence = presence
        result.description = prepared.describe()
        return result
