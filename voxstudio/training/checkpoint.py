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

import os
import random
import stat
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import torch

from voxstudio.core.atomic import SHARED_FILE_MODE, atomic_write
from voxstudio.core.errors import CheckpointError  # re-exported: callers import it from here

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = 1
MAX_CHECKPOINT_BYTES = 4 * 1024**3
"""Largest checkpoint file read (4 GB); it is memory-mapped, not read whole."""


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


class preserved_rng:  # noqa: N801 - a context manager, named like contextlib's
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


def check_checkpoint_target(path: Path) -> None:
    """Fail now, not at the first save, when ``path`` cannot be a checkpoint file.

    A directory, FIFO, device or socket where ``checkpoint.pt`` should go would
    otherwise let a whole epoch train and then die when saving.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return  # a dangling link: the write goes through it
        parent = path.parent
        if parent.exists() and not parent.is_dir():
            raise CheckpointError(f"{path}: cannot write a checkpoint there ({parent} is not a folder)") from None
        return
    except OSError as error:
        raise CheckpointError(f"{path}: cannot access checkpoint ({error.strerror or error})") from None
    if stat.S_ISDIR(mode):
        raise CheckpointError(f"{path}: is a directory, not a checkpoint file (remove it or choose another --out)")
    if not stat.S_ISREG(mode):
        raise CheckpointError(f"{path}: is not a regular file (a FIFO, device or socket); cannot use it as a checkpoint")


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read and validate a checkpoint (``weights_only=True``: tensors and plain containers only).

    Regular files only (a FIFO would hang ``torch.load``), at most
    :data:`MAX_CHECKPOINT_BYTES`, memory-mapped rather than read whole; then every
    key :func:`~voxstudio.training.loop.fit` uses is checked for presence and type
    (:func:`validate_checkpoint`), so a malformed file is a :class:`CheckpointError`
    before training starts rather than a ``KeyError`` half-way.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: checkpoint not found")
    check_checkpoint_target(path)
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path}: checkpoint is {size / 2**30:.1f} GB, over the {MAX_CHECKPOINT_BYTES >> 30} GB limit")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:  # torch raises many types for a bad file; all mean the same here
        raise CheckpointError(f"{path}: cannot read checkpoint ({type(error).__name__}: {error})") from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a VoxStudio checkpoint (format {CHECKPOINT_FORMAT})")
    validate_checkpoint(payload, path)
    return payload


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _need(ok: bool, path: Path, problem: str) -> None:
    if not ok:
        raise CheckpointError(f"{path}: malformed checkpoint: {problem}")


def validate_checkpoint(payload: dict[str, Any], path: Path) -> None:
    """Check every field :func:`fit` reads, by presence and type; raises :class:`CheckpointError`."""
    for key, minimum in (("epoch", 0), ("step_in_epoch", 0), ("global_step", 0), ("batch_size", 1),
                         ("dataset_size", 0), ("seed", None)):
        _need(key in payload, path, f"missing {key!r}")
        value = payload[key]
        _need(_is_int(value) and (minimum is None or value >= minimum), path,
              f"{key!r} must be an integer{'' if minimum is None else f' >= {minimum}'}, got {value!r}")
    _need(isinstance(payload.get("task"), str), path, f"'task' must be a name, got {payload.get('task')!r}")
    _need("world_size" not in payload or (_is_int(payload["world_size"]) and payload["world_size"] >= 1), path,
          f"'world_size' must be a positive integer, got {payload.get('world_size')!r}")
    time_s = payload.get("time_s", 0.0)
    _need(isinstance(time_s, (int, float)) and not isinstance(time_s, bool), path, f"'time_s' must be a number, got {time_s!r}")
    metrics = payload.get("metrics", {})
    _need(isinstance(metrics, dict) and all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
                                            for k, v in metrics.items()), path, "'metrics' must map names to numbers")
    modules: Any = payload.get("modules")  # checked field by field below (_need raises)
    _need(isinstance(modules, dict) and all(isinstance(name, str) for name in modules), path,
          "'modules' must map module names to state dicts")
    for name, state in modules.items():
        _need(isinstance(state, dict) and all(isinstance(k, str) and isinstance(t, torch.Tensor) for k, t in state.items()),
              path, f"module {name!r} is not a state dict of tensors")
    optimizers: Any = payload.get("optimizers")
    _need(isinstance(optimizers, dict), path, "'optimizers' must map optimizer names to their states")
    for name, state in optimizers.items():
        _need(isinstance(state, dict) and isinstance(state.get("state"), dict)
              and isinstance(state.get("param_groups"), list)
              and all(isinstance(group, dict) and isinstance(group.get("params"), list) for group in state["param_groups"]),
              path, f"optimizer {name!r} is not an optimizer state (state + param_groups)")
    rng: Any = payload.get("rng")
    _need(isinstance(rng, list), path, "'rng' must be a list of per-process generator states")
    for index, state in enumerate(rng):
        _check_rng(state, path, index)


def _check_rng(state: Any, path: Path, index: int) -> None:
    where = f"random-generator state {index}"
    _need(isinstance(state, dict), path, f"{where} is not a mapping")
    torch_state = state.get("torch")
    _need(isinstance(torch_state, torch.Tensor) and torch_state.dtype == torch.uint8, path, f"{where}: bad 'torch' state")
    numpy_state = state.get("numpy")
    _need(isinstance(numpy_state, dict)
          and isinstance(numpy_state.get("kind"), str)
          and isinstance(numpy_state.get("keys"), torch.Tensor) and numpy_state["keys"].numel() == 624
          and _is_int(numpy_state.get("pos")) and 0 <= numpy_state["pos"] <= 624
          and _is_int(numpy_state.get("has_gauss"))
          and isinstance(numpy_state.get("cached_gaussian"), float), path, f"{where}: bad 'numpy' state")
    python_state = state.get("python")
    _need(isinstance(python_state, dict)
          and _is_int(python_state.get("version"))
          and isinstance(python_state.get("state"), torch.Tensor) and python_state["state"].numel() == 625
          and (python_state.get("gauss_next") is None or isinstance(python_state.get("gauss_next"), float)),
          path, f"{where}: bad 'python' state")
    _need(state.get("cuda") is None or isinstance(state.get("cuda"), torch.Tensor), path, f"{where}: bad 'cuda' state")


def cpu_state_dict(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Detached CPU copies, so the checkpoint does not pin GPU memory or alias live weights."""
    return {name: tensor.detach().to("cpu", copy=True) for name, tensor in module.state_dict().items()}
