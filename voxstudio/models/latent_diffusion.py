"""A per-class latent diffusion prior: standard-normal input latents -> decoder latents by an ODE.

Why: the decoder draws whole shapes wherever *real* shapes encode, not only at the
training latents. Measured on the 9000-step decoder (posterior means of 120 shapes
per class, one piece): training chairs / tables 96 / 91 %, **test** chairs / tables,
new shapes it never saw, 91 / 90 %. The test shapes' latents lie as far from their
nearest training latent as training latents lie from each other (chairs 4.8 vs 4.5),
but samples of the Gaussian-mixture prior lie further out (6.5), off the thin sheet
the shapes span in the 128-D space (97 % of a class's variance lies in 32
directions). A Gaussian puts mass in every direction; there the decoder blends
styles into fragments (mixture samples: chairs 41 %, tables 42 % one piece).

A small diffusion model learns that sheet, as in LION (Zeng et al. 2022) and
latent diffusion generally: an MLP trained on the encoded training set to predict
``v`` (Salimans & Ho 2022) under a cosine noise schedule. Sampling runs the
deterministic DDIM / probability-flow ODE from ``t = 1`` to ``0``, so one
standard-normal input latent always gives the same decoder latent: seeds, slerp,
random walks and history keep working, and the map is invertible (the same ODE
run backwards, :meth:`LatentDiffusionPrior.invert`), which sliders and the
inversion's encoder start need.

Everything is per class: the class embedding conditions the network, and each
class's latents are centred and scaled by one number (total variance ``D``)
before the diffusion. A full whitening was tried and failed: the weakest of the
128 directions carry almost no variance, and whitening blows them up into noise
that hides the sheet (the network then learnt nothing beyond a Gaussian).

The ODE alone still blends styles the decoder cannot join: it draws 92 / 91 % of
the training chairs / tables whole, but only ~71 / 73 % of the prior's samples.
Two remedies, both measured on what the decoder does: the prior is fitted only on
training latents that decode whole, and a small :class:`WholenessCritic`, fitted on
the prior's own samples labelled by decoding them, guides the forward ODE toward
latents it predicts to decode in one piece (classifier guidance). The student is
distilled from the guided ODE, so the GUI still pays one network call per frame.

Sliders move the *decoder* latent, in the class's whitened frame
(``class_chol``, used by ``Generator.slider_step``), added after the map. A straight line
there carries style switches (a chair's backrest, a table's pedestal) that the
map bends out of straight lines in the input latent; and the frame costs no
inversion per frame, so a slider drag is one student call and one decode.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: State-dict prefix of the prior inside the generator's weights.
DIFFUSION_PREFIX = "latent_diffusion."
# Cosine schedule offset (Nichol & Dhariwal 2021): keeps abar(0) just below 1.
_SCHEDULE_OFFSET = 0.008
_TIME_FEATURES = 32


@dataclass(frozen=True)
class DiffusionPriorConfig:
    """Size of the prior's network and its ODE; stored in ``gan.json`` under ``latent_prior.network``."""

    latent_dim: int
    num_classes: int
    width: int = 512
    depth: int = 4
    #: ODE steps from noise to latent (and back). 20 draw as many whole shapes as 50 (measured:
    #: chairs / tables / desks 74 / 68 / 83 % against 71 / 71 / 77 %, 120 each) at 2/5 of the
    #: cost; the inverse is coarser (a round trip misses by ~12 % of the class's spread against
    #: ~6 %), which only the inversion's start and the slider fit use. Without a student the GUI
    #: pays the guided forward ODE (30 ms on 2 cores) for each new input latent: each seed, each
    #: frame of a random walk or interpolation (a slider drag keeps the prior's answer).
    sample_steps: int = 20
    #: 1: :meth:`LatentDiffusionPrior.sample` runs a one-step student distilled from the ODE
    #: (:func:`voxstudio.training.diffusion_prior.distil_one_step`) instead of the ODE.
    one_step: int = 0
    #: With a student: re-noise its answer to this time with the input latent itself as the noise
    #: (SDEdit, Meng et al. 2022, made deterministic) and finish with ``refine_steps`` ODE steps of
    #: the teacher. 0 steps: the student's answer as it is.
    refine_from: float = 0.7
    refine_steps: int = 0
    #: Width of the :class:`WholenessCritic` that guides the ODE (0: none) and the guidance scale:
    #: each forward step moves the ODE's clean estimate by ``guidance`` times the gradient of the
    #: critic's log-probability that the decoder draws it in one piece.
    critic_width: int = 0
    guidance: float = 0.0
    #: Per-class guidance scales (one per class) that replace ``guidance`` where given: guidance
    #: buys whole shapes with variety, so each class gets only as much as it needs
    #: (:func:`voxstudio.training.wholeness_critic.calibrate_class_guidance`). Empty: ``guidance``.
    class_guidance: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_guidance", tuple(float(v) for v in self.class_guidance))
        if self.one_step not in (0, 1):
            raise ValueError(f"one_step must be 0 or 1, got {self.one_step}")
        if not 0.0 < self.refine_from <= 1.0 or self.refine_steps < 0:
            raise ValueError(f"refine_from must be in (0, 1] and refine_steps >= 0, got {self}")
        if self.critic_width < 0 or min((self.guidance, *self.class_guidance)) < 0 or (self.guides and not self.critic_width):
            raise ValueError(f"guidance needs a critic (critic_width >= 1) and must be >= 0, got {self}")
        if self.class_guidance and len(self.class_guidance) != self.num_classes:
            raise ValueError(f"class_guidance needs one scale per class ({self.num_classes}), "
                             f"got {len(self.class_guidance)}")
        if min(self.latent_dim, self.num_classes, self.width, self.depth, self.sample_steps) < 1:
            raise ValueError(f"every size of the diffusion prior must be >= 1, got {self}")

    @property
    def guides(self) -> bool:
        """Whether any class's forward ODE is guided."""
        return max((self.guidance, *self.class_guidance)) > 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["class_guidance"] = list(self.class_guidance)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiffusionPriorConfig:
        values: dict[str, Any] = {k: _FIELD_TYPES.get(k, int)(v) for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**values)


