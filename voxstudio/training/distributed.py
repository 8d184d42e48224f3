"""Process-group set-up for ``torchrun`` and the few collectives the loop needs.

``fit()`` runs unchanged as one process or under ``torchrun --nproc_per_node=N``
(which sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
``MASTER_PORT``).  This module hides the difference: with one process every
helper is a cheap no-op.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from voxstudio.models.device import pick_device


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in the job."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    #: True when :func:`setup` created the process group (so it must destroy it).
    owns_group: bool

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes checkpoints, logs and weights."""
        return self.rank == 0


def setup(device_preference: str | torch.device = "auto") -> DistContext:
    """Join the ``torchrun`` process group if the environment asks for one.

    gloo on CPU, nccl on CUDA; under CUDA each process takes ``cuda:LOCAL_RANK``
    whatever index ``device_preference`` names, because torchrun assigns GPUs
    per node by local rank.
    """
    device = pick_device(device_preference)
    if dist.is_available() and dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
        local_rank = int(os.environ.get("LOCAL_RANK", rank))
        if device.type == "cuda" and world > 1:
            device = torch.device("cuda", local_rank)
        return DistContext(rank, world, local_rank, device, owns_group=False)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext(0, 1, 0, device, owns_group=False)
    if not dist.is_available():  # pragma: no cover - every desktop build has it
        raise RuntimeError("WORLD_SIZE > 1 but this torch build has no torch.distributed")
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        backend = "gloo"
    dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistContext(rank, world, local_rank, device, owns_group=True)


def teardown(context: DistContext) -> None:
    """Destroy the process group if :func:`setup` created it."""
    if context.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def barrier(context: DistContext) -> None:
    if context.distributed:
        dist.barrier()


def any_flag(context: DistContext, flag: bool) -> bool:
    """True on every rank when ``flag`` is true on any rank (e.g. one rank got Ctrl-C)."""
    if not context.distributed:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=_collective_device(context))
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def mean_over_ranks(context: DistContext, values: dict[str, float]) -> dict[str, float]:
    """Average scalar metrics over ranks so logs describe the whole global batch.

    Every rank must pass the same keys (the train step returns the same losses
    everywhere).
    """
    if not context.distributed or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=_collective_device(context))
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    tensor /= context.world_size
    return dict(zip(keys, tensor.tolist()))


def gather_objects(context: DistContext, obj: Any) -> list[Any]:
    """Every rank's ``obj`` (pickled over the wire only, never to disk), rank order."""
    if not context.distributed:
        return [obj]
    gathered: list[Any] = [None] * context.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


def broadcast_object(context: DistContext, obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not context.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _collective_device(context: DistContext) -> torch.device:
    # nccl only reduces CUDA tensors; gloo wants CPU ones.
    return context.device if dist.get_backend() == "nccl" else torch.device("cpu")
