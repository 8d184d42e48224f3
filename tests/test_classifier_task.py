"""Classifier task: joint capsule training, then a decoder-only stage that cannot change predictions."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import one_thread_fixture, tiny_dataset  # noqa: E402

from voxstudio.models import load_classifier
from voxstudio.models.weights import WeightsError
from voxstudio.training.classifier_task import build_task
from voxstudio.training.evaluate import classify
from voxstudio.training.loop import fit
from voxstudio.training.runlog import read_log

_one_thread = one_thread_fixture()
SMALL = {"stem_channels": (8, 16), "primary_types": 4, "decoder_channels": 16}


def _dataset(n: int, seed: int) -> SimpleNamespace:
    voxels, labels = tiny_dataset(n=n, resolution=16, seed=seed)
    return SimpleNamespace(voxels=voxels, labels=labels, classes=["low", "middle", "high"], resolution=16)


def _train(out: Path, epochs: int, **options) -> dict[str, float]:
    train, test = _dataset(48, 0), _dataset(12, 1)
    task = build_task("capsnet", train, test, epochs=epochs, batch_size=8, lr=3e-3, model_config=SMALL, **options)
    return fit(task, train, out, epochs=epochs, batch_size=8, device="cpu", progress=False, tensorboard=False)


@pytest.fixture(scope="module")
def joint_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("joint")
    metrics = _train(run, epochs=2)
    assert 0 <= metrics["test_recon_iou"] <= 1 and "train_margin" in metrics
    return run


def test_decoder_stage_changes_only_the_decoder(joint_run: Path, tmp_path: Path) -> None:
    before, _ = load_classifier(joint_run / "capsnet")
    metrics = _train(tmp_path, epochs=2, init_weights=joint_run / "capsnet", decoder_only=True)
    after, config = load_classifier(tmp_path / "capsnet")
    encoder = {id(p) for p in before.encoder_parameters()}
    names_before = dict(before.named_parameters())
    for name, parameter in after.named_parameters():
        same = torch.equal(parameter, names_before[name])
        assert same == (id(names_before[name]) in encoder), name  # encoder frozen, decoder trained
    for name, buffer in after.named_buffers():  # batch-norm statistics frozen too
        assert torch.equal(buffer, dict(before.named_buffers())[name]), name
    test = _dataset(12, 1)
    old, new = classify(before, test.voxels), classify(after, test.voxels)
    assert (old.predicted == new.predicted).all()
    torch.testing.assert_close(torch.as_tensor(old.probabilities), torch.as_tensor(new.probabilities))
    assert config["training"]["stage"].startswith("decoder only")
    assert config["training"]["init_training"]["epochs"] == 2
    rows = [r for r in read_log(tmp_path / "log.csv") if r["kind"] == "epoch"]
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    assert metrics["test_recon_iou"] == pytest.approx(float(new.reconstruction_iou.mean()), abs=1e-6)


def test_init_weights_must_match_the_data(joint_run: Path) -> None:
    other = _dataset(12, 0)
    other.classes = ["a", "b", "c"]
    with pytest.raises(WeightsError, match="other classes"):
        build_task("capsnet", other, None, init_weights=joint_run / "capsnet", model_config=SMALL)
    with pytest.raises(WeightsError, match="not a baseline"):
        build_task("baseline", _dataset(12, 0), None, init_weights=joint_run / "capsnet")
    with pytest.raises(ValueError, match="decoder-only"):
        build_task("capsnet", _dataset(12, 0), None, decoder_only=True)
