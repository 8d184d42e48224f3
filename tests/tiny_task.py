"""A deliberately small TrainTask (and data) for the training-loop and DDP tests.

It uses randomness in every place a real task does (input noise in the step,
dropout, sampling in evaluate) so that exact-resume tests would catch a
generator that is not saved or restored.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from voxstudio.models.weights import save_weights


def tiny_dataset(n: int = 48, resolution: int = 8, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy horizontal slabs: class c fills the c-th third of the grid along z (height).

    Height bands survive the classifier augmentation (x mirror, small x/y
    shifts, a lift of one voxel), so augmented training can still learn them.
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    voxels = rng.random((n, resolution, resolution, resolution)) < 0.1
    width = resolution // classes
    for i, label in enumerate(labels):
        voxels[i, :, :, label * width:(label + 1) * width] |= rng.random((resolution, resolution, width)) < 0.7
    return voxels, labels.astype(np.int64)


class TinyTask:
    name = "tiny"

    def __init__(
        self,
        resolution: int = 8,
        classes: int = 3,
        dropout: float = 0.2,
        noise: float = 0.1,
        interrupt_at: int | None = None,
        sigint_at: int | None = None,
        model_seed: int = 0,
    ) -> None:
        torch.manual_seed(model_seed)
        self.model = nn.Sequential(
            nn.Flatten(), nn.Linear(resolution**3, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, classes)
        )
        self.noise = noise
        self.interrupt_at = interrupt_at
        self.sigint_at = sigint_at
        self.net: nn.Module = self.model
        self._optimizer: torch.optim.Optimizer | None = None
        self.steps_seen: list[int] = []
        self.epochs_started: list[int] = []

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model}

    def bind(self, wrapped: dict[str, nn.Module], device: torch.device) -> None:
        self.net = wrapped["model"]

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        if self._optimizer is None:
            self._optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-2)
        return {"adam": self._optimizer}

    def on_epoch_start(self, epoch: int) -> None:
        self.epochs_started.append(epoch)
        for group in self.optimizers()["adam"].param_groups:
            group["lr"] = 1e-2 * 0.5**epoch

    def train_step(self, voxels: torch.Tensor, labels: torch.Tensor, step: int) -> dict[str, float]:
        self.steps_seen.append(step)
        if self.sigint_at is not None and step == self.sigint_at:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C arriving mid-step
        noisy = voxels + self.noise * torch.randn_like(voxels)
        if self.interrupt_at is not None and step == self.interrupt_at:
            raise KeyboardInterrupt  # after consuming randomness, before the update
        optimizer = self.optimizers()["adam"]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.net(noisy), labels)
        loss.backward()
        optimizer.step()
        return {"loss": float(loss.detach())}

    def evaluate(self, epoch: int) -> dict[str, float]:
        torch.rand(100)  # evaluation randomness must not change training
        np.random.rand(10)
        return {"eval_metric": float(epoch)}

    def export_weights(self, out_dir: Path) -> None:
        save_weights(Path(out_dir) / "tiny", self.model, {"architecture": "tiny"})


@contextmanager
def single_thread() -> Iterator[None]:
    """One torch intra-op thread inside the block, the previous count restored after.

    Tiny tensors gain nothing from threads, and on a busy 2-core machine
    OpenMP spinning makes them 10-30x slower.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def one_thread_fixture():  # noqa: ANN201 - a pytest fixture
    """Autouse fixture running each test of a module under :func:`single_thread`."""
    import pytest

    @pytest.fixture(autouse=True)
    def _one_thread() -> Iterator[None]:
        with single_thread():
            yield

    return _one_thread


def export_tiny_generator(out: Path, bias: float | None = None) -> Path:
    """A tiny generator (two classes, chair and table; latent 16), trained one step and exported into
    ``out`` like the shipped one (gan.safetensors + gan.json); ``bias`` sets the output layer's bias
    (0.5: samples about half full, so every seed has a mesh to write)."""
    from types import SimpleNamespace

    from voxstudio.training.gan_task import GANTaskOptions, GANTrainConfig, make_task

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    data = SimpleNamespace(voxels=rng.random((4, 32, 32, 32)) > 0.85, labels=np.array([0, 1, 0, 1]),
                           classes=["chair", "table"], resolution=32)
    task = make_task(data, torch.device("cpu"), options=GANTaskOptions(
        base_channels=4, latent_dim=16, train=GANTrainConfig(eval_per_class=0, direction_samples=32,
                                                             calibration_samples=0, preview_every=0)))
    task.train_step(torch.from_numpy(data.voxels).float(), torch.from_numpy(data.labels), 0)
    if bias is not None:
        with torch.no_grad():
            task.ema.to_voxels.bias.fill_(bias)
    task.export_weights(out)
    return out


def toy_gan_set(n: int = 16, resolution: int = 32) -> SimpleNamespace:
    """Two classes of 32^3 shapes a GAN step can learn from: solid boxes ("box") and thin slabs ("slab")."""
    rng = np.random.default_rng(0)
    vox = np.zeros((n, resolution, resolution, resolution), bool)
    labels = np.arange(n) % 2
    for i in range(n):
        w = int(rng.integers(6, 20))
        lo = (resolution - w) // 2
        if labels[i] == 0:
            vox[i, lo : lo + w, lo : lo + w, :w] = True
        else:
            vox[i, lo : lo + w, lo : lo + w, w - 2 : w] = True
    return SimpleNamespace(voxels=vox, labels=labels.astype(np.int64), classes=["box", "slab"], resolution=resolution)
