"""Entry point run by ``torchrun`` in test_ddp.py: train TinyTask, then save this rank's weights.

Usage: torchrun --standalone --nproc_per_node=N ddp_worker.py OUT_DIR EPOCHS
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import TinyTask, tiny_dataset  # noqa: E402

from voxstudio.training.loop import fit  # noqa: E402


def main() -> None:
    out_dir, epochs = Path(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(1)
    task = TinyTask(dropout=0.0, noise=0.0, model_seed=int(os.environ["RANK"]))  # DDP must equalise these
    metrics = fit(task, tiny_dataset(), out_dir, epochs=epochs, batch_size=8, device="cpu", seed=7,
                  progress=False, tensorboard=False, log_every_steps=2)
    rank = os.environ["RANK"]
    torch.save({"state": task.model.state_dict(), "metrics": metrics}, out_dir.parent / f"rank{rank}.pt")


if __name__ == "__main__":
    main()
