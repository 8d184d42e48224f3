"""fit(): learning, exact resume, Ctrl-C checkpoints, logs, and refusal of bad set-ups."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import TinyTask, one_thread_fixture, tiny_dataset  # noqa: E402

from voxstudio.models.weights import load_weights
from voxstudio.training.checkpoint import CheckpointError, load_checkpoint
from voxstudio.training.loop import CHECKPOINT_NAME, TrainingError, epoch_permutation, fit
from voxstudio.training.runlog import read_log

BATCH = 8  # 48 samples -> 6 steps per epoch

_one_thread = one_thread_fixture()


def _fit(task: TinyTask, out: Path, epochs: int, **kwargs) -> dict[str, float]:
    kwargs.setdefault("log_every_steps", 2)
    return fit(task, tiny_dataset(), out, epochs=epochs, batch_size=BATCH, device="cpu", seed=7,
               progress=False, tensorboard=False, **kwargs)


def _weights(task: TinyTask) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in task.model.state_dict().items()}


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> dict[str, torch.Tensor]:
    """Reference: three epochs in one go."""
    task = TinyTask()
    _fit(task, tmp_path_factory.mktemp("straight"), epochs=3)
    return _weights(task)


def test_training_lowers_the_loss_and_exports_weights(tmp_path: Path) -> None:
    task = TinyTask(dropout=0.0)
    metrics = _fit(task, tmp_path, epochs=6)
    epochs = [row for row in read_log(tmp_path / "log.csv") if row["kind"] == "epoch"]
    assert len(epochs) == 6
    first, last = float(epochs[0]["train_loss"]), float(epochs[-1]["train_loss"])
    assert last < 0.5 * first
    assert metrics["epochs"] == 6 and metrics["steps"] == 36
    assert metrics["train_loss"] == pytest.approx(last, rel=1e-4)
    state, config = load_weights(tmp_path / "tiny")
    assert config["architecture"] == "tiny"
    _assert_same(state, task.model.state_dict())


def test_log_has_step_and_epoch_rows(tmp_path: Path) -> None:
    _fit(TinyTask(), tmp_path, epochs=2)
    rows = read_log(tmp_path / "log.csv")
    steps = [int(r["step"]) for r in rows if r["kind"] == "step"]
    assert steps == [2, 4, 6, 8, 10, 12]
    assert all(float(r["samples_per_s"]) > 0 and r["lr_adam"] for r in rows if r["kind"] == "step")
    epoch_rows = [r for r in rows if r["kind"] == "epoch"]
    assert [r["eval_metric"] for r in epoch_rows] == ["0", "1"]


def test_resume_after_an_epoch_is_identical(tmp_path: Path, straight: dict[str, torch.Tensor]) -> None:
    _fit(TinyTask(), tmp_path, epochs=1)
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME)["epoch"] == 1
    # A fresh process would build the task with other initial weights; resume must not care.
    resumed = TinyTask(model_seed=123)
    _fit(resumed, tmp_path, epochs=3, resume=True)
    assert resumed.epochs_started == [1, 2]
    _assert_same(_weights(resumed), straight)
    steps = [int(r["step"]) for r in read_log(tmp_path / "log.csv") if r["kind"] == "step"]
    assert steps == sorted(set(steps))  # no duplicated rows after resume


def test_keyboard_interrupt_inside_a_step_saves_and_resumes_exactly(
    tmp_path: Path, straight: dict[str, torch.Tensor]
) -> None:
    with pytest.raises(KeyboardInterrupt):
        _fit(TinyTask(interrupt_at=9), tmp_path, epochs=3)
    checkpoint = load_checkpoint(tmp_path / CHECKPOINT_NAME)
    # Step 9 did not complete: the checkpoint is at 9 steps done, mid-epoch 1.
    assert (checkpoint["global_step"], checkpoint["epoch"], checkpoint["step_in_epoch"]) == (9, 1, 3)
    resumed = TinyTask(model_seed=5)
    _fit(resumed, tmp_path, epochs=3, resume=True)
    assert resumed.steps_seen[0] == 9
    _assert_same(_weights(resumed), straight)


def test_ctrl_c_signal_finishes_the_step_then_checkpoints(tmp_path: Path, straight: dict[str, torch.Tensor]) -> None:
    task = TinyTask(sigint_at=4)
    with pytest.raises(KeyboardInterrupt):
        _fit(task, tmp_path, epochs=3)
    assert task.steps_seen[-1] == 4  # stopped at the step boundary after the signal
    checkpoint = load_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert checkpoint["global_step"] == 5
    resumed = TinyTask()
    _fit(resumed, tmp_path, epochs=3, resume=True)
    _assert_same(_weights(resumed), straight)


def test_periodic_checkpoints_resume_mid_epoch(tmp_path: Path, straight: dict[str, torch.Tensor]) -> None:
    with pytest.raises(KeyboardInterrupt):
        _fit(TinyTask(interrupt_at=16), tmp_path, epochs=3, checkpoint_every_steps=4)
    assert load_checkpoint(tmp_path / CHECKPOINT_NAME)["global_step"] == 16
    resumed = TinyTask()
    _fit(resumed, tmp_path, epochs=3, resume=True, checkpoint_every_steps=4)
    _assert_same(_weights(resumed), straight)


def test_existing_checkpoint_needs_resume_flag(tmp_path: Path) -> None:
    _fit(TinyTask(), tmp_path, epochs=1)
    with pytest.raises(TrainingError, match="--resume"):
        _fit(TinyTask(), tmp_path, epochs=2)


def test_resume_refuses_a_checkpoint_of_another_task(tmp_path: Path) -> None:
    _fit(TinyTask(), tmp_path, epochs=1)
    other = TinyTask()
    other.name = "other"
    with pytest.raises(CheckpointError, match="task"):
        _fit(other, tmp_path, epochs=2, resume=True)


def test_corrupt_checkpoint_is_reported(tmp_path: Path) -> None:
    (tmp_path / CHECKPOINT_NAME).write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        _fit(TinyTask(), tmp_path, epochs=1, resume=True)


@pytest.mark.parametrize("batch", [0, 100])
def test_bad_batch_sizes_are_refused(tmp_path: Path, batch: int) -> None:
    with pytest.raises(TrainingError, match="batch size"):
        fit(TinyTask(), tiny_dataset(), tmp_path, epochs=1, batch_size=batch, device="cpu", progress=False)


def test_data_order_depends_only_on_seed_and_epoch() -> None:
    a = epoch_permutation(3, 1, 50)
    assert torch.equal(a, epoch_permutation(3, 1, 50))
    assert sorted(a.tolist()) == list(range(50))
    assert not torch.equal(a, epoch_permutation(3, 2, 50))
    assert not torch.equal(a, epoch_permutation(4, 1, 50))


# --------------------------------------------------------------------------- issue 14: checkpoints checked up front


@pytest.mark.parametrize("resume", [False, True])
def test_checkpoint_path_that_is_a_directory_fails_before_training(tmp_path: Path, resume: bool) -> None:
    (tmp_path / CHECKPOINT_NAME).mkdir()
    task = TinyTask()
    with pytest.raises(CheckpointError, match="is a directory, not a checkpoint file"):
        _fit(task, tmp_path, epochs=1, resume=resume)
    assert task.steps_seen == []  # nothing trained (it used to train an epoch, then die at save)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs os.mkfifo")
def test_fifo_checkpoint_is_refused_without_hanging(tmp_path: Path) -> None:
    import os

    from test_hardening_io import finishes

    os.mkfifo(tmp_path / CHECKPOINT_NAME)
    with pytest.raises(CheckpointError, match="not a regular file"):
        finishes(lambda: load_checkpoint(tmp_path / CHECKPOINT_NAME))
    task = TinyTask()
    with pytest.raises(CheckpointError, match="not a regular file"):
        finishes(lambda: _fit(task, tmp_path, epochs=1, resume=True))
    assert task.steps_seen == []


def _drop_batch_size(c: dict) -> None:
    del c["batch_size"]


def _bad_rng(c: dict) -> None:
    c["rng"][0]["numpy"]["keys"] = torch.zeros(3, dtype=torch.int64)


def _bad_optimizer(c: dict) -> None:
    name = next(iter(c["optimizers"]))
    c["optimizers"][name]["param_groups"] = 5


def _foreign_optimizer_state(c: dict) -> None:
    name = next(iter(c["optimizers"]))
    c["optimizers"][name]["param_groups"][0]["params"] = [0]  # one parameter where the model has more


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (_drop_batch_size, "missing 'batch_size'"),
        (lambda c: c.update(epoch="1"), "'epoch' must be an integer >= 0"),
        (lambda c: c.update(global_step=-3), "'global_step' must be an integer >= 0"),
        (lambda c: c.update(seed=True), "'seed' must be an integer"),
        (lambda c: c.update(modules=[1, 2]), "'modules' must map"),
        (lambda c: c["modules"].update(model={"w": 1.5}), "module 'model' is not a state dict"),
        (_bad_optimizer, "is not an optimizer state"),
        (lambda c: c.update(rng=[{}]), "random-generator state 0 is not|bad 'torch'"),
        (_bad_rng, "bad 'numpy' state"),
        (lambda c: c.update(metrics={"loss": "low"}), "'metrics' must map names to numbers"),
        (_foreign_optimizer_state, "optimizer or task state does not fit"),
    ],
)
def test_malformed_checkpoint_is_a_checkpoint_error_before_training(tmp_path: Path, damage, fragment: str) -> None:
    _fit(TinyTask(), tmp_path, epochs=1)
    path = tmp_path / CHECKPOINT_NAME
    checkpoint = torch.load(path, weights_only=True)
    damage(checkpoint)
    torch.save(checkpoint, path)
    task = TinyTask()
    with pytest.raises(CheckpointError, match=fragment) as error:
        _fit(task, tmp_path, epochs=2, resume=True)
    assert str(error.value).startswith(str(path))
    assert task.steps_seen == []
