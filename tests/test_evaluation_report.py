"""docs/meshbuilt_set.py (independent held-out meshes) and docs/make_evaluation.py (the evaluation page)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS))

import make_evaluation  # noqa: E402 - docs/ scripts are not a package
import meshbuilt_set  # noqa: E402

from voxstudio.data.dataset import build_procedural, load_split  # noqa: E402
from voxstudio.data.procedural import CLASSES  # noqa: E402
from voxstudio.models.weights import weights_exist  # noqa: E402
from voxstudio.paths import weights_dir  # noqa: E402


def test_every_class_has_distinct_styles_of_plausible_size() -> None:
    assert list(meshbuilt_set.BUILDERS) == list(CLASSES)  # the imported set lines up with the classifiers
    for name in CLASSES:
        extents = []
        for index in range(meshbuilt_set.STYLES_PER_CLASS):
            mesh = meshbuilt_set.build_mesh(name, index)
            assert len(mesh.faces) > 0 and np.isfinite(mesh.vertices).all()
            lo, hi = mesh.bounds
            assert lo[2] == pytest.approx(0.0, abs=0.02), (name, index)  # stands on the floor (metres, z up)
            assert 0.1 < (hi - lo).max() < 3.0, (name, index)  # furniture-sized
            extents.append(tuple(np.round(hi - lo, 3)))
        assert len(set(extents)) == meshbuilt_set.STYLES_PER_CLASS, name  # five different shapes
    again = meshbuilt_set.build_mesh("chair", 1)
    np.testing.assert_array_equal(again.vertices, meshbuilt_set.build_mesh("chair", 1).vertices)  # deterministic


def test_meshes_are_triangle_soups_of_touching_parts() -> None:
    """Not one watertight solid: separate parts that touch or overlap, like CAD exports."""
    mesh = meshbuilt_set.build_mesh("chair", 1)  # office chair: star base, column, seat, back, arms
    assert len(mesh.split(only_watertight=False)) >= 5


def test_tree_imports_through_the_cli_with_every_class(tmp_path: Path) -> None:
    tree = meshbuilt_set.write_tree(tmp_path / "meshes", per_class=1)
    assert sorted(p.parent.parent.name for p in tree.glob("*/test/*.off")) == sorted(CLASSES)
    data = meshbuilt_set.import_tree(tree, tmp_path / "dataset")
    held_out = load_split(data, "test")
    assert held_out.classes == list(CLASSES) and len(held_out.labels) == len(CLASSES)
    for grid in held_out.voxels:
        assert grid.any() and grid[:, :, 0].any()  # grounded
        assert max(np.ptp(np.nonzero(grid)[axis]) + 1 for axis in range(3)) >= 28  # normalised to R - 2 = 30 (+-)


def test_wilson_interval() -> None:
    lo, hi = make_evaluation.wilson_interval(52, 60)
    assert lo < 52 / 60 < hi and 0.75 < lo < 0.78 and 0.92 < hi < 0.95
    assert make_evaluation.wilson_interval(12, 12)[1] == 1.0


@pytest.mark.slow
@pytest.mark.skipif(not weights_exist(Path(weights_dir()) / "capsnet"), reason="needs the shipped classifier weights")
def test_quick_report_with_the_shipped_weights(tmp_path: Path) -> None:
    data = build_procedural(tmp_path / "data", 2, resolution=32, test_fraction=0.5, seed=3, workers=1, progress=False)
    page = tmp_path / "doc" / "evaluation.md"
    assert make_evaluation.main(["--data", str(data), "--out", str(page), "--quick", "--threads", "1"]) == 0
    text = page.read_text()
    numbers = json.loads(page.with_suffix(".json").read_text())
    for heading in ("## Classifiers on the procedural test split", "## Generator (class-conditional GAN)",
                    "## Generalisation: an independent mesh-built held-out set", "## Limitations"):
        assert heading in text
    for kind in ("capsnet", "baseline"):
        report = numbers["classifiers"][kind]
        if report is None:
            continue
        confusion = np.array(report["confusion_matrix"])
        assert report["accuracy"] == pytest.approx(np.trace(confusion) / confusion.sum())
        assert confusion.sum() == 12  # one test shape per class
        held_out = numbers["meshbuilt"][kind]
        assert np.array(held_out["confusion_matrix"]).sum() == 12
        correct = sum(row[kind] == row["class"] for row in numbers["meshbuilt_shapes"])
        assert held_out["accuracy"] == pytest.approx(correct / 12)  # per-shape table agrees with the evaluator
        assert f"{100 * held_out['accuracy']:.1f} %" in text
    for name in numbers["images"].values():
        image = tmp_path / "doc" / "images" / name
        assert image.stat().st_size > 1000 and f"images/{name}" in text
    if numbers["gan"] is None:
        assert "Not measured: no generator weights" in text
    else:
        assert 0.0 <= numbers["gan"]["metrics"]["1nna"] <= 1.0
