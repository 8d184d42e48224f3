"""TrainTask for the two classifiers: the capsule network and the VoxNet baseline.

Both are trained the same way so that their comparison is fair: Adam, a cosine
learning-rate decay over the run, the same mirror/shift augmentation, the same
test-set evaluation at every epoch end.  Only the loss differs (margin +
reconstruction for capsules, cross-entropy for the CNN).

A capsule network can also get a second, *decoder-only* stage (``decoder_only``
with ``init_weights``): the encoder is frozen and only the reconstruction
decoder is refitted with occupied voxels weighted up.  In joint training the
decoder is a lightly weighted regulariser and its shapes stay blurry; the
second stage sharpens what the pose explorer shows without being able to change
a single classification.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from voxstudio.models import build_classifier
from voxstudio.models.capsnet import reconstruction_iou, reconstruction_loss
from voxstudio.models.weights import save_weights
from voxstudio.training.augment import flip_and_shift, real_file_augment
from voxstudio.training.checkpoint import seed_everything

DEFAULT_EPOCHS = 12
DEFAULT_BATCH_SIZE = 32
DEFAULT_LR = 1e-3
#: The learning rate decays (cosine) to this fraction of its start by the last epoch.
FINAL_LR_FRACTION = 0.05
CONFIG_FORMAT = 1
#: Weight of occupied voxels in the decoder-only stage's BCE (shapes fill ~10 % of the grid).
DECODER_STAGE_POS_WEIGHT = 2.0
#: Augmentation recipes: what real files do (any of four yaws, hollow shells, stretched
#: proportions, chunky parts, plus mirror/shift), the mirror/shift of the first release, or none.
AUGMENTATIONS = ("real-files", "mirror-shift", "none")
#: Label of a non-furniture (outlier) training shape: it must light up no class.
OUTLIER_LABEL = -1
#: Weight of the baseline's uniform-target loss on outliers (outlier exposure, Hendrycks et al. 2019).
OUTLIER_LOSS_WEIGHT = 0.5


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
        augment: bool | str = True,
        model_config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        init_weights: str | Path | None = None,
        decoder_only: bool = False,
    ) -> None:
        if augment is True:
            augment = "real-files"
        elif augment is False:
            augment = "none"
        if augment not in AUGMENTATIONS:
            raise ValueError(f"augmentation must be one of {', '.join(AUGMENTATIONS)}, got {augment!r}")
        if decoder_only and (kind != "capsnet" or init_weights is None):
            raise ValueError("the decoder-only stage needs a capsnet and its trained weights (init_weights)")
        self.name = kind
        self.kind = kind
        self.classes = list(classes)
        self.resolution = int(resolution)
        self.decoder_only = decoder_only
        self.init_training: dict[str, Any] | None = None
        # CapsNet3D or VoxNet (``kind`` decides): typed Any for the kind-specific methods used below.
        self.model: Any
        if init_weights is not None:
            self.model = self._load_initial(init_weights)
        else:
            self.model = build_classifier(kind, num_classes=len(self.classes), resolution=self.resolution,
                                          **(model_config or {}))
        if decoder_only:
            for parameter in self.model.encoder_parameters():
                parameter.requires_grad_(False)
        self.init_weights = None if init_weights is None else str(init_weights)
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
            parameters = [p for p in self.model.parameters() if p.requires_grad]
            self._optimizer = torch.optim.Adam(parameters, lr=self.lr)
        return {"adam": self._optimizer}

    def learning_rate(self, epoch: int) -> float:
        """Cosine decay from ``lr`` to ``FINAL_LR_FRACTION * lr`` over the run (a pure function of epoch)."""
        progress = min(1.0, epoch / max(1, self.epochs - 1))
        return self.lr * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))

    def on_epoch_start(self, epoch: int) -> None:
        for group in self.optimizers()["adam"].param_groups:
            group["lr"] = self.learning_rate(epoch)
        if self.decoder_only:
            # fit() has just put everything in train mode; a frozen encoder must
            # not update its batch-norm statistics either.
            self.model.stem.eval()

    def _augmented(self, voxels: Tensor) -> Tensor:
        if self.augment == "real-files":
            return real_file_augment(voxels)
        if self.augment == "mirror-shift":
            return flip_and_shift(voxels)
        return voxels

    def train_step(self, voxels: Tensor, labels: Tensor, step: int) -> dict[str, float]:
        inputs = self._augmented(voxels)
        known = labels != OUTLIER_LABEL
        optimizer = self.optimizers()["adam"]
        optimizer.zero_grad(set_to_none=True)
        if self.decoder_only:
            inputs, labels = inputs[known], labels[known]  # outliers have no class slot to decode from
            output = self.net(inputs, labels)
            loss = reconstruction_loss(output.reconstruction, inputs, pos_weight=DECODER_STAGE_POS_WEIGHT)
            loss.backward()
            optimizer.step()
            iou = reconstruction_iou(output.reconstruction.detach(), inputs)
            return {"loss": float(loss.detach()), "recon_iou": float(iou.mean())}
        if self.kind == "capsnet":
            output = self.net(inputs, labels)
            loss, margin, reconstruction = self.model.loss(output, inputs, labels)
            predicted = output.lengths.argmax(dim=1)
            extra = {"margin": float(margin.detach()), "recon_bce": float(reconstruction.detach())}
        else:
            logits = self.net(inputs)
            loss = F.cross_entropy(logits[known], labels[known]) if bool(known.any()) else logits.sum() * 0.0
            if not bool(known.all()):
                # Outlier exposure: a uniform target on non-furniture keeps its softmax flat.
                uniform = -F.log_softmax(logits[~known], dim=1).mean(dim=1).mean()
                loss = loss + OUTLIER_LOSS_WEIGHT * uniform
            predicted = logits.argmax(dim=1)
            extra = {}
        loss.backward()
        optimizer.step()
        accuracy = float((predicted[known] == labels[known]).float().mean()) if bool(known.any()) else 0.0
        return {"loss": float(loss.detach()), **extra, "acc": accuracy}

    def evaluate(self, epoch: int) -> dict[str, float]:
        """Test-split accuracy (nothing when no test split was given)."""
        if self.test_set is None or len(self.test_set.labels) == 0:
            return {}
        from voxstudio.training.evaluate import classify
        from voxstudio.training.metrics import accuracy

        result = classify(self.model, self.test_set.voxels, batch_size=64, device=self.device)
        self.last_metrics = {"test_accuracy": accuracy(result.predicted, self.test_set.labels)}
        if result.reconstruction_iou is not None:
            self.last_metrics["test_recon_iou"] = float(result.reconstruction_iou.mean())
        return dict(self.last_metrics)

    def export_weights(self, out_dir: Path) -> None:
        """``out_dir/<kind>.safetensors`` + ``.json`` (architecture, classes, training facts, metrics)."""
        save_weights(Path(out_dir) / self.kind, self.model, self.weights_config())

    # -------------------------------------------------------------- helpers
    def weights_config(self) -> dict[str, Any]:
        training: dict[str, Any] = {"lr": self.lr, "epochs": self.epochs, "augment": self.augment, **self.metadata}
        if self.decoder_only:
            training["stage"] = "decoder only (encoder frozen)"
            training["reconstruction_pos_weight"] = DECODER_STAGE_POS_WEIGHT
        if self.init_weights is not None:
            training["init_weights"] = self.init_weights
            training["init_training"] = self.init_training
        return {
            "format_version": CONFIG_FORMAT,
            "kind": self.kind,
            "architecture": type(self.model).__name__,
            "model": self.model.config(),
            "classes": self.classes,
            "resolution": self.resolution,
            "training": training,
            "metrics": dict(self.last_metrics),
        }

    def _load_initial(self, stem: str | Path) -> nn.Module:
        """The network of ``stem`` (its own architecture), checked against this task's classes."""
        from voxstudio.models import load_classifier
        from voxstudio.models.weights import WeightsError, weight_paths

        model, config = load_classifier(stem)
        if config.get("kind") != self.kind:
            raise WeightsError(weight_paths(stem)[1], f"holds a {config.get('kind')}, not a {self.kind}")
        if list(config.get("classes", [])) != self.classes or int(config["model"]["resolution"]) != self.resolution:
            raise WeightsError(weight_paths(stem)[1], "was trained on other classes or another resolution than this data")
        self.init_training = config.get("training")
        return model.train()


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
    init_weights: str | Path | None = None,
    decoder_only: bool = False,
    outliers: int = 0,
) -> ClassifierTask:
    """The task ``voxstudio train capsnet|baseline`` runs; seeds first so initial weights repeat.

    ``init_weights`` starts from trained weights (a stem); ``decoder_only``
    then refits only a capsule network's decoder (see the module docstring).
    ``outliers`` > 0 asks for that many non-furniture shapes to be mixed into the
    training set (add them with :func:`with_outliers`; recorded in the weights).
    """
    seed_everything(seed)
    info = {"batch_size": batch_size, "seed": seed, "train_samples": int(len(train_set.labels)),
            "test_samples": int(len(test_set.labels)) if test_set is not None else 0, **(metadata or {})}
    if outliers:
        info["outlier_samples"] = int(outliers)
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
        init_weights=init_weights,
        decoder_only=decoder_only,
    )


def with_outliers(train_set: Any, count: int, seed: int = 0) -> Any:
    """``train_set`` plus ``count`` non-furniture shapes labelled :data:`OUTLIER_LABEL`.

    The shapes come from :mod:`voxstudio.data.procedural.outliers` (seeds offset by
    ``seed`` so another run can draw other ones); the classes and resolution stay.
    """
    import dataclasses

    import numpy as np

    from voxstudio.data.procedural.outliers import outlier_grids

    if count <= 0:
        return train_set
    shapes = outlier_grids(count, int(train_set.resolution), first_seed=1_000_000 * (int(seed) + 1))
    voxels = np.concatenate([np.asarray(train_set.voxels, dtype=bool), shapes])
    labels = np.concatenate([np.asarray(train_set.labels, dtype=np.int64), np.full(count, OUTLIER_LABEL, np.int64)])
    return dataclasses.replace(train_set, voxels=voxels, labels=labels)
