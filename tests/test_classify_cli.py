"""``voxstudio classify``, ``evaluate --files`` and ``evaluate --calibrate`` from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from core_shapes import chair_grid

from voxstudio.cli import main
from voxstudio.core.io import save_voxels
from voxstudio.core.io.prepare import frame_grid
from voxstudio.data.dataset import write_dataset
from voxstudio.data.procedural import CLASSES, generate_shape
from voxstudio.models import build_classifier
from voxstudio.models.weights import save_weights


def _weights(folder: Path, kind: str = "capsnet", threshold: float | None = None) -> Path:
    """Untrained weights with the shipped architecture (the CLI plumbing is what is tested here)."""
    torch.manual_seed(0)
    model = build_classifier(kind, num_classes=len(CLASSES), resolution=32)
    config = {"format_version": 1, "kind": kind, "model": model.config(), "classes": list(CLASSES), "resolution": 32}
    if threshold is not None:
        config["none_threshold"] = threshold
    save_weights(folder / kind, model, config)
    return folder


def test_classify_json_reports_every_file_and_fails_on_a_bad_one(tmp_path: Path, capsys) -> None:
    weights = _weights(tmp_path / "w")
    good = tmp_path / "chair.npy"
    save_voxels(good, frame_grid(chair_grid(32), 32))
    bad = tmp_path / "broken.binvox"
    bad.write_bytes(b"#binvox 1\ndim 2 2 2\ndata\n\x01")
    code = main(["classify", str(good), str(bad), "--json", "--weights", str(weights), "--device", "cpu"])
    assert code == 1  # one file failed
    rows = json.loads(capsys.readouterr().out)
    assert [row["file"] for row in rows] == [str(good), str(bad)]
    first, second = rows
    assert set(first) == {"file", "class", "confidence", "probabilities", "error"}
    assert first["error"] is None and first["class"] in CLASSES
    assert list(first["probabilities"]) == list(CLASSES)
    assert sum(first["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert first["confidence"] == pytest.approx(first["probabilities"][first["class"]], abs=1e-6)
    assert second["class"] is None and second["error"] and "broken.binvox" in second["error"]


def test_classify_says_none_of_these_below_the_threshold(tmp_path: Path, capsys) -> None:
    weights = _weights(tmp_path / "w", threshold=2.0)  # no presence reaches 2: always "none"
    shape = tmp_path / "thing.npy"
    save_voxels(shape, frame_grid(chair_grid(32), 32))
    assert main(["classify", str(shape), "--json", "--weights", str(weights), "--device", "cpu"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["class"] is None and row["error"] is None and 0.0 <= row["confidence"] <= 1.0
    assert main(["classify", str(shape), "--weights", str(weights), "--device", "cpu"]) == 0
    assert "none of the classes" in capsys.readouterr().out


def test_evaluate_files_prints_accuracy_and_confusion(tmp_path: Path, capsys) -> None:
    weights = _weights(tmp_path / "w", kind="baseline")
    files = tmp_path / "files"
    for name in ("chair", "table"):
        (files / name).mkdir(parents=True)
        for seed in range(2):
            save_voxels(files / name / f"{name}{seed}.binvox", generate_shape(name, seed))
    (files / "chair" / "notes.txt").write_text("not a shape")  # ignored
    (files / "table" / "broken.vox").write_bytes(b"VOX junk")
    code = main(["evaluate", "baseline", "--files", str(files), "--weights", str(weights), "--device", "cpu",
                 "--json", str(tmp_path / "report.json")])
    assert code == 0
    out = capsys.readouterr().out
    assert "accuracy:" in out and "confusion matrix" in out and "unreadable: table/broken.vox" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["split"] == "files" and report["num_samples"] == 4
    assert int(np.sum(report["confusion_matrix"])) + sum(report["none_of_these"].values()) == 4
    assert {entry["file"] for entry in report["files"]} == {
        "chair/chair0.binvox", "chair/chair1.binvox", "table/table0.binvox", "table/table1.binvox",
        "table/broken.vox"}


def test_evaluate_files_refuses_unknown_class_folders(tmp_path: Path, capsys) -> None:
    weights = _weights(tmp_path / "w")
    (tmp_path / "files" / "spaceship").mkdir(parents=True)
    assert main(["evaluate", "capsnet", "--files", str(tmp_path / "files"), "--weights", str(weights)]) == 2
    assert "spaceship" in capsys.readouterr().err


def test_calibrate_writes_a_threshold_that_keeps_the_furniture(tmp_path: Path, capsys) -> None:
    weights = _weights(tmp_path / "w")
    voxels = np.stack([generate_shape(name, seed) for name in CLASSES for seed in range(3)])
    labels = np.repeat(np.arange(len(CLASSES)), 3)
    data = write_dataset(tmp_path / "data", {"train": (voxels, labels), "test": (voxels, labels)}, CLASSES, 32,
                         "procedural", 0)
    code = main(["evaluate", "capsnet", "--data", str(data), "--weights", str(weights), "--calibrate",
                 "--device", "cpu"])
    assert code == 0
    assert "none-of-these threshold" in capsys.readouterr().out
    config = json.loads((weights / "capsnet.json").read_text())
    calibration = config["none_calibration"]
    assert config["none_threshold"] == calibration["none_threshold"]
    # never above the presence of the 0.5 % least sure real-file-like test shapes
    assert calibration["augmented_furniture_kept"] >= 0.99 and calibration["furniture"] == len(voxels)
    assert 0.0 <= calibration["furniture_kept"] <= 1.0
    assert 0.0 <= calibration["outliers_refused"] <= 1.0
    # the weights still load (the tensors and their checksum are untouched)
    assert main(["classify", str(tmp_path / "data" / "meta.json"), "--weights", str(weights)]) == 1