_FIELD_TYPES: dict[str, Callable[[Any], Any]] = {
    "refine_from": float, "guidance": float, "class_guidance": lambda v: tuple(float(x) for x in v)}
# Ridge added to each class's latent covariance before its Cholesky factor is taken, relative to
# the average variance: ~800 latents in 128 dimensions leave the weakest directions near zero,
# which whitening would blow up into noise that the slider fit then leans on.
_SLIDER_FRAME_RIDGE = 1e-2


def alpha_bar(t: Tensor) -> Tensor:
    """Signal fraction ``abar(t)`` of the cosine schedule, ``t`` in ``[0, 1]`` (1 at 0, 0 at 1)."""
    return torch.cos((t + _SCHEDULE_OFFSET) / (1 + _SCHEDULE_OFFSET) * math.pi / 2).pow(2).clamp(0.0, 1.0)


class _ResidualBlock(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                  nn.Linear(width, width))

    def forward(self, h: Tensor) -> Tensor:
        return h + self.body(h)


class _ConditionedMlp(nn.Module):
    """``inp(x) + condition`` through residual blocks to ``out``: the trunk of the teacher and the student.

    The layers are attributes of the module itself (not a submodule), so the shipped
    state-dict keys (``inp.*``, ``class_embed.*``, ``blocks.*``, ``out.*``) are the same
    for both networks. ``zero_head``: start predicting 0 (the teacher's ``v``).
    """

    def __init__(self, latent_dim: int, num_classes: int, width: int, depth: int, zero_head: bool) -> None:
        super().__init__()
        self.inp = nn.Linear(latent_dim, width)
        self.class_embed = nn.Embedding(num_classes, width)
        self.blocks = nn.Sequential(*(_ResidualBlock(width) for _ in range(depth)))
        head = nn.Linear(width, latent_dim)
        if zero_head:
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
        self.out = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), head)

    def _trunk(self, x: Tensor, condition: Tensor) -> Tensor:
        out: Tensor = self.out(self.blocks(self.inp(x) + condition))
        return out


class OneStepMap(_ConditionedMlp):
    """The student: ``(e, class) -> normalised latent`` in one pass of an MLP like the teacher's.

    Why: at batch 1 (a slider frame) the ODE's 20 network calls cost ~20-35 ms on
    one CPU thread, three times the decoder. Regressing the ODE's end points on
    its start points (Luhman & Luhman 2021, "knowledge distillation in iterative
    generative models") gives the same map in one call.
    """

    def __init__(self, latent_dim: int, num_classes: int, width: int, depth: int) -> None:
        super().__init__(latent_dim, num_classes, width, depth, zero_head=False)

    def forward(self, e: Tensor, y: Tensor) -> Tensor:
        return self._trunk(e, self.class_embed(y))


