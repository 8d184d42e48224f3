"""Fit the named sliders on a generator: ``python -m voxstudio.training.fit_sliders``.

InterFaceGAN (Shen et al. 2020) on this generator, per class:

1. **Shapes with known attributes.** ``shapes_per_class`` procedural shapes and
   their recorded attributes (:mod:`voxstudio.data.attributes`, voxels of the
   framed grid, counts, flags).
2. **Their latents.** The generator's VAE encoder (shipped inside ``gan.*``) maps
   each shape to its posterior mean, taken to the *slider frame* the sliders move
   in (``Generator.slider_coordinates``: the class's whitened latent cloud under
   a diffusion or mixture prior, the standard-normal ``z`` under an affine; amortised
   inversion: ~2 ms a shape, where ``VoxelEngine.invert`` needs seconds).
3. **One direction per attribute**: ridge regression ``z -> attribute``; the
   normalised weight vector is the direction. Its held-out R^2 says how linearly
   the latent carries the attribute. *Conditional* variant: the direction with the
   other candidates' directions projected out (InterFaceGAN's conditional
   manipulation), used when it keeps >= 70 % of the primary direction's effect.
4. **Measured on the generator**, not on the encoder: ``check_samples`` seeds (the
   GUI's seeds 0..M-1) are moved to both ends and generated. Height, width and depth
   are measured straight from the voxels (slices with >= 3 voxels: specks do not count); the other attributes by a ridge regressor
   on 16^3-pooled grids trained on the procedural shapes (its held-out R^2 is
   reported; attributes it cannot read are skipped, since their sliders could not be
   checked). A slider is kept when it moves its attribute by >= ``min_effect``
   standard deviations (of the attribute among procedural shapes of the class)
   between the probe ends, the same way for >= ``min_sign`` of the seeds.
5. **Calibrated range**: each end is the farthest of 3.0, 2.5, ... 1.0 latent
   units (tried from the top) where the shapes stay plausible: class agreement (the shipped capsule
   classifier, four-yaw vote) at most ``max_agreement_drop`` (10 points) and the one-piece rate
   at most ``max_one_piece_drop`` (10 points) below the unmoved shapes (same seeds).
   The range is what the user drags, so it must still move the attribute by
   ``min_range_effect`` (0.6) standard deviations, the right way for ``min_sign`` of
   the seeds. (At 0.5 a bathtub's Height slider, its high end clipped to +1,
   moved the height 1.8 voxels on average and not at all for half the tubs.)

CPU, one thread: 1-3 min a class on the shared 2-core machine (~30 min for all 12). Writes ``sliders.json`` (models/sliders.py).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from voxstudio.data.attributes import ATTRIBUTES, CLASS_ATTRIBUTES, class_attribute_table
from voxstudio.models.sliders import NamedSlider, SliderSet, save_sliders
from voxstudio.training.latent_prior import encode_shapes

__all__ = ["FitConfig", "fit_sliders", "main"]

#: Shape seeds of the fitting shapes: far from the data sets' ``seed * 1e6 + i``.
SHAPE_SEED_BASE = 900_000_000
_EXTENTS = ("height", "width", "depth")


@dataclass
class FitConfig:
    shapes_per_class: int = 400
    check_samples: int = 64
    probe_alpha: float = 2.0
    alphas: tuple[float, ...] = (3.0, 2.5, 2.0, 1.5, 1.0)  # tried from the top: the farthest plausible end
    min_valid: float = 0.7  # an attribute must apply to this share of the class (arm height: only armchairs)
    min_latent_r2: float = 0.2
    min_measure_r2: float = 0.3
    min_effect: float = 0.5
    min_range_effect: float = 0.6
    min_sign: float = 0.75
    max_agreement_drop: float = 0.10  # 64 seeds: one shape is 1.6 points
    max_one_piece_drop: float = 0.10
    conditional_keep: float = 0.7
    max_duplicate_cosine: float = 0.95  # a direction this close to an earlier one is the same slider
    max_sliders: int = 10
    seed: int = 0


# ----------------------------------------------------------------------------- small linear models


def _ridge(x: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, float]:
    """Ridge weights and intercept (dual form when features outnumber samples)."""
    mx, my = x.mean(axis=0), float(y.mean())
    xc, yc = x - mx, y - my
    n, f = xc.shape
    if f > n:
        alpha = np.linalg.solve(xc @ xc.T + lam * np.eye(n), yc)
        w = xc.T @ alpha
    else:
        w = np.linalg.solve(xc.T @ xc + lam * np.eye(f), xc.T @ yc)
    return w, my - float(mx @ w)


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else 0.0


def _fit_checked(x: np.ndarray, y: np.ndarray, lams: Sequence[float], seed: int) -> tuple[np.ndarray, float, float]:
    """Ridge on all rows with the penalty that predicts a held-out 20 % best; returns (w, b, held-out R^2)."""
    order = np.random.default_rng(seed).permutation(len(y))
    cut = max(1, len(y) // 5)
    test, train = order[:cut], order[cut:]
    best = (-math.inf, lams[0])
    for lam in lams:
        w, b = _ridge(x[train], y[train], lam)
        best = max(best, (_r2(y[test], x[test] @ w + b), lam))
    w, b = _ridge(x, y, best[1])
    return w, b, best[0]


def _pooled(grids: np.ndarray) -> np.ndarray:
    """``(N, R, R, R)`` -> ``(N, (R/2)^3)`` float64 averages of 2^3 blocks (16^3 at 32^3)."""
    n, r = grids.shape[0], grids.shape[1]
    g = np.asarray(grids, dtype=np.float32).reshape(n, r // 2, 2, r // 2, 2, r // 2, 2)
    return g.mean(axis=(2, 4, 6)).reshape(n, -1).astype(np.float64)


# ----------------------------------------------------------------------------- generator side


class _Probe:
    """Generation and plausibility figures for one class on the engine's generator."""

    def __init__(self, engine: Any, class_id: int, samples: int) -> None:
        self.engine = engine
        self.class_id = class_id
        self.base = np.stack([engine.latent_for_seed(s) for s in range(samples)])

    def grids(self, offset: np.ndarray) -> np.ndarray:
        """The seeds moved by a slider-frame ``offset``, generated and thresholded."""
        return self.engine.generate(self.base, np.full(len(self.base), self.class_id), offset=offset) > 0.5

    def plausibility(self, grids: np.ndarray) -> tuple[float, float]:
        """(class agreement, one-piece rate) of thresholded grids."""
        from voxstudio.training.gan_metrics import is_one_piece

        agreement = float((self.engine.classify_batch(grids) == self.class_id).mean())
        one_piece = float(np.mean([is_one_piece(g) for g in grids]))
        return agreement, one_piece


