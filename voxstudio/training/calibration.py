"""Calibrate the "none of these" threshold of a trained classifier.

A classifier answers "none of these" when the presence of its strongest class
(:mod:`voxstudio.models.voting`) falls below a threshold. The threshold is set on
shapes the network never trained on: the procedural test split (furniture,
which must pass) and freshly drawn non-furniture outliers (other seeds than the
training outliers, which should be refused). It keeps ``keep`` of the furniture
(default 98 %: a wrong "none" costs a user more than a doubtful class), and the
refusal rate on the outliers at that threshold is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voxstudio.models.file_classifier import FileClassifier

__all__ = ["Calibration", "calibrate", "OUTLIER_SEED_OFFSET", "DEFAULT_KEEP"]

#: Calibration outliers use seeds far from any training run's (which start at 1e6 * (seed + 1)).
OUTLIER_SEED_OFFSET = 500_000
DEFAULT_KEEP = 0.98


@dataclass
class Calibration:
    threshold: float
    furniture_kept: float  # fraction of the test split still answered with a class
    outliers_refused: float  # fraction of the calibration outliers answered "none of these"
    furniture: int
    outliers: int

    def as_dict(self) -> dict[str, Any]:
        return {"none_threshold": self.threshold, "furniture_kept": self.furniture_kept,
                "outliers_refused": self.outliers_refused, "furniture": self.furniture, "outliers": self.outliers}


def outlier_grids(count: int, resolution: int) -> np.ndarray:
    from voxstudio.data.procedural.outliers import generate_outlier

    return np.stack([generate_outlier(OUTLIER_SEED_OFFSET + k, resolution) for k in range(count)])


def calibrate(classifier: FileClassifier, furniture: np.ndarray, outliers: np.ndarray,
              keep: float = DEFAULT_KEEP) -> Calibration:
    """The threshold that keeps ``keep`` of ``furniture``, and how many ``outliers`` it refuses."""
    if not 0.5 <= keep < 1.0:
        raise ValueError(f"keep must be in [0.5, 1), got {keep}")
    kept_presence = classifier.presence(furniture)
    outlier_presence = classifier.presence(outliers)
    threshold = float(np.quantile(kept_presence, 1.0 - keep))
    return Calibration(
        threshold=threshold,
        furniture_kept=float(np.mean(kept_presence >= threshold)),
        outliers_refused=float(np.mean(outlier_presence < threshold)),
        furniture=int(len(furniture)),
        outliers=int(len(outliers)),
    )


def calibrate_weights(stem: str | Path, data_dir: str | Path, outliers: int = 600, keep: float = DEFAULT_KEEP,
                      device: str = "auto") -> Calibration:
    """Calibrate ``stem`` on ``data_dir``'s test split and write the result into ``stem.json``."""
    from voxstudio.data.dataset import load_split

    classifier = FileClassifier.from_weights(stem, device=device)
    test = load_split(data_dir, "test")
    result = calibrate(classifier, test.voxels, outlier_grids(outliers, classifier.resolution), keep)
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