class WholenessCritic(nn.Module):
    """``(normalised decoder latent, class) -> logit`` that the decoder draws it in one 26-connected piece.

    Why: the prior's samples blend styles the decoder cannot join (20-step ODE, 3000
    per class: chairs / tables 71 / 73 % one piece) although it draws 92 / 91 % of the
    training latents whole. Fitted on the prior's own samples labelled by decoding
    them (:func:`voxstudio.training.wholeness_critic.fit_wholeness_critic`), its
    gradient guides the ODE away from the latents that fall apart -- classifier
    guidance (Dhariwal & Nichol 2021) with a latent-space classifier of what the
    decoder does, so no decoder runs while sampling.
    """

    def __init__(self, latent_dim: int, num_classes: int, width: int) -> None:
        super().__init__()
        self.inp = nn.Linear(latent_dim, width)
        self.class_embed = nn.Embedding(num_classes, width)
        # A plain SiLU MLP, no LayerNorm: with the trunk's normalised residual blocks the critic
        # classified as well (held-out AUC 0.90) but its gradient guided worse (ODE, guidance 6:
        # chairs / tables 79 / 62 % one piece against 93 / 97 %).
        self.body = nn.Sequential(nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                  nn.Linear(width, 1))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        out: Tensor = self.body(self.inp(x) + self.class_embed(y)).squeeze(-1)
        return out


