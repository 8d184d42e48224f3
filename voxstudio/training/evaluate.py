"""Evaluate trained classifiers on a dataset split: accuracy, per-class accuracy, confusion matrix.

Used by ``voxstudio evaluate`` and by the classifier task at epoch ends (through
:func:`predict`), so training logs and final reports compute accuracy the same
way.  Reports render as text (terminal), JSON, a Markdown table, and a PNG
(drawn by :mod:`voxstudio.core.previews`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from voxstudio.core import previews
from voxstudio.models import CLASSIFIER_KINDS, load_classifier
from voxstudio.models.device import pick_device
from voxstudio.models.weights import WeightsError, weight_paths
from voxstudio.training.metrics import accuracy, confusion_matrix, per_class_accuracy


@dataclass
class ClassifierReport:
    """Everything ``voxstudio evaluate`` prints or saves for one classifier."""

    kind: str
    classes: list[str]
    accuracy: float
    per_class: np.ndarray  # (C,) float64, NaN where the split has no sample
    confusion: np.ndarray  # (C, C) int64, rows true, columns predicted
    num_samples: int
    weights: str
    data: str
    split: str
    #: Capsule networks: mean voxel IoU of the decoder's reconstructions (overall, per class).
    reconstruction_iou: float | None = None
    reconstruction_iou_per_class: np.ndarray | None = None
    #: Shapes answered "none of these", per true class (counted as wrong), when a threshold is set.
    rejected: np.ndarray | None = None
    #: ``voxstudio evaluate --files``: one entry per file (file, true class, answer, confidence, error).
    files: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.reconstruction_iou is not None and self.reconstruction_iou_per_class is not None:
            extra = {
                "reconstruction_iou": self.reconstruction_iou,
                "reconstruction_iou_per_class": {
                    name: (None if np.isnan(value) else float(value))
                    for name, value in zip(self.classes, self.reconstruction_iou_per_class)
                },
            }
        if self.rejected is not None:
            extra["none_of_these"] = {name: int(n) for name, n in zip(self.classes, self.rejected)}
        if self.files is not None:
            extra["files"] = self.files
        return {**self._core_dict(), **extra}

    def _core_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "weights": self.weights,
            "data": self.data,
            "split": self.split,
            "num_samples": self.num_samples,
            "accuracy": self.accuracy,
            "per_class_accuracy": {
                name: (None if np.isnan(value) else float(value)) for name, value in zip(self.classes, self.per_class)
            },
            "classes": list(self.classes),
            "confusion_matrix": self.confusion.tolist(),
        }

    def format_text(self) -> str:
        """Accuracy, per-class accuracy and the confusion matrix as aligned plain text."""
        lines = [
            f"{self.kind} on {self.data} ({self.split}, {self.num_samples} shapes)",
            f"accuracy: {100 * self.accuracy:.2f}%",
            "",
            "per-class accuracy:",
        ]
        width = max(len(name) for name in self.classes)
        counts = self.confusion.sum(axis=1)
        for name, value, count in zip(self.classes, self.per_class, counts):
            shown = "   n/a" if np.isnan(value) else f"{100 * value:6.2f}%"
            lines.append(f"  {name:<{width}}  {shown}  ({count})")
        if self.reconstruction_iou is not None and self.reconstruction_iou_per_class is not None:
            per_class = ", ".join(
                f"{name} {value:.2f}" for name, value in zip(self.classes, self.reconstruction_iou_per_class)
                if not np.isnan(value)
            )
            lines += ["", f"reconstruction IoU (decoder, predicted class): {self.reconstruction_iou:.3f}",
                      f"  {per_class}"]
        lines += ["", "confusion matrix (rows: true class, columns: predicted):"]
        short = [_abbreviation(name) for name in self.classes] + (["none"] if self.rejected is not None else [])
        cell = max(len(str(int(self.confusion.max(initial=0)))), *(len(s) for s in short)) + 2
        lines.append(" " * (width + 2) + "".join(f"{s:>{cell}}" for s in short))
        for index, (name, row) in enumerate(zip(self.classes, self.confusion)):
            values = [*row, self.rejected[index]] if self.rejected is not None else list(row)
            lines.append(f"  {name:<{width}}" + "".join(f"{int(v):>{cell}}" for v in values))
        for entry in self.files or []:
            if entry.get("error"):
                lines.append(f"unreadable: {entry['file']}: {entry['error']}")
            elif entry["predicted"] != entry["class"]:
                lines.append(f"wrong: {entry['file']} ({entry['class']}) -> {entry['predicted'] or 'none of these'}"
                             f" {100 * entry['confidence']:.0f}%")
        return "\n".join(lines)

    def format_markdown(self) -> str:
        """The confusion matrix and per-class accuracy as a Markdown table."""
        columns = [*self.classes, *(["none of these"] if self.rejected is not None else [])]
        header = "| true \\ predicted | " + " | ".join(columns) + " | accuracy |"
        rule = "|" + "---|" * (len(columns) + 2)
        rows = []
        for index, (name, row, value) in enumerate(zip(self.classes, self.confusion, self.per_class)):
            shown = "n/a" if np.isnan(value) else f"{100 * value:.1f}%"
            values = [*row, self.rejected[index]] if self.rejected is not None else list(row)
            rows.append(f"| {name} | " + " | ".join(str(int(v)) for v in values) + f" | {shown} |")
        return "\n".join([header, rule, *rows])


@dataclass
class Predictions:
    """Outputs of :func:`classify` for N shapes."""

    predicted: np.ndarray  # (N,) int64
    probabilities: np.ndarray  # (N, C) float32
    #: (N,) voxel IoU of the capsule decoder's reconstruction (masked by the
    #: predicted class, as the GUI shows it); None for networks without a decoder.
    reconstruction_iou: np.ndarray | None
    #: (N,) how strongly any class is there (longest capsule / top softmax), for "none of these".
    presence: np.ndarray | None = None


def classify(model: nn.Module, voxels: Any, batch_size: int = 64, device: torch.device | str = "cpu",
             votes: int = 1) -> Predictions:
    """Classify (N, R, R, R) voxels in batches: capsule lengths normalised, or a CNN softmax.

    ``votes`` > 1 averages that many yaws (:func:`voxstudio.models.voting.vote`), as
    the app does; training's per-epoch check uses one pose to stay cheap. The
    model is put in eval mode (and back); data moves to ``device`` one batch at a
    time. ``presence`` (how strongly any class is there) is kept for rejection.
    """
    from voxstudio.models.capsnet import CapsNet3D, class_probabilities, reconstruction_iou
    from voxstudio.models.voting import vote

    device = torch.device(device)
    data = voxels if isinstance(voxels, torch.Tensor) else torch.as_tensor(np.asarray(voxels))
    is_capsnet = isinstance(model, CapsNet3D)
    was_training = model.training
    model.eval()
    probabilities, ious, presence = [], [], []
    try:
        with torch.no_grad():
            for start in range(0, len(data), batch_size):
                batch = data[start:start + batch_size].to(device).float()
                if votes > 1:
                    voted = vote(model, batch, votes)
                    probabilities.append(voted.probabilities.cpu())
                    presence.append(voted.presence.cpu())
                if is_capsnet:
                    output = model(batch)
                    if votes <= 1:
                        probabilities.append(class_probabilities(output.lengths).cpu())
                        presence.append(output.lengths.max(dim=1).values.cpu())
                    ious.append(reconstruction_iou(output.reconstruction, batch).cpu())
                elif votes <= 1:
                    softmax = torch.softmax(model(batch), dim=1)
                    probabilities.append(softmax.cpu())
                    presence.append(softmax.max(dim=1).values.cpu())
    finally:
        model.train(was_training)
    if probabilities:
        probs = torch.cat(probabilities).numpy().astype(np.float32)
    else:
        probs = np.zeros((0, 0), np.float32)
    iou = (torch.cat(ious).numpy() if ious else np.zeros(0, np.float32)) if is_capsnet else None
    present = torch.cat(presence).numpy() if presence else np.zeros(0, np.float32)
    return Predictions(probs.argmax(axis=1).astype(np.int64) if len(probs) else np.zeros(0, np.int64), probs, iou,
                       present)


def predict(
    model: nn.Module, voxels: Any, batch_size: int = 64, device: torch.device | str = "cpu", votes: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted class ids (N,) and class probabilities (N, C); see :func:`classify`."""
    result = classify(model, voxels, batch_size, device, votes)
    return result.predicted, result.probabilities


