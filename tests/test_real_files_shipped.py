"""The shipped classifiers on real files and on the cases users reported.

Real files: the CC0 Kenney furniture kit in ``tests/data/kenney`` (low-poly glTF,
y up, front +z), read exactly as the app reads them. The other cases are made
here: a chair in the corner of its grid, a ShapeNet-convention chair, and shapes
that are none of the classes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxstudio.core.io import save_voxels
from voxstudio.core.io.binvox import write_binvox
from voxstudio.core.orientation import SHAPENET, Orientation, rotate_grid
from voxstudio.data.procedural import generate_shape
from voxstudio.data.procedural.outliers import OUTLIER_KINDS, generate_outlier
from voxstudio.models.file_classifier import FileClassifier
from voxstudio.models.weights import weights_exist
from voxstudio.paths import weights_dir
from voxstudio.training.evaluate import evaluate_files

KENNEY = Path(__file__).parent / "data" / "kenney"
SHIPPED = Path(weights_dir())

pytestmark = pytest.mark.skipif(not weights_exist(SHIPPED / "capsnet"), reason="needs the shipped classifier weights")


@pytest.fixture(scope="module")
def capsnet() -> FileClassifier:
    return FileClassifier.from_weights(SHIPPED / "capsnet", device="cpu")


def test_kenney_kit_is_read_right(capsnet: FileClassifier) -> None:
    capsule = evaluate_files("capsnet", KENNEY, SHIPPED, device="cpu")
    assert capsule.num_samples == 32 and not any(entry["error"] for entry in capsule.files or [])
    # 31 of 32 measured with the shipped weights (the issue asks for 95 %); the miss is the kit's most
    # ambiguous piece: a long side table with two drawers, filed as a night stand, read as a desk
    assert capsule.accuracy >= 31 / 32, capsule.format_text()
    baseline = evaluate_files("baseline", KENNEY, SHIPPED, device="cpu")
    assert capsule.accuracy >= baseline.accuracy  # the capsule network holds at least the CNN's line


def test_chair_in_the_corner_of_its_grid_is_a_chair(tmp_path: Path, capsnet: FileClassifier) -> None:
    """Reported: a 32^3 chair .binvox in one corner of its grid was read as a table."""
    chair = generate_shape("chair", 7)
    corner = np.zeros((32, 32, 32), dtype=bool)
    corner[:16, 16:, 10:26] = chair[::2, ::2, ::2]
    path = tmp_path / "corner_chair.binvox"
    write_binvox(path, corner)
    result = capsnet.classify_path(path, "z")
    assert result.class_name == "chair", result
    assert "re-framed" in result.description


def test_shapenet_convention_chair_is_a_chair(tmp_path: Path, capsnet: FileClassifier) -> None:
    """ShapeNet stores y up, front -z, in 128^3; named as ShapeNetCore names its files."""
    chair = generate_shape("chair", 11)
    inverse = tuple(tuple(int(v) for v in row) for row in SHAPENET.as_array().T)
    stored = rotate_grid(chair, Orientation("to-shapenet", "", inverse))
    big = np.repeat(np.repeat(np.repeat(stored, 4, 0), 4, 1), 4, 2)
    path = tmp_path / "model_normalized.solid.binvox"
    write_binvox(path, big)
    result = capsnet.classify_path(path)
    assert result.class_name == "chair", result
    assert "y up, front -z (ShapeNet)" in result.description
    bare = tmp_path / "chair.binvox"  # the same file without its ShapeNet name: the pose search finds it
    write_binvox(bare, stored)
    assert capsnet.classify_path(bare).class_name == "chair"


def test_non_furniture_is_none_of_these(tmp_path: Path, capsnet: FileClassifier) -> None:
    assert capsnet.none_threshold is not None
    refused = 0
    # seeds no training or calibration run draws (those start at 5e5 and 1e6)
    seeds = [50_000 + k for k in range(2 * len(OUTLIER_KINDS))]
    for seed in seeds:
        path = tmp_path / f"thing{seed}.npy"
        save_voxels(path, generate_outlier(seed))
        refused += capsnet.classify_path(path).class_name is None
    assert refused >= 0.7 * len(seeds)
