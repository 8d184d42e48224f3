"""fit() under torchrun: two gloo processes stay identical, match one process, and resume on another world size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import TinyTask, one_thread_fixture, tiny_dataset  # noqa: E402

from voxstudio.training.checkpoint import load_checkpoint
from voxstudio.training.loop import CHECKPOINT_NAME, fit
from voxstudio.training.runlog import read_log

_one_thread = one_thread_fixture()


def _single_process(out: Path, epochs: int, resume: bool = False, task: TinyTask | None = None) -> TinyTask:
    task = task or TinyTask(dropout=0.0, noise=0.0)
    fit(task, tiny_dataset(), out, epochs=epochs, batch_size=8, device="cpu", seed=7, resume=resume,
        progress=False, tensorboard=False, log_every_steps=2)
    return task


@pytest.mark.slow
def test_two_gloo_processes_train_identically_and_resume_alone(tmp_path: Path) -> None:
    run = tmp_path / "ddp" / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).parents[1])}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(Path(__file__).parent / "ddp_worker.py"), str(run), "1"],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    ranks = [torch.load(tmp_path / "ddp" / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    # Started from different initial weights (model_seed=rank): DDP broadcast rank 0's, then
    # averaged gradients keep the replicas bit-identical.
    for name, tensor in ranks[0]["state"].items():
        assert torch.equal(tensor, ranks[1]["state"][name]), name
    assert ranks[0]["metrics"] == ranks[1]["metrics"]  # metrics are shared with every rank

    # Two processes with 4 samples each == one process with the global batch of 8.
    single = _single_process(tmp_path / "single", epochs=1)
    for name, tensor in single.model.state_dict().items():
        torch.testing.assert_close(ranks[0]["state"][name], tensor, rtol=1e-5, atol=1e-6)

    # Only rank 0 wrote: one checkpoint, one log with one row per logging step.
    checkpoint = load_checkpoint(run / CHECKPOINT_NAME)
    assert checkpoint["world_size"] == 2 and checkpoint["global_step"] == 6
    assert [r["step"] for r in read_log(run / "log.csv") if r["kind"] == "step"] == ["2", "4", "6"]
    assert (run / "tiny.safetensors").is_file()

    # Resume the 2-process run in one process (world size 2 -> 1) for a second epoch.
    resumed = _single_process(run, epochs=2, resume=True, task=TinyTask(dropout=0.0, noise=0.0, model_seed=9))
    straight = _single_process(tmp_path / "straight", epochs=2)
    for name, tensor in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], tensor, rtol=1e-5, atol=1e-6)