@dataclass
class _Candidate:
    attribute: str
    direction: np.ndarray
    latent_r2: float
    measure_r2: float  # 1.0 for extents measured from the voxels
    std: float
    measure: Callable[[np.ndarray], np.ndarray]
    conditional: bool = False
    aliases: list[str] = field(default_factory=list)  # labels of attributes with the same direction
    effect: float = 0.0
    sign: float = 0.0


def _measurer(attribute: str, w: np.ndarray | None, b: float, flag: bool) -> Callable[[np.ndarray], np.ndarray]:
    from voxstudio.data.attributes import measure_extents

    if attribute in _EXTENTS:
        column = _EXTENTS.index(attribute)
        return lambda grids: measure_extents(grids, min_voxels=3)[:, column].astype(np.float64)
    assert w is not None

    def predict(grids: np.ndarray) -> np.ndarray:
        values = _pooled(grids) @ w + b
        return np.clip(values, 0.0, 1.0) if flag else values

    return predict


def _probe_effect(probe: _Probe, cand: _Candidate, direction: np.ndarray, alpha: float) -> tuple[float, float]:
    """(mean change between -alpha and +alpha in std units, share of seeds that moved the right way)."""
    plus = cand.measure(probe.grids(alpha * direction))
    minus = cand.measure(probe.grids(-alpha * direction))
    diff = plus - minus
    return float(diff.mean() / cand.std), float((diff > 0).mean())


def _describe_change(attribute: str, low_value: float, high_value: float) -> str:
    kind = ATTRIBUTES[attribute].kind
    delta = high_value - low_value
    if kind in ("length", "voxels"):
        return f"about {abs(delta):.0f} voxels across the range"
    if kind == "angle":
        return f"about {abs(delta):.0f} degrees across the range"
    if kind == "flag":
        return f"{100 * low_value:.0f} % to {100 * high_value:.0f} % of shapes across the range"
    return f"{low_value:.1f} to {high_value:.1f} on average across the range"


