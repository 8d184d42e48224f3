"""Refit the latent prior of exported generator weights on an encoded training set.

Ex-post density estimation is a post-hoc step: the generator and encoder stay
as they are, only the map from the app's standard-normal latents to the
decoder's latents changes. This re-exports ``gan.*`` with a prior fitted on the
training split of a built data set -- a per-class latent diffusion prior
(``--prior diffusion``, the default: :mod:`voxstudio.models.latent_diffusion`,
fitted on the training latents that decode whole, guided by a wholeness critic
and distilled into a one-step map; ~35 min on 2 cores) or a per-class Gaussian mixture (``--prior mixture``:
:mod:`voxstudio.models.latent_mixture`, ~1 min) -- and the "Mode k" slider directions recomputed for it
(they are regressed on the input latents). Named sliders (``sliders.json``) are
tied to the generator file's checksum and must be refitted afterwards with
``python -m voxstudio.training.fit_sliders``.

    python -m voxstudio.training.refit_prior --weights weights --data data/proc32 --out weights
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from voxstudio.models.latent import export_directions
from voxstudio.models.latent_diffusion import DiffusionPriorConfig
from voxstudio.models.weights import FILE_INFO_KEY, GAN_STEM, generator_state, save_weights
from voxstudio.training.diffusion_prior import (
    DEFAULT_STEPS,
    DISTIL_PAIRS_PER_CLASS,
    DISTIL_STEPS,
    distil_one_step,
    fit_diffusion_prior,
)
from voxstudio.training.gan_task import NUM_DIRECTIONS, GANTrainConfig
from voxstudio.training.latent_prior import DEFAULT_COMPONENTS, DEFAULT_SHRINK, encode_by_class, fit_class_mixtures
from voxstudio.training.wholeness_critic import (
    CRITIC_ROUNDS,
    CRITIC_SAMPLES_PER_CLASS,
    CRITIC_STEPS,
    GUIDANCE_TARGET,
    calibrate_class_guidance,
    fit_guiding_critic,
    whole_latents,
)

PRIOR_KINDS = ("diffusion", "mixture")
#: Scale of the wholeness critic's guidance of the diffusion prior's ODE. Measured on the 20-step
#: ODE (120 samples per class, one piece; critic inputs noised by 0.05): 0 -> 92.6 %, 3 -> 96.0 %,
#: 6 -> 94.7-97.3 % (chairs 72 -> 80-93 %), 8 -> 97.6 %. A critic fitted on noisier inputs (0.5)
#: is better calibrated and its gradients are smaller, hence 8. It is the scale the critic's second
#: round samples at; ``--guidance-target`` then gives each class its own (2 to 16).
DEFAULT_GUIDANCE = 8.0
#: Guided ODE steps that finish the one-step student's answer (re-noised to t = 0.7 with the input
#: latent). Measured (`evaluate gan`, per-class guidance): none -> 96.5 % one piece, chairs 89.2 %;
#: 2 -> 97.2 %, chairs 94.2 %, every class >= 92.5 %, COV 50.7 -> 52.6 %. Costs 4 ms a new input
#: latent on 2 cores; slider drags do not pay it (the engine keeps the prior's answer).
DEFAULT_REFINE_STEPS = 2
#: Weight of the critic's -log P(one piece) in the student's distillation loss (0: plain regression).
DEFAULT_DISTIL_CRITIC_WEIGHT = 0.05


def refit_prior(
    weights_dir: str | Path | None,
    data_dir: str | Path,
    out_dir: str | Path,
    components: int = DEFAULT_COMPONENTS,
    device: str = "auto",
    log: Callable[[str], None] = print,
    prior: str = "diffusion",
    prior_steps: int = DEFAULT_STEPS,
    one_step: bool = True,
    distil_steps: int = DISTIL_STEPS,
    distil_pairs: int = DISTIL_PAIRS_PER_CLASS,
    refine_steps: int = DEFAULT_REFINE_STEPS,
    whole_only: bool = True,
    guidance: float = DEFAULT_GUIDANCE,
    critic_samples: int = CRITIC_SAMPLES_PER_CLASS,
    critic_steps: int = CRITIC_STEPS,
    critic_rounds: int = CRITIC_ROUNDS,
    guidance_target: float = GUIDANCE_TARGET,
    distil_critic_weight: float = DEFAULT_DISTIL_CRITIC_WEIGHT,
) -> dict[str, Any]:
    """Fit the latent prior, recompute the slider directions and write ``OUT/gan.*``; returns the prior's record."""
    if prior not in PRIOR_KINDS:
        raise ValueError(f"prior must be one of {', '.join(PRIOR_KINDS)}, got {prior!r}")
    from voxstudio.data.dataset import load_split
    from voxstudio.models.engine import VoxelEngine, WeightsError

    started = time.perf_counter()
    engine = VoxelEngine.load(weights_dir, device=device)
    generator, encoder = engine._generator, engine._encoder
    if generator is None:
        raise WeightsError(weights_dir, "no generator weights (gan.safetensors) to refit")
    if encoder is None:
        raise WeightsError(weights_dir, "these generator weights have no VAE encoder to fit a prior with")
    data = load_split(data_dir, "train")
    if list(data.classes) != engine.classes:
        raise ValueError(f"data set classes {list(data.classes)} differ from the generator's {engine.classes}")
    if int(data.resolution) != engine.resolution:
        raise ValueError(f"data set resolution {data.resolution} differs from the generator's {engine.resolution}")
    log(f"encoding {len(data.labels)} training shapes")
    encoded = encode_by_class(encoder, np.asarray(data.voxels), np.asarray(data.labels), len(engine.classes))
    record: dict[str, Any]
    if prior == "mixture":
        log(f"fitting {components} Gaussians per class")
        means, transforms, cutoffs = fit_class_mixtures(encoded, components)
        generator.set_latent_mixture(means, transforms, cutoffs)
        record = {"kind": "gaussian_mixture_per_class", "components": int(means.shape[1]), "shrink": DEFAULT_SHRINK}
    else:
        network = DiffusionPriorConfig(latent_dim=generator.latent_dim, num_classes=generator.num_classes)
        log(f"training the latent diffusion prior ({prior_steps} steps)")
        means_by_class = [mu for mu, _ in encoded]  # posterior means: see voxstudio.training.diffusion_prior
        if whole_only:
            log("keeping the training latents the decoder draws in one piece")
            means_by_class = whole_latents(generator, means_by_class, log)
        diffusion = fit_diffusion_prior(means_by_class, network, steps=prior_steps, device=engine.device, log=log)
        if guidance > 0:
            log(f"fitting the wholeness critic ({critic_rounds} rounds of {critic_samples} samples per class)")
            critic = fit_guiding_critic(diffusion, generator, critic_samples, guidance, rounds=critic_rounds,
                                        steps=critic_steps, log=log)
            if guidance_target > 0:
                log(f"calibrating each class's guidance (target: {100 * guidance_target:g} % whole)")
                diffusion.attach_critic(critic, calibrate_class_guidance(diffusion, generator, target=guidance_target,
                                                                         log=log))
        if one_step:
            log("distilling the ODE into a one-step map")
            diffusion = distil_one_step(diffusion, pairs_per_class=distil_pairs, steps=distil_steps, log=log,
                                        critic_weight=distil_critic_weight)
            if refine_steps:
                diffusion.config = dataclasses.replace(diffusion.config, refine_steps=refine_steps)
        generator.set_latent_diffusion(diffusion)
        record = {"kind": "latent_diffusion_per_class", "network": diffusion.config.to_dict(), "steps": int(prior_steps),
                  "distil_steps": int(distil_steps) if one_step else 0,
                  "distil_pairs_per_class": int(distil_pairs) if one_step else 0,
                  "whole_only": bool(whole_only), "critic_samples_per_class": int(critic_samples) if guidance else 0,
                  "critic_steps": int(critic_steps) if guidance else 0,
                  "critic_rounds": int(critic_rounds) if guidance else 0,
                  "guidance_target": float(guidance_target) if guidance else 0.0,
                  "distil_critic_weight": float(distil_critic_weight) if one_step and guidance else 0.0}
    config = dict(engine.configs["gan"])
    training = config.get("training") or {}
    log("recomputing the slider directions")
    defaults = GANTrainConfig()
    directions, scales = export_directions(
        generator,
        int(config.get("num_directions", NUM_DIRECTIONS)),
        int(training.get("direction_samples", defaults.direction_samples)),
        int(training.get("calibration_samples", defaults.calibration_samples)),
    )
    record |= {
        "fitted_on": str(data_dir),
        "shapes": int(len(data.labels)),
        "command": "python -m voxstudio.training.refit_prior",
        "seconds": round(time.perf_counter() - started, 1),
    }
    config.pop(FILE_INFO_KEY, None)
    config["latent_prior"] = record
    state = generator_state(generator, encoder, torch.from_numpy(directions), torch.from_numpy(scales))
    save_weights(Path(out_dir) / GAN_STEM, state, config)
    return record


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voxstudio.training.refit_prior", description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=None, help="weights folder with gan.* (default: shipped)")
    parser.add_argument("--data", type=Path, required=True, help="built data set whose training split is encoded")
    parser.add_argument("--out", type=Path, required=True, help="folder to write gan.* to (may be --weights)")
    parser.add_argument("--prior", choices=PRIOR_KINDS, default="diffusion", help="kind of latent prior to fit")
    parser.add_argument("--components", type=int, default=DEFAULT_COMPONENTS, help="Gaussians per class (mixture)")
    parser.add_argument("--prior-steps", type=int, default=DEFAULT_STEPS, help="training steps (diffusion)")
    parser.add_argument("--no-one-step", dest="one_step", action="store_false",
                        help="diffusion: keep the ODE for sampling instead of distilling a one-step map")
    parser.add_argument("--distil-steps", type=int, default=DISTIL_STEPS, help="training steps of the one-step map")
    parser.add_argument("--distil-pairs", type=int, default=DISTIL_PAIRS_PER_CLASS,
                        help="ODE pairs per class the one-step map learns from")
    parser.add_argument("--refine-steps", type=int, default=DEFAULT_REFINE_STEPS,
                        help="guided ODE steps that finish the one-step map's answer (0: none; 2, the default: "
                             "+0.7 points one piece, chairs +5)")
    parser.add_argument("--all-latents", dest="whole_only", action="store_false",
                        help="diffusion: fit on every training latent, also those the decoder breaks")
    parser.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE,
                        help="diffusion: scale of the wholeness critic's guidance (0: no critic)")
    parser.add_argument("--critic-samples", type=int, default=CRITIC_SAMPLES_PER_CLASS,
                        help="prior samples per class labelled for the wholeness critic")
    parser.add_argument("--critic-steps", type=int, default=CRITIC_STEPS, help="training steps of the critic")
    parser.add_argument("--guidance-target", type=float, default=GUIDANCE_TARGET,
                        help="give each class the smallest guidance at which this share of its guided samples "
                             "decodes whole (0: --guidance for every class)")
    parser.add_argument("--critic-rounds", type=int, default=CRITIC_ROUNDS,
                        help="labelling rounds of the critic: round 1 labels unguided samples, each later one "
                             "samples guided by the critic so far")
    parser.add_argument("--distil-critic-weight", type=float, default=DEFAULT_DISTIL_CRITIC_WEIGHT,
                        help="weight of the critic's -log P(one piece) of the student's answers in its loss")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args(argv)
    if (min(args.components, args.prior_steps, args.distil_steps, args.distil_pairs, args.critic_samples,
               args.critic_steps, args.critic_rounds) < 1
            or min(args.refine_steps, args.guidance, args.distil_critic_weight) < 0
            or not 0 <= args.guidance_target <= 1):
        parser.error("--components, --prior-steps, --distil-steps, --distil-pairs, --critic-samples, --critic-steps "
                     "and --critic-rounds must be at least 1, --refine-steps, --guidance and --distil-critic-weight "
                     "at least 0, --guidance-target in [0, 1]")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    from voxstudio.core.errors import VoxStudioError

    try:
        record = refit_prior(args.weights, args.data, args.out, args.components, args.device,
                             prior=args.prior, prior_steps=args.prior_steps, one_step=args.one_step,
                             distil_steps=args.distil_steps, distil_pairs=args.distil_pairs,
                             refine_steps=args.refine_steps, whole_only=args.whole_only,
                             guidance=args.guidance, critic_samples=args.critic_samples,
                             critic_steps=args.critic_steps, critic_rounds=args.critic_rounds,
                             guidance_target=args.guidance_target,
                             distil_critic_weight=args.distil_critic_weight)
    except (VoxStudioError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out / GAN_STEM}.* with a {record['kind']} prior ({record['seconds']} s); "
          "refit the named sliders next: python -m voxstudio.training.fit_sliders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