def resolve_weights(weights: str | Path, kind: str) -> Path:
    """A weights *stem*: ``DIR`` means ``DIR/<kind>``; a file or stem is used as given."""
    path = Path(weights)
    return path / kind if path.is_dir() else weight_paths(path)[0].with_suffix("")


def evaluate_classifier(
    kind: str,
    data_dir: str | Path,
    weights: str | Path,
    device: str | torch.device = "auto",
    batch_size: int = 64,
    split: str = "test",
    votes: int | None = None,
) -> ClassifierReport:
    """Load ``kind`` weights, classify the ``split`` of ``data_dir``, and report.

    Shapes are voted over four yaws (``votes``) and answered "none of these"
    below the weights' calibrated threshold, as in the app; such answers count
    as wrong and are reported per class. Raises :class:`WeightsError` for
    unusable weights or weights trained on other classes than the dataset has.
    """
    from voxstudio.models.voting import YAW_VOTES

    if kind not in CLASSIFIER_KINDS:
        raise ValueError(f"unknown classifier {kind!r}: choose one of {', '.join(CLASSIFIER_KINDS)}")
    from voxstudio.data.dataset import load_split

    stem = resolve_weights(weights, kind)
    target = pick_device(device)
    model, config = load_classifier(stem, device=target)
    dataset = load_split(data_dir, split)
    classes = list(config.get("classes", []))
    if classes != list(dataset.classes):
        raise WeightsError(
            weight_paths(stem)[1],
            f"weights were trained on classes {classes} but {data_dir} has {list(dataset.classes)}",
        )
    voxels = dataset.voxels
    resolution = int(config["model"]["resolution"])
    if dataset.resolution != resolution:
        from voxstudio.core.grid import resize

        voxels = np.stack([resize(grid, resolution) for grid in voxels]) if len(voxels) else voxels
    result = classify(model, voxels, batch_size=batch_size, device=target,
                      votes=YAW_VOTES if votes is None else votes)
    predicted = result.predicted
    threshold = config.get("none_threshold")
    rejected = None
    if threshold is not None and result.presence is not None:
        none = result.presence < float(threshold)
        rejected = np.bincount(dataset.labels[none], minlength=len(classes)).astype(np.int64)
        predicted = np.where(none, -1, predicted)
    confusion = confusion_matrix(predicted[predicted >= 0], dataset.labels[predicted >= 0], len(classes))
    iou_per_class = None
    if result.reconstruction_iou is not None:
        iou_per_class = np.array(
            [result.reconstruction_iou[dataset.labels == c].mean() if np.any(dataset.labels == c) else np.nan
             for c in range(len(classes))]
        )
    return ClassifierReport(
        kind=kind,
        classes=classes,
        accuracy=accuracy(predicted, dataset.labels),
        per_class=per_class_accuracy(confusion, rejected),
        confusion=confusion,
        num_samples=int(len(dataset.labels)),
        weights=str(stem),
        data=str(data_dir),
        split=split,
        reconstruction_iou=None if result.reconstruction_iou is None else float(result.reconstruction_iou.mean()),
        reconstruction_iou_per_class=iou_per_class,
        rejected=rejected,
    )