# ----------------------------------------------------------------------------- per class


def _fit_class(
    engine: Any, class_name: str, config: FitConfig, log: Callable[[str], None], dropped: dict[str, str]
) -> list[NamedSlider]:
    """The class's kept sliders; ``dropped`` gets the reason for every attribute left out."""
    from voxstudio.data.procedural import generate_shape

    class_id = engine.classes.index(class_name)
    names = CLASS_ATTRIBUTES[class_name]
    seeds = [SHAPE_SEED_BASE + i for i in range(config.shapes_per_class)]
    grids = np.stack([generate_shape(class_name, s) for s in seeds])
    table = class_attribute_table(class_name, seeds)
    latents = _encode(engine, grids, class_id)
    features = _pooled(grids)
    probe = _Probe(engine, class_id, config.check_samples)

    candidates: list[_Candidate] = []
    for j, attribute in enumerate(names):
        y = table[:, j].astype(np.float64)
        valid = np.isfinite(y)
        if valid.mean() < config.min_valid or np.unique(y[valid]).size < 2 or y[valid].std() < 0.05:
            dropped[attribute] = "applies to too few shapes" if valid.mean() < config.min_valid else "does not vary"
            continue
        std = float(y[valid].std())
        w_lat, _, latent_r2 = _fit_checked(latents[valid], y[valid], (1.0, 10.0, 100.0), config.seed)
        if attribute in _EXTENTS:
            measure, measure_r2 = _measurer(attribute, None, 0.0, False), 1.0
        else:
            w_vox, b_vox, measure_r2 = _fit_checked(features[valid], y[valid], (1.0, 10.0, 100.0), config.seed)
            measure = _measurer(attribute, w_vox, b_vox, ATTRIBUTES[attribute].kind == "flag")
        norm = float(np.linalg.norm(w_lat))
        if norm == 0.0:
            continue
        cand = _Candidate(attribute, (w_lat / norm).astype(np.float32), latent_r2, measure_r2, std, measure)
        log(f"  {attribute:<16} latent R2 {latent_r2:5.2f}  voxel-measure R2 {measure_r2:5.2f}")
        if latent_r2 >= config.min_latent_r2 and measure_r2 >= config.min_measure_r2:
            candidates.append(cand)
        else:
            dropped[attribute] = f"latent R2 {latent_r2:.2f} / voxel-measure R2 {measure_r2:.2f} too low"

    # Attributes the latent carries along (nearly) the same direction are one slider: keep the first
    # (extents first, then the class's order), e.g. a table's height and top height.
    unique: list[_Candidate] = []
    for cand in candidates:
        twin = next((u for u in unique if abs(float(u.direction @ cand.direction)) > config.max_duplicate_cosine), None)
        if twin is None:
            unique.append(cand)
        else:
            dropped[cand.attribute] = f"same direction as {twin.attribute}"
            twin.aliases.append(ATTRIBUTES[cand.attribute].label)
    candidates = unique
    # Primary vs conditional directions, both checked on the generator at the probe ends.
    primary = np.stack([c.direction for c in candidates]) if candidates else np.zeros((0, latents.shape[1]))
    kept: list[_Candidate] = []
    for k, cand in enumerate(candidates):
        cand.effect, cand.sign = _probe_effect(probe, cand, cand.direction, config.probe_alpha)
        others = np.delete(primary, k, axis=0)
        if len(others):
            q, _ = np.linalg.qr(others.T.astype(np.float64))
            rest = cand.direction - q @ (q.T @ cand.direction)
            if np.linalg.norm(rest) > 0.3:
                conditional = (rest / np.linalg.norm(rest)).astype(np.float32)
                effect, sign = _probe_effect(probe, cand, conditional, config.probe_alpha)
                if effect >= config.conditional_keep * cand.effect and sign >= config.min_sign:
                    cand.direction, cand.effect, cand.sign, cand.conditional = conditional, effect, sign, True
        verdict = "kept" if cand.effect >= config.min_effect and cand.sign >= config.min_sign else "dropped"
        log(f"  {cand.attribute:<16} probe +-{config.probe_alpha}: {cand.effect:+.2f} std, right way for "
            f"{100 * cand.sign:.0f} % of seeds{' (conditional)' if cand.conditional else ''} -> {verdict}")
        if verdict == "kept":
            kept.append(cand)
        else:
            dropped[cand.attribute] = f"moves it {cand.effect:+.2f} std, right way for {100 * cand.sign:.0f} % of seeds"
    kept.sort(key=lambda c: -c.effect)
    for cand in kept[config.max_sliders :]:
        dropped[cand.attribute] = "more than max_sliders sliders"
    kept = kept[: config.max_sliders]

    # Calibrate each end on plausibility.
    centre = probe.plausibility(probe.grids(np.zeros(latents.shape[1], np.float32)))
    sliders: list[NamedSlider] = []
    for cand in sorted(kept, key=lambda c: names.index(c.attribute)):
        ends: dict[int, tuple[float, tuple[float, float], np.ndarray]] = {}
        for sign in (-1, 1):
            for alpha in config.alphas:
                g = probe.grids(sign * alpha * cand.direction)
                agreement, one_piece = probe.plausibility(g)
                if (agreement >= centre[0] - config.max_agreement_drop
                        and one_piece >= centre[1] - config.max_one_piece_drop):
                    ends[sign] = (alpha, (agreement, one_piece), cand.measure(g))
                    break
        if -1 not in ends or 1 not in ends:
            log(f"  {cand.attribute:<16} no plausible range (even +-{min(config.alphas)} fails) -> dropped")
            dropped[cand.attribute] = f"implausible already at +-{min(config.alphas)}"
            continue
        low, high = -ends[-1][0], ends[1][0]
        low_values, high_values = ends[-1][2], ends[1][2]
        change = float((high_values - low_values).mean())
        right_way = float((high_values - low_values > 0).mean())
        if change / cand.std < config.min_range_effect or right_way < config.min_sign:
            how = f"{change / cand.std:+.2f} std, right way for {100 * right_way:.0f} % of seeds"
            log(f"  {cand.attribute:<16} range [{low}, {high}] moves it only {how} -> dropped")
            dropped[cand.attribute] = f"calibrated range moves it only {how}"
            continue
        spec = ATTRIBUTES[cand.attribute]
        figures = {
            "latent_r2": round(cand.latent_r2, 3),
            "measure": "voxels" if cand.attribute in _EXTENTS else "pooled-voxel ridge",
            "measure_r2": round(cand.measure_r2, 3),
            "conditional": cand.conditional,
            "attribute_std": round(cand.std, 3),
            "low_mean": round(float(low_values.mean()), 3),
            "high_mean": round(float(high_values.mean()), 3),
            "change_std": round(change / cand.std, 3),
            "right_way": round(right_way, 3),
            "agreement": {"centre": round(centre[0], 3), "low": round(ends[-1][1][0], 3), "high": round(ends[1][1][0], 3)},
            "one_piece": {"centre": round(centre[1], 3), "low": round(ends[-1][1][1], 3), "high": round(ends[1][1][1], 3)},
        }
        tooltip = f"{spec.tooltip()} Fitted: {_describe_change(cand.attribute, float(low_values.mean()), float(high_values.mean()))}."
        aliases = tuple(a for a in cand.aliases if a != spec.label)
        if aliases:
            tooltip += f" Also called {', '.join(aliases)}."
        sliders.append(NamedSlider(spec.label, cand.attribute, tooltip, cand.direction, float(low), float(high), figures,
                                   aliases))
        log(f"  {spec.label:<16} range [{low:+.1f}, {high:+.1f}]: {low_values.mean():.2f} -> {high_values.mean():.2f} "
            f"({change / cand.std:+.2f} std, right way {100 * right_way:.0f} %); agreement "
            f"{100 * ends[-1][1][0]:.0f}/{100 * centre[0]:.0f}/{100 * ends[1][1][0]:.0f} %, one piece "
            f"{100 * ends[-1][1][1]:.0f}/{100 * centre[1]:.0f}/{100 * ends[1][1][1]:.0f} % (low/centre/high)")
    names_taken = {s.name for s in sliders}
    return [replace(s, aliases=tuple(a for a in s.aliases if a not in names_taken)) for s in sliders]


