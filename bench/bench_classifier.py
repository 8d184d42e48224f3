"""Benchmark the classifiers on this machine: inference latency, training throughput, routing speed-up.

    python bench/bench_classifier.py --threads 2

Prints, for the capsule network and the VoxNet baseline at 32^3 with 12 classes:
inference latency for 1 shape and for a batch of 32 (median of several runs),
training throughput in samples/s (forward + loss + backward + Adam step, batch
32), and the speed-up of the batched einsum routing over the per-capsule loop
reference (Procedure 1 of Sabour et al.) on the same votes.  ``run(quick)``
returns the same figures as :class:`common.Result` rows for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import torch
from common import CLASSIFIER, TRAINING, Result, Timing, measure, timed_result
from torch.nn import functional as F


@dataclass
class ModelFigures:
    """Inference (1 shape, a batch) and training-step timings of one classifier on one device."""

    name: str
    size_mb: float
    batch: int
    one: Timing
    many: Timing
    train: Timing
    voted: Timing  # one shape classified in four yaws and averaged, as the app and the CLI do


def _data(device: torch.device, classes: int, resolution: int, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    data = (torch.rand(batch, resolution, resolution, resolution, device=device) < 0.1).float()
    return data, torch.randint(0, classes, (batch,), device=device)


def measure_models(device: torch.device, repeats: int, classes: int = 12, resolution: int = 32,
                   batch: int = 32) -> list[ModelFigures]:
    """Capsule network and VoxNet baseline: latency for 1 shape and a batch, one Adam training step."""
    from voxstudio.models.baseline import VoxNet
    from voxstudio.models.capsnet import CapsNet3D
    from voxstudio.models.voting import vote

    data, labels = _data(device, classes, resolution, batch)
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else None
    figures = []
    for name, model in (("capsnet", CapsNet3D(classes, resolution)), ("baseline", VoxNet(classes, resolution))):
        model.to(device)
        size_mb = sum(p.numel() for p in model.parameters()) * 4 / 1e6
        model.eval()
        with torch.no_grad():
            one = measure(lambda: model(data[:1]), repeats, sync=sync)
            many = measure(lambda: model(data), repeats, sync=sync)
            voted = measure(lambda: vote(model, data[:1]), repeats, sync=sync)
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step() -> None:
            optimizer.zero_grad()
            if name == "capsnet":
                loss = model.loss(model(data, labels), data, labels)[0]
            else:
                loss = F.cross_entropy(model(data), labels)
            loss.backward()
            optimizer.step()

        train = measure(step, max(2, repeats // 2), sync=sync)
        figures.append(ModelFigures(name, size_mb, batch, one, many, train, voted))
    return figures


@dataclass
class RoutingFigures:
    """Batched einsum routing against the per-capsule loop reference on the same votes."""

    samples: int
    primary: int
    classes: int
    loop: Timing
    batched: Timing
    difference: float


def measure_routing(repeats: int, classes: int = 12, resolution: int = 32, samples: int = 2) -> RoutingFigures:
    from voxstudio.models.capsnet import CapsNet3D, dynamic_routing, dynamic_routing_reference

    data, _ = _data(torch.device("cpu"), classes, resolution, samples)
    capsnet = CapsNet3D(classes, resolution)
    with torch.no_grad():
        u = capsnet.primary_capsules(data)
        u_hat = torch.einsum("ncdk,bnk->bncd", capsnet.votes_weight, u)
        batched = measure(lambda: dynamic_routing(u_hat, 3), repeats)
        loop = measure(lambda: dynamic_routing_reference(u_hat, 3), 1, warmup=0)
        v_fast, _ = dynamic_routing(u_hat, 3)
        v_slow, _ = dynamic_routing_reference(u_hat, 3)
    return RoutingFigures(u_hat.shape[0], u_hat.shape[1], classes, loop, batched,
                          float((v_fast - v_slow).abs().max()))


def run(quick: bool = False) -> list[Result]:
    """Figures for bench/run.py: CPU (and CUDA) latency, training samples/s, routing speed-up."""
    repeats, batch = (2, 4) if quick else (5, 32)
    results: list[Result] = []
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    for device in devices:
        for f in measure_models(device, repeats if device.type == "cpu" else 20, batch=batch):
            label = f"{f.name} ({f.size_mb:.1f} MB), {device.type}"
            results += [
                timed_result(CLASSIFIER, f"{label}: 1 shape", f.one, model=f.name, device=device.type, batch=1),
                timed_result(CLASSIFIER, f"{label}: 1 shape, 4-yaw vote (as the app classifies)", f.voted,
                             model=f.name, device=device.type, batch=1, votes=4),
                timed_result(CLASSIFIER, f"{label}: batch {f.batch}", f.many,
                             note=f"{f.many.rate(f.batch):.1f} shapes/s", model=f.name, device=device.type,
                             batch=f.batch),
                timed_result(TRAINING, f"{f.name} train step, batch {f.batch}, 32^3, {device.type}", f.train,
                             unit="samples/s", items=f.batch, note="forward + loss + backward + Adam",
                             model=f.name, device=device.type, batch=f.batch),
            ]
    if not torch.cuda.is_available():
        results.append(Result(CLASSIFIER, "capsnet / baseline on cuda", None, "ms", note="skipped: no CUDA device"))
    r = measure_routing(repeats)
    results.append(timed_result(
        CLASSIFIER, f"dynamic routing, {r.samples} x {r.primary} primary x {r.classes} class capsules, 3 iterations, cpu",
        r.batched, reference=("per-capsule loop", r.loop), note=f"max |difference| {r.difference:.1e}"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per figure (default: 5)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from voxstudio.models.device import pick_device

    device = pick_device(args.device)
    classes, resolution, batch = 12, 32, 32
    print(f"device {device}, {torch.get_num_threads()} threads, {resolution}^3, {classes} classes, torch {torch.__version__}")
    for f in measure_models(device, args.repeats, classes, resolution, batch):
        one, many, train = f.one.median_s, f.many.median_s, f.train.median_s
        print(f"{f.name:9s} {f.size_mb:5.1f} MB  inference: 1 shape {1000 * one:7.1f} ms "
              f"(4-yaw vote {1000 * f.voted.median_s:7.1f} ms), batch {batch} "
              f"{1000 * many:7.1f} ms ({batch / many:6.1f} shapes/s)  training: {batch / train:6.1f} samples/s")

    r = measure_routing(args.repeats, classes, resolution)
    loop, batched = r.loop.median_s, r.batched.median_s
    print(f"routing ({r.samples} samples x {r.primary} primary x {classes} class capsules, 3 iterations, "
          f"CPU): loop reference {1000 * loop:.0f} ms, batched {1000 * batched:.2f} ms, "
          f"speed-up {loop / batched:.0f}x (max |difference| {r.difference:.1e})")


if __name__ == "__main__":
    main()
