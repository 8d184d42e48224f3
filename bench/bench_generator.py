"""Generator latency: 1 sample and a batch of 64, at 32^3 and 64^3; CPU, and CUDA fp32/fp16 when present.

The GUI regenerates on every slider move and aims at >= 30 updates/s, so the
number that matters most is the single-sample 32^3 latency on the CPU.
Uses the shipped architecture with random weights (latency does not depend on
the weight values). Run: ``python bench/bench_generator.py [--threads N]``.
``run(quick)`` returns the figures as :class:`common.Result` rows for
``bench/run.py`` (CUDA fp16 rows carry the fp32 time as their reference).
"""

from __future__ import annotations

import argparse

import torch
from common import GENERATOR, Result, Timing, measure, timed_result

from voxstudio.models.gan import GANConfig, build_generator
from voxstudio.models.latent_diffusion import DiffusionPriorConfig, LatentDiffusionPrior

#: The latent diffusion prior's maps (the shipped size): the one-step student the shipped
#: weights draw with, the student finished by 2 ODE steps (``refine_steps``), the 20-step ODE.
PRIOR_MAPS = (("one-step student", 0, False), ("student + 2 ODE steps", 2, False), ("ODE, 20 steps", 0, True))


def bench(device: torch.device, resolution: int, batch: int, half: bool, repeats: int) -> Timing:
    """Median time of ``generator.sample`` (after two warm-up calls), synchronised on CUDA."""
    config = GANConfig(num_classes=12, resolution=resolution)
    generator = build_generator(config).to(device).eval()
    z = torch.randn(batch, config.latent_dim, device=device)
    y = torch.randint(0, 12, (batch,), device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    return measure(lambda: generator.sample(z, y, half=half), repeats, warmup=2, sync=sync)


def bench_prior(device: torch.device, batch: int, refine_steps: int, ode: bool, repeats: int) -> Timing:
    """Median time of the latent prior's map from input to decoder latents (no cache: a fresh latent each call)."""
    prior = LatentDiffusionPrior(DiffusionPriorConfig(latent_dim=128, num_classes=12, one_step=1,
                                                      refine_steps=refine_steps)).to(device).eval()
    y = torch.randint(0, 12, (batch,), device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else None

    def call() -> None:
        e = torch.randn(batch, 128, device=device)
        with torch.inference_mode():
            prior.sample_ode(e, y) if ode else prior.sample(e, y)

    return measure(call, repeats, warmup=2, sync=sync)


def _repeats(device: torch.device, batch: int, repeats: int) -> int:
    return repeats if batch == 1 or device.type == "cuda" else max(3, repeats // 5)


def run(quick: bool = False) -> list[Result]:
    """1 sample and a batch of 64 at 32^3 and 64^3 (quick: 32^3, batch 1 and 8, few repeats)."""
    resolutions, batches, repeats = ((32,), (1, 8), 3) if quick else ((32, 64), (1, 64), 20)
    results: list[Result] = []
    for device in [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else []):
        for resolution in resolutions:
            for batch in batches:
                n = _repeats(device, batch, repeats)
                label = f"{resolution}^3, batch {batch}, {device.type}"
                fp32 = bench(device, resolution, batch, False, n)
                params = {"device": device.type, "resolution": resolution, "batch": batch}
                results.append(timed_result(GENERATOR, f"{label} fp32", fp32, note=f"{fp32.rate(batch):.1f} samples/s",
                                            precision="fp32", **params))
                if device.type == "cuda":
                    fp16 = bench(device, resolution, batch, True, n)
                    results.append(timed_result(GENERATOR, f"{label} fp16", fp16, reference=("fp32", fp32),
                                                note=f"{fp16.rate(batch):.1f} samples/s", precision="fp16", **params))
        for batch in batches:
            for name, refine_steps, ode in PRIOR_MAPS:
                timing = bench_prior(device, batch, refine_steps, ode, _repeats(device, batch, repeats))
                results.append(timed_result(GENERATOR, f"latent prior map, {name}, batch {batch}, {device.type}", timing,
                                            note="before the decoder; the GUI pays it once per frame",
                                            device=device.type, batch=batch))
    if not torch.cuda.is_available():
        results.append(Result(GENERATOR, "cuda fp32 / fp16 (fp16 vs fp32 ratio)", None, "ms",
                              note="skipped: no CUDA device"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"generator latency, torch {torch.__version__}, {args.threads} CPU thread(s)")
    print(f"{'device':<8}{'res':>5}{'batch':>7}{'precision':>11}{'ms':>10}{'ms/sample':>11}{'samples/s':>11}")
    for device in devices:
        for resolution in (32, 64):
            for batch in (1, 64):
                for half in ((False, True) if device.type == "cuda" else (False,)):
                    ms = bench(device, resolution, batch, half, _repeats(device, batch, args.repeats)).median_ms
                    print(f"{device.type:<8}{resolution:>5}{batch:>7}{'fp16' if half else 'fp32':>11}"
                          f"{ms:>10.2f}{ms / batch:>11.3f}{1e3 * batch / ms:>11.1f}", flush=True)
    print("latent prior map (input -> decoder latent), fp32")
    for device in devices:
        for batch in (1, 64):
            for name, refine_steps, ode in PRIOR_MAPS:
                ms = bench_prior(device, batch, refine_steps, ode, _repeats(device, batch, args.repeats)).median_ms
                print(f"{device.type:<8}{batch:>7}  {name:<24}{ms:>10.2f} ms", flush=True)


if __name__ == "__main__":
    main()
