"""GAN training throughput: samples/s of the real ``voxstudio train gan`` step.

    python bench/bench_gan_training.py [--batch 16] [--repeats 5] [--threads 2]

Builds the task exactly as the CLI does (``gan_task.build_task`` with its
defaults: discriminator step, generator + encoder step, EMA update) and times
``train_step`` on a batch of procedural shapes, on the CPU and on CUDA when
present.  One step consumes one batch of real shapes, so samples/s =
batch / median step time.  (The classifiers' training throughput is measured in
bench_classifier.py.)  ``run(quick)`` returns :class:`common.Result` rows.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from common import TRAINING, Result, Timing, measure, timed_result


def _batch(batch: int, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    from voxstudio.data.procedural import CLASSES, generate_shape

    labels = np.arange(batch) % len(CLASSES)
    voxels = np.stack([generate_shape(CLASSES[c], i, resolution) for i, c in enumerate(labels)])
    return voxels, labels.astype(np.int64)


def time_gan_step(device: torch.device, batch: int, repeats: int, resolution: int = 32) -> Timing:
    """Median time of one ``train_step`` on a fixed batch of ``batch`` procedural shapes."""
    from voxstudio.data.dataset import VoxelDataset
    from voxstudio.data.procedural import CLASSES
    from voxstudio.training.gan_task import build_task

    voxels, labels = _batch(batch, resolution)
    data = VoxelDataset(voxels=voxels, labels=labels, classes=list(CLASSES), resolution=resolution)
    task = build_task(data, None, batch_size=batch)
    for module in task.modules().values():
        module.to(device)
    task.bind(task.modules(), device)  # what fit() does after moving the modules
    x = torch.from_numpy(voxels).float().to(device)
    y = torch.from_numpy(labels).to(device)
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else None
    step = iter(range(10**9))
    timing = measure(lambda: task.train_step(x, y, next(step)), repeats, warmup=1, sync=sync)
    return timing


def run(quick: bool = False) -> list[Result]:
    """samples/s on the CPU (and CUDA): batch 16 (the CLI default), quick: batch 4, 2 steps."""
    from voxstudio.training.gan_task import DEFAULT_BATCH_SIZE

    batch, repeats = (4, 2) if quick else (DEFAULT_BATCH_SIZE, 5)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    results = []
    for device in devices:
        timing = time_gan_step(device, batch, repeats if device.type == "cpu" else 20)
        results.append(timed_result(TRAINING, f"GAN train step, batch {batch}, 32^3, {device.type}", timing,
                                    unit="samples/s", items=batch, note="D step + G/encoder step + EMA",
                                    device=device.type, batch=batch))
    if not torch.cuda.is_available():
        results.append(Result(TRAINING, f"GAN train step, batch {batch}, 32^3, cuda", None, "samples/s",
                              note="skipped: no CUDA device"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    timing, batch = time_gan_step(device, args.batch, args.repeats), args.batch
    print(f"GAN train step on {device}, batch {batch}, 32^3: {timing.median_ms:.0f} ms/step, "
          f"{timing.rate(batch):.1f} samples/s (median of {timing.runs})")


if __name__ == "__main__":
    main()
