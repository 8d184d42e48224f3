"""TrainTask for the two classifiers: the capsule network and the VoxNet baseline.

Both are trained the same way so that their comparison is fair: Adam, a cosine
learning-rate decay over the run, the same mirror/shift augmentation, the same
test-set evaluation at every epoch end.  Only the loss differs (margin +
reconstruction for capsules, cross-entropy for the CNN).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from voxstudio.models import build_classifier
from voxstudio.models.weights import save_weights
from voxstudio.training.augment import flip_and_shift
from voxstudio.training.checkpoint import seed_everything

DEFAULT_EPOCHS = 12
DEFAULT_BATCH_SIZE = 32
DEFAULT_LR = 1e-3
#: The learning rate decays (cosine) to this fraction of its start by the last epoch.
FINAL_LR_FRACTION = 0.05
CONFIG_FORMAT = 1


class ClassifierTask:
    """Train ``capsnet`` or ``baseline`` on voxel grids; evaluate on a held-out split."""

    def __init__(
        self,
        kind: str,
        classes: list[str],
        resolution: int,
        test_set: Any = None,
        epochs: int = DEFAULT_EPOCHS,
        lr: float = DEFAULT_LR,
        augment: bool = True,
        model_config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.name = kind
        self.kind = kind
        self.classes = list(classes)
        self.resolution = int(resolution)
        self.model = build_classifier(kind, num_classes=len(self.classes), resolution=self.resolution,
                                      **(model_config or {}))
        self.net: nn.Module = self.model
        self.device = torch.device("cpu")
        self.test_set = test_set
        self.epochs = epochs
        self.lr = lr
        self.augment = augment
        #: Training facts recorded in the exported JSON (data folder, batch size...).
        self.metadata = dict(metadata or {})
        self.last_metrics: dict[str, float] = {}
        self._optimizer: torch.optim.Optimizer | None = None

    # ------------------------------------------------------------ TrainTask
    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model}

    def bind(self, wrapped: dict[str, nn.Module], device: torch.device) -> None:
        self.net = wrapped["model"]
        self.device = device

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        if self._optimizer is None:
            self._optimizer = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        return {"adam": self._optimizer}

    def learning_rate(self, epoch: int) -> float:
        """Cosine decay from ``lr`` to ``FINAL_LR_FRACTION * lr`` over the run (a pure function of epoch)."""
        progress = min(1.0, epoch / max(1, self.epochs - 1))
        return self.lr * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))

    def on_epoch_start(self, epoch: int) -> None:
        for group in self.optimizers()["adam"].param_groups:
            group["lr"] = self.learning_rate(epoch)

    def train_step(self, voxels: Tensor, labels: Tensor, step: int) -> dict[str, float]:
        inputs = flip_and_shift(voxels) if self.augment else voxels
        optimizer = self.optimizers()["adam"]
        optimizer.zero_grad(set_to_none=True)
        if self.kind == "capsnet":
            output = self.net(inputs, labels)
            loss, margin, reconstruction = self.model.loss(output, inputs, labels)
            predicted = output.lengths.argmax(dim=1)
            extra = {"margin": float(margin.detach()), "recon_bce": float(reconstruction.detach())}
        else:
            logits = self.net(inputs)
            loss = F.cross_entropy(logits, labels)
            predicted = logits.argmax(dim=1)
            extra = {}
        loss.backward()
        optimizer.step()
        accuracy = float((predicted == labels).float().mean())
        return {"loss": float(loss.detach()), **extra, "acc": accuracy}

    def evaluate(self, epoch: int) -> dict[str, float]:
        """Test-split accuracy (nothing when no test split was given)."""
        if self.test_set is None or len(self.test_set.labels) == 0:
            return {}
        from voxstudio.training.evaluate import predict
        from voxstudio.training.metrics import accuracy

        predicted, _ = predict(self.model, self.test_set.voxels, batch_size=64, device=self.device)
        self.last_metrics = {"test_accuracy": accuracy(predicted, self.test_set.labels)}
        return dict(self.last_metrics)

    def export_weights(self, out_dir: Path) -> None:
        """``out_dir/<kind>.safetensors`` + ``.json`` (architecture, classes, training facts, metrics)."""
        save_weights(Path(out_dir) / self.kind, self.model, self.weights_config())

    # -------------------------------------------------------------- helpers
    def weights_config(self) -> dict[str, Any]:
        return {
            "format_version": CONFIG_FORMAT,
            "kind": self.kind,
            "architecture": type(self.model).__name__,
            "model": self.model.config(),
            "classes": self.classes,
            "resolution": self.resolution,
            "training": {"lr": self.lr, "epochs": self.epochs, "augment": self.augment, **self.metadata},
            "metrics": dict(self.last_metrics),
        }


def build_task(
    kind: str,
    train_set: Any,
    test_set: Any = None,
    *,
    epochs: int = DEFAULT_EPOCHS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lr: float | None = None,
    seed: int = 0,
    augment: bool = True,
    model_config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> ClassifierTask:
    """The task ``voxstudio train capsnet|baseline`` runs; seeds first so initial weights repeat."""
    seed_everything(seed)
    info = {"batch_size": batch_size, "seed": seed, "train_samples": int(len(train_set.labels)),
            "test_samples": int(len(test_set.labels)) if test_set is not None else 0, **(metadata or {})}
    return ClassifierTask(
        kind,
        classes=list(train_set.classes),
        resolution=int(train_set.resolution),
        test_set=test_set,
        epochs=epochs,
        lr=DEFAULT_LR if lr is None else lr,
        augment=augment,
        model_config=model_config,
        metadata=info,
    )
