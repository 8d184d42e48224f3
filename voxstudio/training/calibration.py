"""Calibrate the "none of these" threshold of a trained classifier.

A classifier answers "none of these" when the presence of its strongest class
(:mod:`voxstudio.models.voting`) falls below a threshold. Real furniture files
score lower than clean procedural shapes (measured on the Kenney kit: down to
0.6 where the procedural test split rarely goes below 0.75), so the threshold is
not set on the clean split. It is set between two held-out populations:

* furniture as real files present it -- the procedural test split passed
  through :func:`~voxstudio.training.augment.real_file_augment` (hollow shells,
  stretched proportions, chunky parts, any yaw), which must pass: its
  ``FURNITURE_QUANTILE`` (0.5 %) presence is the highest threshold allowed;
* non-furniture outliers drawn with other seeds than any training run's, which
  should be refused: their ``OUTLIER_QUANTILE`` (99 %) presence.

The threshold is halfway between the two when they are apart, and the furniture
bound when they overlap (a wrong "none" costs a user more than a doubtful class).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from voxstudio.models.file_classifier import FileClassifier
from voxstudio.training.augment import real_file_augment

__all__ = ["Calibration", "calibrate", "calibrate_weights", "OUTLIER_SEED_OFFSET"]

#: Calibration outliers use seeds far from any training run's (which start at 1e6 * (seed + 1)).
OUTLIER_SEED_OFFSET = 500_000
FURNITURE_QUANTILE = 0.005
OUTLIER_QUANTILE = 0.99


@dataclass
class Calibration:
    threshold: float
    furniture_kept: float  # fraction of the clean test split still answered with a class
    augmented_kept: float  # fraction of the real-file-augmented test split answered with a class
    outliers_refused: float  # fraction of the calibration outliers answered "none of these"
    furniture: int
    outliers: int

    def as_dict(self) -> dict[str, Any]:
        return {"none_threshold": self.threshold, "furniture_kept": self.furniture_kept,
                "augmented_furniture_kept": self.augmented_kept, "outliers_refused": self.outliers_refused,
                "furniture": self.furniture, "outliers": self.outliers,
                "rule": f"halfway between the {100 * FURNITURE_QUANTILE:g} % presence of real-file-augmented "
                        f"test shapes and the {100 * OUTLIER_QUANTILE:g} % presence of held-out non-furniture"}


def outlier_grids(count: int, resolution: int) -> np.ndarray:
    """The calibration outliers: seeds from :data:`OUTLIER_SEED_OFFSET`, never drawn by training."""
    from voxstudio.data.procedural.outliers import outlier_grids as draw

    return draw(count, resolution, OUTLIER_SEED_OFFSET)


def calibrate(classifier: FileClassifier, furniture: np.ndarray, outliers: np.ndarray, seed: int = 0) -> Calibration:
    """The threshold between real-file-like ``furniture`` and ``outliers`` (see the module docstring)."""
    generator = torch.Generator().manual_seed(seed)
    augmented = real_file_augment(torch.as_tensor(np.asarray(furniture)).float(), generator).numpy() > 0.5
    clean_presence = classifier.presence(furniture)
    augmented_presence = classifier.presence(augmented)
    outlier_presence = classifier.presence(outliers)
    # sample values, not interpolations: at least 99.5 % of the augmented shapes are at or above keep_bound
    keep_bound = float(np.quantile(augmented_presence, FURNITURE_QUANTILE, method="lower"))
    refuse_bound = float(np.quantile(outlier_presence, OUTLIER_QUANTILE, method="higher"))
    threshold = (keep_bound + refuse_bound) / 2 if keep_bound > refuse_bound else keep_bound
    return Calibration(
        threshold=threshold,
        furniture_kept=float(np.mean(clean_presence >= threshold)),
        augmented_kept=float(np.mean(augmented_presence >= threshold)),
        outliers_refused=float(np.mean(outlier_presence < threshold)),
        furniture=int(len(furniture)),
        outliers=int(len(outliers)),
    )


def calibrate_weights(stem: str | Path, data_dir: str | Path, outliers: int = 600, device: str = "auto") -> Calibration:
    """Calibrate ``stem`` on ``data_dir``'s test split and write the result into ``stem.json``."""
    from voxstudio.data.dataset import load_split

    classifier = FileClassifier.from_weights(stem, device=device)
    test = load_split(data_dir, "test")
    result = calibrate(classifier, test.voxels, outlier_grids(outliers, classifier.resolution))
    _merge_into_config(stem, {"none_threshold": result.threshold, "none_calibration": result.as_dict()})
    return result


def _merge_into_config(stem: str | Path, values: dict[str, Any]) -> None:
    """Add ``values`` to the weights JSON, atomically (the tensors and their checksum stay as they are)."""
    import json

    from voxstudio.core.atomic import SHARED_FILE_MODE, atomic_write
    from voxstudio.core.io.common import read_json
    from voxstudio.models.weights import weight_paths

    config_path = weight_paths(stem)[1]
    config = read_json(config_path, what="weights config")
    config.update(values)
    with atomic_write(config_path, "w", permissions=SHARED_FILE_MODE, encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