def _encode(engine: Any, grids: np.ndarray, class_id: int, batch: int = 64) -> np.ndarray:
    """Slider-frame latents of ``grids``: the VAE encoder's posterior means in ``Generator.slider_coordinates``."""
    encoder, generator = engine._encoder, engine._generator  # the engine's own networks, on its device
    if encoder is None:
        raise RuntimeError("these generator weights have no VAE encoder (encoder.* in gan.safetensors)")
    mu, _ = encode_shapes(encoder, grids, np.full(len(grids), class_id), batch)
    with torch.inference_mode():
        y = torch.full((len(mu),), class_id, dtype=torch.long, device=engine.device)
        return generator.slider_coordinates(mu.float().to(engine.device), y).cpu().numpy().astype(np.float64)


# ----------------------------------------------------------------------------- entry points


def fit_sliders(
    weights_dir: str | Path | None = None,
    classes: Sequence[str] | None = None,
    config: FitConfig | None = None,
    log: Callable[[str], None] = print,
) -> SliderSet:
    """Fit named sliders for ``classes`` (default: all) on the generator in ``weights_dir``."""
    from voxstudio.models.engine import VoxelEngine

    config = config or FitConfig()
    engine = VoxelEngine.load(weights_dir, device="cpu")
    if not engine.has_generator or not engine.has_classifier:
        raise RuntimeError("fitting sliders needs gan.* and capsnet.* in the weights folder")
    chosen = list(classes) if classes else [c for c in engine.classes if c in CLASS_ATTRIBUTES]
    fitted: dict[str, tuple[NamedSlider, ...]] = {}
    dropped: dict[str, dict[str, str]] = {}
    started = time.perf_counter()
    for class_name in chosen:
        if class_name not in engine.classes or class_name not in CLASS_ATTRIBUTES:
            raise ValueError(f"unknown class {class_name!r}")
        t0 = time.perf_counter()
        log(f"{class_name}:")
        dropped[class_name] = {}
        fitted[class_name] = tuple(_fit_class(engine, class_name, config, log, dropped[class_name]))
        log(f"  -> {', '.join(s.name for s in fitted[class_name]) or 'no sliders'} ({time.perf_counter() - t0:.0f} s)")
    sha = (engine.configs.get("gan", {}).get("weights_file") or {}).get("sha256")
    info = {
        "method": "InterFaceGAN: ridge z -> attribute on encoder latents of procedural shapes (generator v"
                  f"{_generator_version()}), checked and range-calibrated on generated shapes",
        "shapes_per_class": config.shapes_per_class,
        "check_samples": config.check_samples,
        "seconds": round(time.perf_counter() - started, 1),
        "command": "python -m voxstudio.training.fit_sliders",
        "criteria": {k: v for k, v in vars(config).items() if k not in ("alphas",)},
        "dropped": dropped,
    }
    return SliderSet(latent_dim=engine.latent_dim, classes=fitted, generator_sha256=sha, info=info)


def _generator_version() -> int:
    from voxstudio.data.procedural import GENERATOR_VERSION

    return GENERATOR_VERSION


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voxstudio.training.fit_sliders", description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=None, help="weights folder with gan.* and capsnet.* (default: shipped)")
    parser.add_argument("--out", type=Path, default=None, help="slider file to write (default: WEIGHTS/sliders.json)")
    parser.add_argument("--classes", nargs="*", default=None, help="only these classes (default: all)")
    parser.add_argument("--shapes", type=int, default=FitConfig.shapes_per_class, help="procedural shapes per class")
    parser.add_argument("--samples", type=int, default=FitConfig.check_samples, help="generated seeds per check")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    from voxstudio import paths
    from voxstudio.models.sliders import SLIDERS_FILE

    config = FitConfig(shapes_per_class=args.shapes, check_samples=args.samples)
    sliders = fit_sliders(args.weights, args.classes, config)
    out = args.out or Path(args.weights or paths.weights_dir()) / SLIDERS_FILE
    save_sliders(out, sliders)
    print(f"wrote {sum(len(v) for v in sliders.classes.values())} sliders for {len(sliders.classes)} classes to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
