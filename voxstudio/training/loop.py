"""``fit()``: the one training loop shared by the GAN and the classifiers.

Everything that is the same for every model lives here (device, seeding, data
order, progress bar, CSV/TensorBoard log, checkpoints, exact resume, Ctrl-C,
``torchrun`` / DDP); everything model-specific lives in a :class:`TrainTask`.

Task life cycle, in the order ``fit()`` calls it::

    modules()            -> dict of raw modules; fit moves them to the device and
                            loads checkpointed state into them (never wrapped)
    bind(wrapped, device)   the modules train_step must call: DDP wrappers under
                            torchrun, the raw modules otherwise.  Required for
                            multi-process runs, optional otherwise.
    optimizers()         -> dict of optimizers over the raw modules' parameters
                            (called after the move, so create them lazily or
                            in __init__: ``Module.to`` keeps parameter identity)
    per epoch:  on_epoch_start(epoch)      optional, after fit() set train mode; e.g.
                                           set the learning rate, put frozen parts in eval
                train_step(voxels, labels, step) -> {loss name: float}
                evaluate(epoch) -> {metric: float}   rank 0 only, raw modules,
                                                     generators left untouched
    export_weights(out_dir)                rank 0, once, at the end
    extra_state() / load_extra_state(d)    optional, for state that is neither
                                           a module nor an optimizer

``voxels`` given to ``train_step`` are float32 0/1 tensors ``(b, R, R, R)`` on the
device, ``labels`` int64 ``(b,)``; ``b`` is the per-process share of the global
``batch_size`` (``batch_size // world_size``), so a run means the same thing
whatever the number of processes.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn
from tqdm import tqdm

from voxstudio.core.errors import TrainingError  # re-exported: callers import it from here
from voxstudio.training import distributed
from voxstudio.training.checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_NAME,
    CheckpointError,
    capture_rng,
    check_checkpoint_target,
    cpu_state_dict,
    derive_seed,
    load_checkpoint,
    preserved_rng,
    restore_rng,
    save_checkpoint,
    seed_everything,
)
from voxstudio.training.runlog import RunLog

__all__ = ["TrainTask", "TrainingError", "fit", "epoch_permutation", "seed_everything", "CHECKPOINT_NAME"]


@runtime_checkable
class TrainTask(Protocol):
    """What a model must provide to be trained by :func:`fit` (see the module docstring)."""

    name: str

    def modules(self) -> dict[str, nn.Module]: ...

    def optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    def train_step(self, voxels: Tensor, labels: Tensor, step: int) -> dict[str, float]: ...

    def evaluate(self, epoch: int) -> dict[str, float]: ...

    def export_weights(self, out_dir: Path) -> None: ...


def epoch_permutation(seed: int, epoch: int, size: int) -> Tensor:
    """The data order of ``epoch``: a pure function of ``(seed, epoch)``.

    Nothing about the order is stored in checkpoints; recomputing it is what
    makes resume exact and independent of the number of processes.
    """
    generator = torch.Generator().manual_seed(derive_seed(seed, epoch, 0x5EED))
    return torch.randperm(size, generator=generator)


def fit(
    task: TrainTask,
    train_set: Any,
    out_dir: str | Path,
    epochs: int,
    batch_size: int,
    device: str | torch.device = "auto",
    seed: int = 0,
    resume: bool = False,
    checkpoint_every_steps: int | None = None,
    log_every_steps: int = 10,
    progress: bool = True,
    tensorboard: bool = True,
) -> dict[str, float]:
    """Train ``task`` for ``epochs`` epochs (total, counting epochs already done when resuming).

    ``train_set`` has ``voxels`` (N,R,R,R) bool/uint8 and ``labels`` (N,) (a
    ``VoxelDataset``) or is a ``(voxels, labels)`` pair; it is kept on the CPU as
    uint8 and batches are moved to the device one at a time.  ``batch_size`` is
    the global batch: steps per epoch are ``N // batch_size`` (the incomplete
    last batch is dropped; the order changes every epoch so every sample is
    used).

    Writes ``out_dir/checkpoint.pt`` at every epoch end, every
    ``checkpoint_every_steps`` steps, and on Ctrl-C (then re-raises
    ``KeyboardInterrupt``), plus ``out_dir/log.csv``.  Under ``torchrun`` only
    rank 0 writes.  Returns the last epoch's metrics (evaluation, mean training
    losses, ``epochs``, ``steps``, ``time_s``), the same on every rank.
    """
    out_dir = Path(out_dir)
    if epochs < 1:
        raise TrainingError(f"epochs must be at least 1, got {epochs}")
    voxels, labels = _as_tensors(train_set)
    context = distributed.setup(device)
    try:
        return _Run(task, voxels, labels, out_dir, epochs, batch_size, context, seed, resume,
                    checkpoint_every_steps, log_every_steps, progress, tensorboard).train()
    finally:
        distributed.teardown(context)


class _Run:
    """One call of :func:`fit`; an object only to keep the state out of long argument lists."""

    def __init__(
        self,
        task: TrainTask,
        voxels: Tensor,
        labels: Tensor,
        out_dir: Path,
        epochs: int,
        batch_size: int,
        context: distributed.DistContext,
        seed: int,
        resume: bool,
        checkpoint_every_steps: int | None,
        log_every_steps: int,
        progress: bool,
        tensorboard: bool,
    ) -> None:
        self.task = task
        self.voxels, self.labels = voxels, labels
        self.out_dir = out_dir
        self.epochs = epochs
        self.ctx = context
        self.seed = seed
        self.checkpoint_every = checkpoint_every_steps if checkpoint_every_steps and checkpoint_every_steps > 0 else None
        self.log_every = max(1, int(log_every_steps))
        self.progress = progress and context.is_main
        self.tensorboard = tensorboard
        self.checkpoint_path = out_dir / CHECKPOINT_NAME
        size = len(voxels)
        if batch_size < 1 or batch_size % context.world_size:
            raise TrainingError(
                f"batch size {batch_size} must be a positive multiple of the number of processes ({context.world_size})"
            )
        if size < batch_size:
            raise TrainingError(f"batch size {batch_size} is larger than the training set ({size} samples)")
        self.batch_size = batch_size
        self.local_batch = batch_size // context.world_size
        self.steps_per_epoch = size // batch_size
        self.resume = resume

    # ------------------------------------------------------------------ set-up
    def _prepare(self) -> dict[str, Any] | None:
        """Move, restore, wrap; returns the checkpoint being resumed (or None)."""
        self.raw = dict(self.task.modules())
        for module in self.raw.values():
            module.to(self.ctx.device)
        checkpoint = self._load_resume_checkpoint()
        if checkpoint is not None:
            for name, module in self.raw.items():
                try:
                    module.load_state_dict(checkpoint["modules"][name])
                except RuntimeError as error:  # other architecture or configuration
                    raise CheckpointError(f"{self.checkpoint_path}: module {name!r} does not fit: {error}") from None
        self.wrapped = self._wrap(self.raw)
        bind = getattr(self.task, "bind", None)
        if bind is not None:
            bind(self.wrapped, self.ctx.device)
        elif self.ctx.distributed:
            raise TrainingError(f"task {self.task.name!r} has no bind(): it cannot use DDP-wrapped modules")
        self.optimizers = dict(self.task.optimizers())
        if checkpoint is not None:
            if set(checkpoint["optimizers"]) != set(self.optimizers):
                raise CheckpointError(
                    f"{self.checkpoint_path}: holds optimizers {sorted(checkpoint['optimizers'])}, "
                    f"task has {sorted(self.optimizers)}"
                )
            try:
                for name, optimizer in self.optimizers.items():
                    optimizer.load_state_dict(checkpoint["optimizers"][name])
                if checkpoint.get("extra") is not None and hasattr(self.task, "load_extra_state"):
                    self.task.load_extra_state(checkpoint["extra"])
            except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as error:
                raise CheckpointError(
                    f"{self.checkpoint_path}: optimizer or task state does not fit this run "
                    f"({type(error).__name__}: {error})"
                ) from None
            states = checkpoint["rng"]
            if len(states) == self.ctx.world_size:
                try:
                    restore_rng(states[self.ctx.rank], self.ctx.device)
                except (TypeError, ValueError, RuntimeError) as error:
                    raise CheckpointError(f"{self.checkpoint_path}: unusable random-generator state ({error})") from None
            else:
                # Another process count: per-rank streams cannot be matched up,
                # so derive fresh ones from the position in the run.
                seed_everything(derive_seed(self.seed, checkpoint["global_step"], self.ctx.rank))
        else:
            seed_everything(derive_seed(self.seed, self.ctx.rank))
        return checkpoint

    def _load_resume_checkpoint(self) -> dict[str, Any] | None:
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise TrainingError(f"{self.out_dir}: is not a folder; choose another output folder")
        check_checkpoint_target(self.checkpoint_path)  # a directory there fails now, not at the first save
        exists = self.checkpoint_path.is_file()
        if not self.resume:
            if exists:
                raise TrainingError(
                    f"{self.checkpoint_path} already exists: pass resume=True (--resume) to continue "
                    "that run, or choose another output folder"
                )
            return None
        if not exists:
            if self.ctx.is_main:
                tqdm.write(f"no checkpoint in {self.out_dir}; starting from scratch")
            return None
        checkpoint = load_checkpoint(self.checkpoint_path)
        expected = {"task": self.task.name, "dataset_size": len(self.voxels)}
        for key, value in expected.items():
            if checkpoint.get(key) != value:
                raise CheckpointError(
                    f"{self.checkpoint_path}: was written for {key}={checkpoint.get(key)!r}, this run has {value!r}"
                )
        if checkpoint["batch_size"] != self.batch_size and checkpoint["step_in_epoch"] != 0:
            raise CheckpointError(
                f"{self.checkpoint_path}: stopped mid-epoch with batch size {checkpoint['batch_size']}; "
                f"resume with that batch size (asked {self.batch_size})"
            )
        if set(checkpoint["modules"]) != set(self.raw):
            raise CheckpointError(
                f"{self.checkpoint_path}: holds modules {sorted(checkpoint['modules'])}, task has {sorted(self.raw)}"
            )
        if checkpoint["seed"] != self.seed:
            if self.ctx.is_main:
                tqdm.write(f"resuming with the checkpoint's seed {checkpoint['seed']} (asked {self.seed})")
            self.seed = int(checkpoint["seed"])
        return checkpoint

    def _wrap(self, modules: dict[str, nn.Module]) -> dict[str, nn.Module]:
        if not self.ctx.distributed:
            return dict(modules)
        from torch.nn.parallel import DistributedDataParallel

        find_unused = bool(getattr(self.task, "find_unused_parameters", False))
        wrapped: dict[str, nn.Module] = {}
        for name, module in modules.items():
            if any(p.requires_grad for p in module.parameters()):
                device_ids = [self.ctx.device.index] if self.ctx.device.type == "cuda" else None
                # DDP broadcasts rank 0's parameters and buffers here: all ranks start equal.
                wrapped[name] = DistributedDataParallel(module, device_ids=device_ids, find_unused_parameters=find_unused)
            else:
                wrapped[name] = module
        return wrapped

    # --------------------------------------------------------------- training
    def train(self) -> dict[str, float]:
        checkpoint = self._prepare()
        start_epoch = int(checkpoint["epoch"]) if checkpoint else 0
        start_in_epoch = int(checkpoint["step_in_epoch"]) if checkpoint else 0
        self.global_step = int(checkpoint["global_step"]) if checkpoint else 0
        self.elapsed_before = float(checkpoint.get("time_s", 0.0)) if checkpoint else 0.0
        self.last_metrics: dict[str, float] = dict(checkpoint.get("metrics", {})) if checkpoint else {}
        self.started = time.perf_counter()
        log = RunLog(self.out_dir, resume_step=self.global_step if checkpoint else None,
                     tensorboard=self.tensorboard) if self.ctx.is_main else None
        try:
            with _stop_requests() as stop_requested:
                for epoch in range(start_epoch, self.epochs):
                    self._train_epoch(epoch, start_in_epoch if epoch == start_epoch else 0, log, stop_requested)
            if self.ctx.is_main:
                self.task.export_weights(self.out_dir)
            distributed.barrier(self.ctx)
        finally:
            if log is not None:
                log.close()
        return distributed.broadcast_object(self.ctx, self.last_metrics)

    def _train_epoch(self, epoch: int, first_step: int, log: RunLog | None, stop_requested: Callable[[], bool]) -> None:
        for module in self.raw.values():
            module.train()
        on_epoch_start = getattr(self.task, "on_epoch_start", None)
        if on_epoch_start is not None:
            on_epoch_start(epoch)  # after train(): a task may freeze parts (eval mode)
        order = epoch_permutation(self.seed, epoch, len(self.voxels))
        totals: dict[str, float] = {}
        window: dict[str, float] = {}
        window_steps, epoch_steps = 0, 0
        window_start = time.perf_counter()
        bar = tqdm(total=self.steps_per_epoch, initial=first_step, disable=not self.progress,
                   desc=f"{self.task.name} {epoch + 1}/{self.epochs}", dynamic_ncols=True, unit="step")
        try:
            for step_in_epoch in range(first_step, self.steps_per_epoch):
                start = step_in_epoch * self.batch_size + self.ctx.rank * self.local_batch
                index = order[start:start + self.local_batch]
                batch_voxels = self.voxels[index].to(self.ctx.device, non_blocking=True).float()
                batch_labels = self.labels[index].to(self.ctx.device, non_blocking=True)
                rng_before = capture_rng(self.ctx.device)
                try:
                    losses = self.task.train_step(batch_voxels, batch_labels, self.global_step)
                except KeyboardInterrupt:
                    # Raised inside the step (or a second Ctrl-C): record the last
                    # *completed* step with the generators as they were before it.
                    self._interrupted(epoch, step_in_epoch, rng_before)
                    raise
                self.global_step += 1
                window_steps += 1
                epoch_steps += 1
                for name, value in losses.items():
                    window[name] = window.get(name, 0.0) + float(value)
                    totals[name] = totals.get(name, 0.0) + float(value)
                if window_steps == self.log_every or step_in_epoch == self.steps_per_epoch - 1:
                    means = distributed.mean_over_ranks(self.ctx, {k: v / window_steps for k, v in window.items()})
                    rate = window_steps * self.batch_size / max(time.perf_counter() - window_start, 1e-9)
                    if log is not None:
                        row = dict(means, samples_per_s=rate, **self._learning_rates())
                        log.log("step", epoch + (step_in_epoch + 1) / self.steps_per_epoch, self.global_step,
                                self._elapsed(), row)
                    bar.set_postfix({**{k: f"{v:.4g}" for k, v in means.items()}, "samples/s": f"{rate:.1f}"},
                                    refresh=False)
                    window, window_steps, window_start = {}, 0, time.perf_counter()
                bar.update(1)
                if self.checkpoint_every and self.global_step % self.checkpoint_every == 0:
                    self._save(epoch, step_in_epoch + 1)
                if distributed.any_flag(self.ctx, stop_requested()):
                    self._save(epoch, step_in_epoch + 1)
                    if self.ctx.is_main:
                        tqdm.write(f"stopped: checkpoint saved to {self.checkpoint_path} (resume with --resume)")
                    raise KeyboardInterrupt
        finally:
            bar.close()
        self._end_epoch(epoch, totals, epoch_steps, log)

    def _end_epoch(self, epoch: int, totals: dict[str, float], steps: int, log: RunLog | None) -> None:
        train_means = {f"train_{k}": v / steps for k, v in totals.items()} if steps else {}
        train_means = distributed.mean_over_ranks(self.ctx, train_means)
        metrics: dict[str, float] = {}
        if self.ctx.is_main:
            with preserved_rng(self.ctx.device):
                metrics = {k: float(v) for k, v in self.task.evaluate(epoch).items()}
        distributed.barrier(self.ctx)
        self.last_metrics = {**train_means, **metrics, "epochs": epoch + 1, "steps": self.global_step,
                             "time_s": self._elapsed()}
        if log is not None:
            log.log("epoch", epoch + 1, self.global_step, self._elapsed(), {**train_means, **metrics})
            shown = ", ".join(f"{k}={v:.4g}" for k, v in {**train_means, **metrics}.items())
            tqdm.write(f"{self.task.name} epoch {epoch + 1}/{self.epochs}: {shown}")
        self._save(epoch + 1, 0)

    # ------------------------------------------------------------ checkpoints
    def _save(self, epoch: int, step_in_epoch: int, rng: dict[str, Any] | None = None, single_rank: bool = False) -> None:
        """Write the checkpoint (rank 0); a collective call unless ``single_rank``."""
        own_rng = rng if rng is not None else capture_rng(self.ctx.device)
        if single_rank:
            # Only this rank knows it was interrupted; gathering would deadlock.
            rng_states = [own_rng] if self.ctx.world_size == 1 else []
        else:
            rng_states = distributed.gather_objects(self.ctx, own_rng)
        if not self.ctx.is_main:
            if not single_rank:
                distributed.barrier(self.ctx)
            return
        extra_state = getattr(self.task, "extra_state", None)
        payload = {
            "format": CHECKPOINT_FORMAT,
            "task": self.task.name,
            "epoch": epoch,
            "step_in_epoch": step_in_epoch,
            "global_step": self.global_step,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "dataset_size": len(self.voxels),
            "world_size": self.ctx.world_size,
            "time_s": self._elapsed(),
            "metrics": {k: float(v) for k, v in self.last_metrics.items()},
            "modules": {name: cpu_state_dict(module) for name, module in self.raw.items()},
            "optimizers": {name: optimizer.state_dict() for name, optimizer in self.optimizers.items()},
            "rng": rng_states,
            "extra": extra_state() if extra_state is not None else None,
        }
        save_checkpoint(self.checkpoint_path, payload)
        if not single_rank:
            distributed.barrier(self.ctx)

    def _interrupted(self, epoch: int, step_in_epoch: int, rng: dict[str, Any]) -> None:
        """Save from this rank alone: the others do not know about the interrupt."""
        if self.ctx.is_main:
            self._save(epoch, step_in_epoch, rng=rng, single_rank=True)
            tqdm.write(f"interrupted: checkpoint saved to {self.checkpoint_path} (resume with --resume)")

    # ---------------------------------------------------------------- helpers
    def _elapsed(self) -> float:
        return self.elapsed_before + (time.perf_counter() - self.started)

    def _learning_rates(self) -> dict[str, float]:
        return {f"lr_{name}": float(opt.param_groups[0]["lr"]) for name, opt in self.optimizers.items()}


def _as_tensors(train_set: Any) -> tuple[Tensor, Tensor]:
    """``(voxels uint8 (N,R,R,R), labels int64 (N,))`` on the CPU from a dataset or a pair."""
    if isinstance(train_set, tuple) and len(train_set) == 2:
        voxels, labels = train_set
    else:
        voxels, labels = train_set.voxels, train_set.labels
    voxels = torch.as_tensor(voxels)
    labels = torch.as_tensor(labels).to(torch.int64)
    if voxels.dtype != torch.uint8:
        voxels = voxels.to(torch.uint8)
    if voxels.dim() != 4 or voxels.shape[1:] != (voxels.shape[1],) * 3:
        raise TrainingError(f"training voxels must have shape (N, R, R, R), got {tuple(voxels.shape)}")
    if labels.shape != (voxels.shape[0],):
        raise TrainingError(f"labels must have shape ({voxels.shape[0]},), got {tuple(labels.shape)}")
    return voxels.contiguous(), labels.contiguous()


@contextmanager
def _stop_requests() -> Iterator[Callable[[], bool]]:
    """Turn the first Ctrl-C (or SIGTERM) into a request honoured at the next step boundary.

    Stopping between steps means the checkpoint never holds a half-applied
    optimizer update; a second Ctrl-C interrupts immediately.  Signal handlers
    can only be installed from the main thread; elsewhere (a GUI worker) the
    function is a no-op and KeyboardInterrupt is handled where it is raised.
    """
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested.is_set
        return

    def handler(signum: int, frame: object) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()
        tqdm.write("stopping after this step (Ctrl-C again to stop now)...")

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield requested.is_set
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
