"""Training checkpoints that ``torch.load(weights_only=True)`` can read, and RNG bookkeeping.

A checkpoint is loaded by the same user who wrote it, but it is still read with
``weights_only=True`` so a tampered ``checkpoint.pt`` cannot run code.  That
restricts the payload to tensors and primitive containers, so random-generator
states (numpy's and Python's are tuples with arrays / big ints) are converted to
tensors here.

Exact resume needs three things restored: module and optimizer state, every
random generator, and the data order.  The data order is not stored at all: it
is a pure function of ``(seed, epoch)`` (see :func:`derive_seed`), which is also
what lets a run resume with a different number of processes.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from voxstudio.core.atomic import SHARED_FILE_MODE, atomic_write

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = 1


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used to resume this run; the message says why."""


def derive_seed(*parts: int) -> int:
    """A well-mixed 63-bit seed from integers (e.g. ``(seed, epoch)`` or ``(seed, rank)``).

    ``SeedSequence`` mixes its entropy so nearby inputs give unrelated streams,
    unlike ``seed + epoch`` which makes run *s* epoch 1 equal run *s+1* epoch 0.
    """
    entropy = [int(p) & 0xFFFFFFFFFFFFFFFF for p in parts]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] & 0x7FFFFFFFFFFFFFFF)


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (all CUDA devices included)."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def capture_rng(device: torch.device | None = None) -> dict[str, Any]:
    """Every generator's state as tensors and primitives (``weights_only``-loadable)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    version, py_state, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64).copy()),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": {
            "version": int(version),
            "state": torch.tensor(py_state, dtype=torch.int64),
            "gauss_next": gauss_next,
        },
        "cuda": None,
    }
    if device is not None and device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_rng(state: dict[str, Any], device: torch.device | None = None) -> None:
    """Inverse of :func:`capture_rng`."""
    torch.set_rng_state(state["torch"])
    numpy_state = state["numpy"]
    np.random.set_state(
        (
            numpy_state["kind"],
            numpy_state["keys"].numpy().astype(np.uint32),
            numpy_state["pos"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    python_state = state["python"]
    random.setstate(
        (python_state["version"], tuple(int(v) for v in python_state["state"].tolist()), python_state["gauss_next"])
    )
    if device is not None and device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)


class preserved_rng:
    """Context manager: code inside (evaluation, sampling previews) leaves every generator as it found it.

    Keeps training randomness independent of how often or how much is evaluated.
    """

    def __init__(self, device: torch.device | None = None) -> None:
        self._device = device
        self._state: dict[str, Any] | None = None

    def __enter__(self) -> None:
        self._state = capture_rng(self._device)

    def __exit__(self, *exc: object) -> None:
        assert self._state is not None
        restore_rng(self._state, self._device)


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file then ``os.replace``: a crash never leaves half a checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, permissions=SHARED_FILE_MODE) as handle:
        torch.save(payload, handle)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` (tensors and plain containers only)."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a bad file; all mean the same here
        raise CheckpointError(f"{path}: cannot read checkpoint ({type(error).__name__}: {error})") from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a VoxStudio checkpoint (format {CHECKPOINT_FORMAT})")
    return payload


def cpu_state_dict(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Detached CPU copies, so the checkpoint does not pin GPU memory or alias live weights."""
    return {name: tensor.detach().to("cpu", copy=True) for name, tensor in module.state_dict().items()}
