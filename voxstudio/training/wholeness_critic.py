"""Label latents by whether the decoder draws them in one piece, and fit the critic that guides the prior.

Two uses, one measurement (decode, threshold at 0.5, count 26-connected pieces):

* ``whole_latents``: the training latents the diffusion prior is fitted on, less
  the few the decoder itself breaks (chairs / tables: 8 / 9 %). A prior fitted on
  them samples fewer blends of broken shapes.
* ``fit_wholeness_critic``: the prior's own samples, labelled, teach a small MLP
  (:class:`voxstudio.models.latent_diffusion.WholenessCritic`) where in the latent
  space the decoder falls apart; its gradient then guides the prior's ODE.
* ``fit_guiding_critic``: that fit done in rounds. Guided samples land where the
  first critic saw few examples, and there it is wrong (chairs guided at 8: 90 %
  whole, where the critic promised more); labelling the guided samples too and
  refitting on both sets teaches it the region it guides into.
* ``calibrate_class_guidance``: how hard to guide each class. Guidance trades
  variety for wholeness (tables guided at 16 instead of 8: COV 38 -> 29 %), and
  most classes are whole with little of it, so each class gets the smallest scale
  at which its guided samples are whole often enough.

Cost on a 2-core CPU: ~20 s per 3000 latents of a class (decoder + labelling).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from voxstudio.models.gan import Generator
from voxstudio.models.latent_diffusion import LatentDiffusionPrior, WholenessCritic
from voxstudio.training.diffusion_prior import optimise
from voxstudio.training.gan_metrics import is_one_piece

CRITIC_SAMPLES_PER_CLASS = 3000
CRITIC_WIDTH = 256
CRITIC_STEPS = 4000  # ~1 min on 2 cores
#: Gaussian noise (in the prior's normalised units) added to the critic's inputs while it learns:
#: its gradient is followed off the sampled points, so it must be smooth between them. Measured
#: (guided ODE at scale 6, 120 per class): noise 0.05 -> held-out loss 0.85-0.96 (overconfident),
#: chairs 80-93 % one piece from one fit to the next; 0.5 -> held-out loss 0.26, chairs 87 %.
_INPUT_NOISE = 0.5
#: Decoupled weight decay keeps the critic smooth; without it guidance drew fewer whole chairs
#: (ODE, guidance 6: 82 % against 93 %).
_WEIGHT_DECAY = 1e-4
#: Labelling rounds of :func:`fit_guiding_critic`. Measured (guided ODE at 8, `evaluate gan`'s
#: 120 seeds per class): one round -> chairs 85 %, desks 91 %, tables 98 %, COV 35 % on tables;
#: two rounds -> all classes 98.0 % (chairs 92.5, desks 97.5, tables 96.7), COV 51.7 % (tables 38 %).
CRITIC_ROUNDS = 2
#: Scales :func:`calibrate_class_guidance` tries, in order, and the share of fresh guided samples
#: a class must draw whole at one to stop there. The one-step student draws a few points fewer whole
#: shapes than the ODE it is distilled from, hence a target above the 90 % each class must reach.
#: Measured on the guided ODE (`evaluate gan`'s seeds, critic of two rounds): target 0.95 -> chairs,
#: desks, tables at 12, night stands at 8, the rest at 2: 98.8 % whole, COV 51.5 %; target 0.96 ->
#: chairs, desks, tables at 16, night stands at 12: 98.5 %, COV 50.4 %; every class at 8: 98.0 %, 51.7 %.
GUIDANCE_SCALES = (2.0, 4.0, 6.0, 8.0, 12.0, 16.0)
GUIDANCE_TARGET = 0.95
#: Guided samples per class and scale that calibration decodes (~5 s per 400 on 2 cores).
GUIDANCE_SAMPLES = 400
#: A class keeps all its latents when fewer than this many decode whole (too few to fit a prior on).
_MIN_WHOLE = 32


def decodes_whole(generator: Generator, latents: Tensor, class_id: int, batch_size: int = 200) -> np.ndarray:
    """Whether each decoder latent ``(N, D)`` of class ``class_id`` decodes to one piece at 0.5: ``(N,)`` bool."""
    device = generator.project.weight.device
    whole: list[bool] = []
    with torch.inference_mode():
        for first in range(0, len(latents), batch_size):
            z = latents[first:first + batch_size].to(device=device, dtype=torch.float32)
            y = torch.full((len(z),), class_id, dtype=torch.long, device=device)
            grids = (generator.decode(z, y) > 0).cpu().numpy()  # logit > 0 <=> probability > 0.5
            whole.extend(is_one_piece(g) for g in grids)
    return np.asarray(whole, dtype=bool)


def whole_latents(generator: Generator, latents_by_class: Sequence[Tensor],
                  log: Callable[[str], None] | None = None) -> list[Tensor]:
    """Each class's latents that decode in one piece (all of them where fewer than a handful do)."""
    kept = []
    for class_id, latents in enumerate(latents_by_class):
        whole = torch.from_numpy(decodes_whole(generator, latents, class_id))
        keep = bool(whole.sum() >= _MIN_WHOLE)
        kept.append(latents[whole.to(latents.device)] if keep else latents)
        if log is not None:
            log(f"class {class_id}: {int(whole.sum())} of {len(latents)} training latents decode whole"
                + ("" if keep else " (too few: keeping all)"))
    return kept