class LatentDiffusionPrior(_ConditionedMlp):
    """``v``-prediction MLP over class-normalised latents, with the deterministic ODE both ways."""

    class_mean: Tensor
    class_scale: Tensor
    class_chol: Tensor
    _frequencies: Tensor

    def __init__(self, config: DiffusionPriorConfig) -> None:
        d, c, w = config.latent_dim, config.num_classes, config.width
        # Zero output: an untrained prior predicts v = 0, i.e. "the data is the class mean".
        super().__init__(d, c, w, config.depth, zero_head=True)
        self.config = config
        self.time_embed = nn.Sequential(nn.Linear(2 * _TIME_FEATURES, w), nn.SiLU(), nn.Linear(w, w))
        self.register_buffer("class_mean", torch.zeros(c, d))
        self.register_buffer("class_scale", torch.ones(c))
        # The sliders' frame (Generator.slider_step): the Cholesky factor L_c of each class's latent
        # covariance. A slider direction fitted by regression in these whitened coordinates moves the
        # decoder latent along the attribute's covariance with the latents, i.e. within the sheet the
        # class's shapes span, and one unit is one standard deviation of the spread along it. (In the
        # prior's own centred, scaled frame the regression's direction leans on the weakest
        # directions, off the sheet.)
        self.register_buffer("class_chol", torch.eye(d).repeat(c, 1, 1))
        frequencies = torch.exp(-math.log(1000.0) * torch.arange(_TIME_FEATURES) / _TIME_FEATURES) * 1000.0
        self.register_buffer("_frequencies", frequencies, persistent=False)
        self.student = OneStepMap(d, c, w, config.depth) if config.one_step else None
        self.critic = WholenessCritic(d, c, config.critic_width) if config.critic_width else None

    def attach_critic(self, critic: WholenessCritic, guidance: float | Sequence[float]) -> None:
        """Guide the forward ODE by ``critic`` at scale ``guidance``, one for all classes or one per class.

        (What a student is then distilled from.)
        """
        width = critic.inp.out_features
        if isinstance(guidance, (int, float)):
            scales: dict[str, Any] = {"guidance": float(guidance), "class_guidance": ()}
        else:
            per_class = tuple(float(v) for v in guidance)
            scales = {"guidance": max(per_class, default=0.0), "class_guidance": per_class}
        self.config = dataclasses.replace(self.config, critic_width=width, **scales)
        self.critic = critic.to(self.class_mean.device)

    def guidance_scales(self, y: Tensor) -> Tensor:
        """The guidance scale of each sample's class ``(B, 1)``."""
        if not self.config.class_guidance:
            return torch.full((len(y), 1), self.config.guidance, device=y.device)
        return torch.tensor(self.config.class_guidance, device=y.device)[y, None]

    # ------------------------------------------------------------------ normalisation

    def set_frame(self, latents_by_class: list[Tensor]) -> None:
        """Fit the per-class mean and scale to encoded latents (one ``(N_c, D)`` per class)."""
        d = self.config.latent_dim
        if len(latents_by_class) != self.config.num_classes:
            raise ValueError(f"need latents for {self.config.num_classes} classes, got {len(latents_by_class)}")
        for c, latents in enumerate(latents_by_class):
            x = torch.as_tensor(latents, dtype=torch.float64)
            if x.dim() != 2 or x.shape[1] != d or x.shape[0] < 2:
                raise ValueError(f"class {c}: need (N >= 2, {d}) latents, got {tuple(x.shape)}")
            mean = x.mean(0)
            self.class_mean[c] = mean.float()
            self.class_scale[c] = float((x - mean).pow(2).sum(1).mean().div(d).sqrt().clamp_min(1e-6))
            covariance = torch.cov(x.T).reshape(d, d)
            ridge = _SLIDER_FRAME_RIDGE * float(covariance.trace()) / d + 1e-12
            self.class_chol[c] = torch.linalg.cholesky(covariance + ridge * torch.eye(d, dtype=x.dtype)).float()

    def normalise(self, z: Tensor, y: Tensor) -> Tensor:
        """Decoder latents -> the diffusion's space (class-centred, unit average variance)."""
        return (z - self.class_mean[y]) / self.class_scale[y, None]

    def denormalise(self, x: Tensor, y: Tensor) -> Tensor:
        """Inverse of :meth:`normalise`."""
        return self.class_mean[y] + x * self.class_scale[y, None]

    # ------------------------------------------------------------------ network and ODE

    def forward(self, x: Tensor, t: Tensor, y: Tensor) -> Tensor:
        """Predicted ``v = sqrt(abar) eps - sqrt(1 - abar) x0`` for noisy ``x (B, D)`` at times ``t (B,)``."""
        return self._trunk(x, self.class_embed(y) + self._time_features(t))

    def _time_features(self, t: Tensor) -> Tensor:
        angles = t[:, None] * self._frequencies
        out: Tensor = self.time_embed(torch.cat([angles.sin(), angles.cos()], 1))
        return out

    def _ode(self, x: Tensor, y: Tensor, times: Tensor) -> Tensor:
        """DDIM (probability-flow) steps along ``times``, either direction.

        DPM-Solver++(2M), second order at the same cost, was tried: its samples were
        as whole and its round trips coarser (test chairs, 20 steps: 15 % of the
        class's spread against DDIM's 12 %). The class and time embeddings and the
        step coefficients are computed once per call, not per step: at batch 1 the
        per-step cost is the handful of matrix products (~0.7 ms at width 512).
        """
        signal = alpha_bar(times).tolist()
        time_features = self._time_features(times)
        class_features = self.class_embed(y)
        guide = self.critic is not None and self.config.guides and signal[-1] > signal[0]
        for i in range(len(signal) - 1):
            a_now, a_next = signal[i], signal[i + 1]
            v = self._trunk(x, class_features + time_features[i])
            x0 = math.sqrt(a_now) * x - math.sqrt(1 - a_now) * v
            if guide:  # move the clean estimate, then take the noise that is consistent with it
                x0 = self._guided(x0, y)
                eps = (x - math.sqrt(a_now) * x0) / math.sqrt(1 - a_now)
            else:
                eps = math.sqrt(1 - a_now) * x + math.sqrt(a_now) * v
            x = math.sqrt(a_next) * x0 + math.sqrt(1 - a_next) * eps
        return x

    def _guided(self, x0: Tensor, y: Tensor) -> Tensor:
        """``x0`` moved up the gradient of the critic's log-probability of one piece (scaled per class).

        Runs under ``inference_mode`` callers too: the gradient is taken on detached copies.
        """
        assert self.critic is not None
        with torch.inference_mode(False), torch.enable_grad():
            x = x0.detach().clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(F.logsigmoid(self.critic(x, y.clone())).sum(), x)
        return x0 + self.guidance_scales(y).to(x0.dtype) * grad

    def _times(self, device: torch.device) -> Tensor:
        return torch.linspace(1.0, 0.0, self.config.sample_steps + 1, device=device)

    def sample(self, e: Tensor, y: Tensor) -> Tensor:
        """Decoder latents for standard-normal input latents ``e (B, D)`` of classes ``y (B,)``.

        The student's answer (refined when ``refine_steps`` says so), or the ODE without one.
        """
        if self.student is None:
            return self.sample_ode(e, y)
        x = self.student(e, y)
        if self.config.refine_steps:
            t0 = self.config.refine_from
            a = float(alpha_bar(torch.tensor(t0)))
            x = math.sqrt(a) * x + math.sqrt(1 - a) * e
            times = torch.linspace(t0, 0.0, self.config.refine_steps + 1, device=e.device)
            x = self._ode(x, y, times)
        return self.denormalise(x, y)

    def sample_ode(self, e: Tensor, y: Tensor) -> Tensor:
        """Decoder latents by the ODE itself (the teacher, with or without a student)."""
        return self.denormalise(self._ode(e, y, self._times(e.device)), y)

    def invert(self, z: Tensor, y: Tensor) -> Tensor:
        """Input latents whose :meth:`sample` is (nearly) ``z``: the ODE run from ``t = 0`` to ``1``.

        The student has no inverse; the teacher's serves (its round trip misses by a
        little more), which is enough for what inverts: the start of latent inversion.
        """
        return self._ode(self.normalise(z, y), y, self._times(z.device).flip(0))

    def training_loss(self, z0: Tensor, y: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The ``v``-prediction loss on a batch of decoder latents (uniform times, fresh noise)."""
        x0 = self.normalise(z0, y)
        t = torch.rand(len(x0), generator=generator, device=x0.device)
        eps = torch.randn(x0.shape, generator=generator, device=x0.device)
        a = alpha_bar(t)[:, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        target = a.sqrt() * eps - (1 - a).sqrt() * x0
        return (self(xt, t, y) - target).pow(2).mean()