def save_report_json(path: str | Path, report: ClassifierReport) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return path


def save_confusion_png(path: str | Path, report: ClassifierReport, cell: int = 44) -> Path:
    """Draw the report's confusion matrix as a PNG (see :func:`voxstudio.core.previews.save_confusion_png`)."""
    title = f"{report.kind}: {100 * report.accuracy:.2f}% of {report.num_samples} shapes (rows: true, columns: predicted)"
    return previews.save_confusion_png(path, report.classes, report.confusion, title, cell)


def _abbreviation(name: str) -> str:
    parts = name.replace("-", "_").split("_")
    return "".join(p[0] for p in parts).upper() if len(parts) > 1 else name[:4]


def evaluate_files(
    kind: str,
    files_dir: str | Path,
    weights: str | Path,
    device: str | torch.device = "auto",
    up: str = "auto",
) -> ClassifierReport:
    """Classify every file under ``files_dir/<class>/`` as users load them and report.

    Files go through the app's load path (orientation by convention, re-framing,
    four-yaw voting, "none of these"), so the figure is what a user would see. A
    "none of these" answer counts as wrong; an unreadable file is listed and not
    counted. Class folders must be classes of the weights.
    """
    from voxstudio.core.io.registry import MESH_EXTENSIONS, VOXEL_EXTENSIONS
    from voxstudio.models.file_classifier import FileClassifier

    if kind not in CLASSIFIER_KINDS:
        raise ValueError(f"unknown classifier {kind!r}: choose one of {', '.join(CLASSIFIER_KINDS)}")
    root = Path(files_dir)
    if not root.is_dir():
        raise WeightsError(root, "not a folder of <class>/<file> files")
    stem = resolve_weights(weights, kind)
    classifier = FileClassifier.from_weights(stem, device=str(device))
    classes = classifier.classes
    known = set(VOXEL_EXTENSIONS + MESH_EXTENSIONS)
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    unknown = [p.name for p in folders if p.name not in classes]
    if unknown:
        raise WeightsError(root, f"class folders {unknown} are not classes of {stem} ({', '.join(classes)})")
    confusion = np.zeros((len(classes), len(classes)), np.int64)
    rejected = np.zeros(len(classes), np.int64)
    entries: list[dict[str, Any]] = []
    for folder in folders:
        truth = classes.index(folder.name)
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in known):
            result = classifier.classify_path(path, up)
            entries.append({"file": str(path.relative_to(root)), "class": folder.name,
                            "predicted": result.class_name, "confidence": float(result.confidence),
                            "error": result.error})
            if result.error is not None:
                continue
            if result.class_name is None:
                rejected[truth] += 1
            else:
                confusion[truth, classes.index(result.class_name)] += 1
    answered = int(confusion.sum() + rejected.sum())
    correct = int(np.trace(confusion))
    return ClassifierReport(
        kind=kind,
        classes=classes,
        accuracy=correct / answered if answered else float("nan"),
        per_class=per_class_accuracy(confusion, rejected),
        confusion=confusion,
        num_samples=answered,
        weights=str(stem),
        data=str(root),
        split="files",
        rejected=rejected,
        files=entries,
    )