def label_prior_samples(prior: LatentDiffusionPrior, generator: Generator, per_class: int, seed: int = 0,
                        log: Callable[[str], None] | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """``per_class`` ODE samples of every class: (normalised latents, class ids, 1.0 where they decode whole)."""
    device = prior.class_mean.device
    gen = torch.Generator(device=device).manual_seed(seed)
    xs, ys, labels = [], [], []
    with torch.inference_mode():
        for class_id in range(prior.config.num_classes):
            e = torch.randn(per_class, prior.config.latent_dim, generator=gen, device=device)
            y = torch.full((per_class,), class_id, dtype=torch.long, device=device)
            x = torch.cat([prior._ode(e[i:i + 1000], y[i:i + 1000], prior._times(device))
                           for i in range(0, per_class, 1000)])
            whole = decodes_whole(generator, prior.denormalise(x, y), class_id)
            xs.append(x)
            ys.append(y)
            labels.append(torch.from_numpy(whole).float().to(device))
            if log is not None:
                log(f"class {class_id}: {100 * whole.mean():.1f} % of {per_class} prior samples decode whole")
    return torch.cat(xs), torch.cat(ys), torch.cat(labels)


def fit_guiding_critic(
    prior: LatentDiffusionPrior, generator: Generator, per_class: int, guidance: float,
    rounds: int = CRITIC_ROUNDS, steps: int = CRITIC_STEPS, log: Callable[[str], None] | None = None,
) -> WholenessCritic:
    """Fit the wholeness critic in ``rounds`` and attach it to ``prior`` at scale ``guidance``.

    Round 1 labels the unguided ODE's samples. Each later round labels ``per_class``
    samples of the ODE guided by the critic so far (a fresh seed) and refits on all
    the labels gathered, so the critic learns the region its own guidance leads to.
    """
    if rounds < 1 or guidance <= 0:
        raise ValueError(f"need rounds >= 1 and guidance > 0, got {rounds} and {guidance}")
    batches: list[tuple[Tensor, Tensor, Tensor]] = []
    critic: WholenessCritic | None = None
    for round_index in range(rounds):
        if log is not None:
            how = "unguided" if critic is None else f"guided at {guidance:g}"
            log(f"critic round {round_index + 1}/{rounds}: labelling {per_class} {how} prior samples per class")
        batches.append(label_prior_samples(prior, generator, per_class, seed=round_index, log=log))
        x, y, whole = (torch.cat(parts) for parts in zip(*batches))
        critic = fit_wholeness_critic(x, y, whole, prior.config.num_classes, steps=steps, log=log)
        prior.attach_critic(critic, guidance)
    assert critic is not None
    return critic


def calibrate_class_guidance(
    prior: LatentDiffusionPrior, generator: Generator, scales: Sequence[float] = GUIDANCE_SCALES,
    target: float = GUIDANCE_TARGET, per_class: int = GUIDANCE_SAMPLES, seed: int = 1000,
    log: Callable[[str], None] | None = None,
) -> list[float]:
    """Per class, the smallest of ``scales`` whose guided ODE draws ``target`` of ``per_class`` samples whole.

    A class that reaches ``target`` at no scale gets the scale that drew the most
    whole. ``prior`` must carry its critic; its config is left as it was. The
    samples use their own seed, apart from the labels the critic learnt from.
    """
    if prior.critic is None or not scales or min(scales) <= 0:
        raise ValueError("calibration needs a prior with a critic and positive scales")
    device = prior.class_mean.device
    original = prior.config
    chosen: list[float] = []
    try:
        for class_id in range(original.num_classes):
            gen = torch.Generator(device=device).manual_seed(seed + class_id)
            e = torch.randn(per_class, original.latent_dim, generator=gen, device=device)
            y = torch.full((per_class,), class_id, dtype=torch.long, device=device)
            shares: dict[float, float] = {}
            for scale in sorted(float(s) for s in scales):
                prior.config = dataclasses.replace(original, guidance=scale, class_guidance=())
                with torch.inference_mode():
                    latents = prior.sample_ode(e, y)
                shares[scale] = float(decodes_whole(generator, latents, class_id).mean())
                if shares[scale] >= target:
                    break
            best = next((s for s, share in shares.items() if share >= target), max(shares, key=shares.__getitem__))
            chosen.append(best)
            if log is not None:
                tried = ", ".join(f"{s:g}: {100 * share:.1f} %" for s, share in shares.items())
                log(f"class {class_id}: guidance {best:g} (whole at {tried})")
    finally:
        prior.config = original
    return chosen


def fit_wholeness_critic(
    x: Tensor, y: Tensor, whole: Tensor, num_classes: int, width: int = CRITIC_WIDTH, steps: int = CRITIC_STEPS,
    batch_size: int = 512, lr: float = 1e-3, seed: int = 0, log: Callable[[str], None] | None = None,
) -> WholenessCritic:
    """A :class:`WholenessCritic` fitted by logistic loss on labelled normalised latents; in eval mode, frozen."""
    if len(x) != len(y) or len(x) != len(whole) or len(x) == 0:
        raise ValueError(f"need as many latents, classes and labels (>= 1), got {len(x)}, {len(y)}, {len(whole)}")
    torch.manual_seed(seed)
    device = x.device
    critic = WholenessCritic(x.shape[1], num_classes, width).to(device).train()
    gen = torch.Generator(device=device).manual_seed(seed)
    x, y, whole = x.detach().clone(), y.detach().clone(), whole.detach().clone()  # out of inference mode

    def batch_loss() -> Tensor:
        index = torch.randint(0, len(x), (batch_size,), generator=gen, device=device)
        noisy = x[index] + _INPUT_NOISE * torch.randn(x[index].shape, generator=gen, device=device)
        return F.binary_cross_entropy_with_logits(critic(noisy, y[index]), whole[index])

    optimise(list(critic.parameters()), batch_loss, steps, lr, "critic", time.perf_counter(), log, max(1, steps // 4),
             weight_decay=_WEIGHT_DECAY)
    critic.eval()
    for p in critic.parameters():
        p.requires_grad_(False)
    return critic
