"""Classification metrics, the evaluator and the train / evaluate commands end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import one_thread_fixture, single_thread, tiny_dataset  # noqa: E402

from voxstudio.cli import main
from voxstudio.data.dataset import write_dataset
from voxstudio.models import load_classifier
from voxstudio.training.evaluate import evaluate_classifier, predict
from voxstudio.training.metrics import accuracy, confusion_matrix, per_class_accuracy

_one_thread = one_thread_fixture()
CLASSES = ["left", "middle", "right"]


def test_metrics_on_a_hand_made_example() -> None:
    target = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0, 2])
    assert accuracy(predicted, target) == pytest.approx(4 / 6)
    confusion = confusion_matrix(predicted, target, 4)
    assert confusion.tolist() == [[1, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    per_class = per_class_accuracy(confusion)
    np.testing.assert_allclose(per_class[:3], [0.5, 2 / 3, 1.0])
    assert np.isnan(per_class[3])  # no sample of class 3
    assert accuracy(torch.tensor([1, 2]), torch.tensor([1, 1])) == 0.5
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        confusion_matrix(np.array([3]), np.array([0]), 3)
    with pytest.raises(ValueError, match="differ"):
        accuracy(np.array([0, 1]), np.array([0]))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    train = tiny_dataset(n=48, resolution=16, seed=0)
    test = tiny_dataset(n=24, resolution=16, seed=1)
    return write_dataset(out, {"train": train, "test": test}, CLASSES, 16, source="test")


@pytest.fixture(scope="module")
def trained_run(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("run")
    with single_thread():
            code = main(["train", "baseline", "--data", str(data_dir), "--out", str(run), "--epochs", "3",
                     "--batch-size", "8", "--lr", "3e-3", "--device", "cpu", "--no-progress"])
    assert code == 0
    return run


def test_train_command_writes_weights_log_and_checkpoint(trained_run: Path, data_dir: Path) -> None:
    model, config = load_classifier(trained_run / "baseline")
    assert config["classes"] == CLASSES and config["kind"] == "baseline"
    assert config["training"]["data"] == str(data_dir) and config["training"]["batch_size"] == 8
    assert 0 <= config["metrics"]["test_accuracy"] <= 1
    assert (trained_run / "checkpoint.pt").is_file() and (trained_run / "log.csv").is_file()


def test_evaluate_command_reports_and_saves(trained_run: Path, data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    out = trained_run / "report"
    code = main(["evaluate", "baseline", "--data", str(data_dir), "--weights", str(trained_run), "--device", "cpu",
                 "--json", str(out / "m.json"), "--png", str(out / "m.png"), "--markdown", str(out / "m.md")])
    assert code == 0
    text = capsys.readouterr().out
    assert "accuracy:" in text and "confusion matrix" in text and "middle" in text
    report = json.loads((out / "m.json").read_text())
    # Independent check of the reported accuracy and matrix.
    model, _ = load_classifier(trained_run / "baseline")
    test_voxels, test_labels = tiny_dataset(n=24, resolution=16, seed=1)
    predicted, probabilities = predict(model, test_voxels, batch_size=5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert report["accuracy"] == pytest.approx(float(np.mean(predicted == test_labels)))
    assert report["confusion_matrix"] == confusion_matrix(predicted, test_labels, 3).tolist()
    assert report["accuracy"] > 0.6  # three epochs on clean slabs learn something
    from PIL import Image

    with Image.open(out / "m.png") as image:
        assert image.width > 3 * 44 and image.height > 3 * 44
    assert (out / "m.md").read_text().count("\n") == 2 + 3


def test_evaluate_accepts_a_weights_file_and_checks_classes(trained_run: Path, data_dir: Path, tmp_path: Path) -> None:
    report = evaluate_classifier("baseline", data_dir, trained_run / "baseline.safetensors", device="cpu")
    assert report.num_samples == 24 and report.confusion.sum() == 24
    other = write_dataset(tmp_path / "other", {"test": tiny_dataset(n=6, resolution=16)}, ["a", "b", "c"], 16, "test")
    code = main(["evaluate", "baseline", "--data", str(other), "--weights", str(trained_run), "--device", "cpu"])
    assert code == 2


def test_train_refuses_to_overwrite_a_run(trained_run: Path, data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["train", "baseline", "--data", str(data_dir), "--out", str(trained_run), "--epochs", "1",
                 "--batch-size", "8", "--device", "cpu", "--no-progress"])
    assert code == 2
    assert "--resume" in capsys.readouterr().err


def test_resume_of_a_finished_run_only_re_exports(trained_run: Path, data_dir: Path) -> None:
    before = (trained_run / "baseline.safetensors").read_bytes()
    code = main(["train", "baseline", "--data", str(data_dir), "--out", str(trained_run), "--epochs", "3",
                 "--batch-size", "8", "--lr", "3e-3", "--device", "cpu", "--no-progress", "--resume"])
    assert code == 0
    assert (trained_run / "baseline.safetensors").read_bytes() == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_request_without_gpu_is_a_clean_error(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["train", "capsnet", "--data", str(data_dir), "--out", str(tmp_path), "--device", "cuda"])
    assert code == 2
    assert "CUDA is not available" in capsys.readouterr().err


def test_missing_weights_are_a_clean_error(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["evaluate", "capsnet", "--data", str(data_dir), "--weights", str(tmp_path), "--device", "cpu"])
    assert code == 2
    assert "capsnet.safetensors: weights file not found" in capsys.readouterr().err
