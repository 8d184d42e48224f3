"""GAN TrainTask for :func:`voxstudio.training.loop.fit`.

Recipe: a class-conditional **3D-VAE-GAN** (Wu et al. 2016), because a pure
GAN does not converge in the ~2000 steps a shared 2-core CPU affords in 40
minutes (measured: after 400 steps it still drew one z-independent blob).

* Generator (+ class-conditional encoder) step: BCE reconstruction of the real
  batch from encoded latents, beta * KL to N(0, I), plus a small hinge
  adversarial term on prior samples that sharpens the VAE's blur. All in
  per-voxel units. beta is 10 for the first 700 steps (keeps encoded latents
  spread over the prior, so prior samples decode to furniture, not garbage; the
  classes form quickly) and 3 afterwards (with beta 10 throughout, z was nearly
  ignored: every latent gave the same chair).
* Discriminator: spectral-norm projection critic, hinge loss, real batch vs
  prior samples of the same classes.
* Adam (0.5, 0.999), G/E 5e-4, D 2e-4 (the reconstruction term tolerates the
  faster generator rate), one D step per G step.
* EMA copy of the generator (decay 0.999 with warm-up) for all sampling.
* DiffAugment-style random x/y translation applied identically to real and fake
  batches before the discriminator (keeps D from memorising a few thousand
  shapes; z is left alone so "standing on the ground" stays a learnable cue).
* ``recon_weight=0`` gives the plain hinge GAN (no encoder).

Every ``preview_every`` steps and at each epoch end a per-class sample grid
PNG (one row per class, fixed latents, so steps are comparable) goes to
``<run>/samples/``; ``evaluate`` also computes COV / MMD / 1-NNA on a small
held-out set. ``export_weights`` writes ``gan.safetensors`` (EMA generator,
encoder, latent slider directions and scales) and ``gan.json``.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from voxstudio.core.errors import WeightsError
from voxstudio.core.iou import batch_iou
from voxstudio.core.previews import save_sample_grid
from voxstudio.models.gan import (
    PRIOR_BUFFERS,
    GANConfig,
    build_discriminator,
    build_encoder,
    build_generator,
    d_hinge_loss,
    ema_decay,
    g_hinge_loss,
    kl_divergence,
    make_ema,
    update_ema,
)
from voxstudio.models.latent import export_directions
from voxstudio.models.weights import (
    DIRECTIONS_KEY,
    ENCODER_PREFIX,
    GAN_STEM,
    SCALES_KEY,
    generator_state,
    load_into,
    load_weights,
    save_weights,
)
from voxstudio.training.gan_metrics import evaluate_generator
from voxstudio.training.latent_prior import DEFAULT_COMPONENTS, encode_by_class, encode_shapes, fit_class_mixtures

if TYPE_CHECKING:
    from voxstudio.data.dataset import VoxelDataset

#: Slider directions exported with the weights.
NUM_DIRECTIONS = 8
#: ``voxstudio train gan`` defaults, sized for ~40 minutes on a shared 2-core CPU
#: with the 12-class procedural set (5760 shapes -> 360 steps per epoch).
DEFAULT_EPOCHS = 6
DEFAULT_BATCH_SIZE = 16


@dataclass
class GANTrainConfig:
    """Optimisation hyper-parameters; recorded in ``gan.json``."""

    lr_g: float = 5e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    ema_max_decay: float = 0.999
    translate: int = 2  # max |shift| in voxels for x/y DiffAugment translation (0 = off)
    # 3D-VAE-GAN terms, in per-voxel units. recon_weight 0 = pure GAN (no encoder).
    recon_weight: float = 1.0  # BCE of reconstructions of training shapes
    # beta > 1 keeps encoded latents spread over the prior (no "holes" where
    # prior samples would decode to garbage); the adversarial term then sharpens
    # what the blurrier beta-VAE decoder produces.
    kl_weight: float = 2.0  # beta of the VAE KL term (1.0 = ELBO) after the warm-up
    kl_warmup_weight: float = 10.0  # beta for the first kl_warmup_steps: organise z, match the prior
    kl_warmup_steps: int = 700  # then relax to kl_weight so z carries more within-class detail
    adv_weight: float = 0.1  # hinge generator loss on prior samples (0 with an encoder: a plain VAE, no critic step)
    # Occupied voxels weigh this much more in the reconstruction BCE (Brock et al.
    # 2016): the decoder then fills a voxel once it is occupied in >= 1/(1+w) of
    # the shapes that could be there, so thin, uncertain parts (legs, posts,
    # stands) stay above 0.5 instead of fading into floating fragments.
    pos_weight: float = 3.0
    # Occupied voxels of thin parts (those a 3x3x3 morphological opening removes: legs,
    # posts, slats, one-voxel panels) weigh this much more again. A uniform pos_weight
    # also thickens bulky parts; this targets the parts whose loss splits a shape into
    # pieces (a chair seat floating over its legs). 0 = off.
    thin_weight: float = 0.0
    # Keep the encoder as it is (fine-tuning): the latents the exported prior is fitted on then
    # stay where the generator learnt to decode them (no drift between prior refits).
    freeze_encoder: bool = False
    # One Gaussian per class for the ex-post latent density (else one for all).
    class_prior: bool = True
    prior_refit_every: int = 480  # refit the per-class Gaussians on encoded training shapes every N steps
    prior_refit_per_class: int = 160  # shapes per class for those refits (the export uses all)
    prior_temperature: float = 1.0  # scale of the exported latent spread (< 1: fewer odd samples, less variety)
    # Gaussians per class in the exported latent prior (training/latent_prior.py); 1 = one Gaussian
    # (an affine map), > 1 = a mixture, whose samples stay inside the style clouds of a class.
    prior_components: int = DEFAULT_COMPONENTS
    bf16: bool = True  # bfloat16 autocast on CPU (about 1.4x faster here); CUDA runs in float32
    samples_per_class: int = 6  # columns of the per-epoch PNG
    eval_per_class: int = 32  # reference shapes per class for per-epoch metrics (0 = off)
    posterior_decay: float = 0.995  # running estimate of the encoded training set's Gaussian
    posterior_prior_after: int = 1000  # from this step, draw "prior" samples from that Gaussian (-1 = never)
    preview_every: int = 100  # also write a sample grid every N steps (0 = only at epoch ends)
    direction_samples: int = 1024  # generated shapes for the slider-direction PCA at export
    calibration_samples: int = 64  # latents per direction for slider-scale calibration (0 = no calibration)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def thin_parts(occupancy: Tensor) -> Tensor:
    """1.0 where ``(B, R, R, R)`` occupancy is thin: occupied voxels a 3x3x3 opening removes.

    Opening (erosion then dilation) keeps every voxel of a part at least three
    voxels thick in all directions; what it removes are legs, posts, rails and
    one-voxel panels: the parts whose loss breaks a shape apart. Max-pooling
    does both steps, so this costs two pooling passes on the batch.
    """
    occ = occupancy.unsqueeze(1).float()
    eroded = -nn.functional.max_pool3d(-occ, 3, stride=1, padding=1)
    opened = nn.functional.max_pool3d(eroded, 3, stride=1, padding=1)
    return (occ - opened).clamp_(min=0.0).squeeze(1)


def translate_xy(x: Tensor, max_shift: int, generator: torch.Generator | None = None) -> Tensor:
    """Shift each grid of ``(B, R, R, R)`` by its own random integer x/y offset.

    Zero padding, no wrap-around; implemented with one gather so it is
    differentiable and has no per-sample Python loop (DiffAugment, Zhao 2020).
    """
    if max_shift <= 0:
        return x
    b, r = x.shape[0], x.shape[1]
    shifts = torch.randint(-max_shift, max_shift + 1, (2, b), generator=generator).to(x.device)
    padded = nn.functional.pad(x, (0, 0, max_shift, max_shift, max_shift, max_shift))
    base = torch.arange(r, device=x.device)
    ix = (base[None, :] + max_shift - shifts[0][:, None]).view(b, r, 1, 1)
    iy = (base[None, :] + max_shift - shifts[1][:, None]).view(b, 1, r, 1)
    iz = base.view(1, 1, 1, r)
    bi = torch.arange(b, device=x.device).view(b, 1, 1, 1)
    return padded[bi, ix, iy, iz]


class GANTask:
    """Class-conditional voxel GAN as a :class:`~voxstudio.training.loop.TrainTask`."""

    name = "gan"

    def __init__(
        self,
        classes: list[str],
        resolution: int,
        device: torch.device,
        arch: GANConfig | None = None,
        train: GANTrainConfig | None = None,
        reference: tuple[np.ndarray, np.ndarray] | None = None,
        data_info: dict[str, Any] | None = None,
        run_dir: Path | None = None,
    ) -> None:
        self.classes = list(classes)
        self.device = device
        self.arch = arch or GANConfig(num_classes=len(classes), resolution=resolution)
        if self.arch.num_classes != len(classes) or self.arch.resolution != resolution:
            raise ValueError("architecture config does not match the data set's classes / resolution")
        self.train_cfg = train or GANTrainConfig()
        # nn.Module, not Generator / Encoder: bind() swaps in DDP wrappers; _unwrap() gets the plain ones.
        self.generator: nn.Module = build_generator(self.arch).to(device)
        self.discriminator: nn.Module = build_discriminator(self.arch).to(device)
        self.ema = make_ema(self.generator)
        t = self.train_cfg
        self.encoder: nn.Module | None = build_encoder(self.arch).to(device) if t.recon_weight > 0 else None
        g_params = list(self.generator.parameters())
        if self.encoder is not None:
            g_params += list(self.encoder.parameters())
        self.opt_g = torch.optim.Adam(g_params, lr=t.lr_g, betas=(t.beta1, t.beta2))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=t.lr_d, betas=(t.beta1, t.beta2))
        self.reference = reference
        self.data_info = data_info or {}
        self.run_dir = run_dir
        self.last_metrics: dict[str, float] = {}
        # Running mean / second moment of encoded latents (aggregate posterior).
        d = self.arch.latent_dim
        self.post_mean = torch.zeros(d, dtype=torch.float64)
        self.post_moment = torch.eye(d, dtype=torch.float64)
        self.train_set: VoxelDataset | None = None  # set by build_task: exact posterior fits
        self._posterior_fitted = False
        # Per-class Gaussians (class_prior): means (C, D) and Cholesky factors (C, D, D).
        self.class_mean = torch.zeros(self.arch.num_classes, d)
        self.class_chol = torch.eye(d).repeat(self.arch.num_classes, 1, 1)
        self._class_prior_step = -1  # step of the last refit (-1: never)
        self.epochs_done = 0
        self.steps_done = 0
        self.init_weights: str | None = None  # set by start_from(): the weights this run fine-tunes
        self._started = time.time()
        fixed = torch.Generator().manual_seed(1234)
        self._fixed_z = torch.randn(t.samples_per_class, self.arch.latent_dim, generator=fixed)

    # -------------------------------------------------------------- TrainTask protocol

    def modules(self) -> dict[str, nn.Module]:
        mods: dict[str, nn.Module] = {"generator": self.generator, "discriminator": self.discriminator, "ema": self.ema}
        if self.encoder is not None:
            mods["encoder"] = self.encoder
        return mods

    def bind(self, wrapped: dict[str, nn.Module], device: torch.device) -> None:
        """Use fit()'s (possibly DDP-wrapped) modules in train_step; EMA stays raw."""
        self.device = device
        self.generator = wrapped["generator"]
        self.discriminator = wrapped["discriminator"]
        if self.encoder is not None:
            self.encoder = wrapped["encoder"]

    def extra_state(self) -> dict[str, Any]:
        return {"post_mean": self.post_mean.clone(), "post_moment": self.post_moment.clone(),
                "class_mean": self.class_mean.clone(), "class_chol": self.class_chol.clone(),
                "class_prior_step": torch.tensor(self._class_prior_step),
                # gan.json records these; a run resumed only to export (--resume --epochs N) trains no
                # step, so without them its weights would claim 0 steps.
                "steps_done": torch.tensor(self.steps_done), "epochs_done": torch.tensor(self.epochs_done)}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.post_mean = state["post_mean"].double().cpu()
        self.post_moment = state["post_moment"].double().cpu()
        self._posterior_fitted = True
        if "class_mean" in state:
            self.class_mean = state["class_mean"].float().cpu()
            self.class_chol = state["class_chol"].float().cpu()
            self._class_prior_step = int(state["class_prior_step"])
        if "steps_done" in state:
            self.steps_done = int(state["steps_done"])
            self.epochs_done = int(state["epochs_done"])

    def start_from(self, stem: str | Path) -> None:
        """Fine-tune exported weights: generator (and its EMA) and encoder from ``stem``, a fresh critic.

        Training samples decoder latents itself, so the latent prior baked into
        the exported generator is dropped (the next export fits and bakes a new one), as
        are the slider directions. The encoder is trained already, so the KL warm-up and
        the switch to posterior sampling happen at step 0 instead of later.
        """
        state, config = load_weights(stem)
        try:
            saved = GANConfig.from_dict(config["architecture"]).to_dict()
        except (KeyError, TypeError, ValueError) as error:
            raise WeightsError(stem, f"generator config is incomplete or invalid ({error})") from error
        ours = self.arch.to_dict()
        differs = sorted(k for k in ours if k != "discriminator" and saved.get(k) != ours[k])
        if differs:
            raise WeightsError(stem, "these weights are for another generator architecture or data set "
                               f"({', '.join(f'{k}: {saved.get(k)} here {ours[k]}' for k in differs)})")
        for key in (DIRECTIONS_KEY, SCALES_KEY, *PRIOR_BUFFERS):
            state.pop(key, None)
        encoder_state = {k[len(ENCODER_PREFIX):]: state.pop(k) for k in list(state) if k.startswith(ENCODER_PREFIX)}
        if self.encoder is None or not encoder_state:
            raise WeightsError(stem, "fine-tuning needs generator weights saved with their encoder")
        load_into(_unwrap(self.generator), state, stem)
        load_into(self.ema, state, stem)
        load_into(_unwrap(self.encoder), encoder_state, stem)
        self.train_cfg.kl_warmup_steps = 0
        self.train_cfg.posterior_prior_after = 0
        self.init_weights = str(stem)

    def _class_prior_active(self, step: int) -> bool:
        return self.train_cfg.class_prior and self._posterior_sampling(step) and self.train_set is not None

    def _posterior_sampling(self, step: int) -> bool:
        """Whether "prior" samples come from the encoded-set Gaussian at ``step``."""
        after = self.train_cfg.posterior_prior_after
        return self.encoder is not None and 0 <= after <= step

    def shipping_latents(self, e: Tensor, y: Tensor | None = None) -> Tensor:
        """Decoder latents for standard-normal ``e`` (of classes ``y``) under the prior training samples from.

        The running or per-class Gaussians; the export may fit a mixture instead
        (``prior_components``), which samples the same encoded set more closely.
        """
        if not self._posterior_sampling(self.steps_done):
            return e
        if self._class_prior_active(self.steps_done) and self._class_prior_step >= 0 and y is not None:
            return self._class_latents(e, y)
        mean, chol = self.posterior_gaussian()
        return mean.float().to(e.device) + e @ chol.float().to(e.device).T

    def _class_latents(self, e: Tensor, y: Tensor) -> Tensor:
        yc = y.cpu()
        mean, chol = self.class_mean[yc].to(e.device), self.class_chol[yc].to(e.device)
        return mean + torch.einsum("bij,bj->bi", chol, e.float())

    def posterior_gaussian(self) -> tuple[Tensor, Tensor]:
        """(mean, Cholesky factor) of the running Gaussian fit of encoded latents."""
        cov = self.post_moment - torch.outer(self.post_mean, self.post_mean)
        cov = 0.5 * (cov + cov.T) + 1e-4 * torch.eye(len(self.post_mean), dtype=cov.dtype)
        return self.post_mean, torch.linalg.cholesky(cov)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def train_step(self, voxels: Tensor, labels: Tensor, step: int) -> dict[str, float]:
        """One discriminator update, then one generator (+ encoder) update."""
        real = voxels.to(self.device, non_blocking=True).float()
        y = labels.to(self.device, non_blocking=True).long()
        b = real.shape[0]
        t = self.train_cfg
        latent = self.arch.latent_dim
        self.generator.train()
        self.discriminator.train()

        use_posterior = self._posterior_sampling(step)
        if use_posterior and not self._posterior_fitted and self.train_set is not None:
            # Switching to posterior sampling: start from an exact fit, not the running one.
            mean, chol = self.fit_posterior()
            self.post_mean, self.post_moment = mean.clone(), chol @ chol.T + torch.outer(mean, mean)
            self._posterior_fitted = True

        class_prior = self._class_prior_active(step)
        if class_prior and (self._class_prior_step < 0 or step - self._class_prior_step >= t.prior_refit_every):
            self.class_mean, self.class_chol = self.fit_class_posteriors(t.prior_refit_per_class, seed=step)
            self._class_prior_step = step

        def sample_latents() -> Tensor:
            e = torch.randn(b, latent, device=self.device)
            if not use_posterior:
                return e
            if class_prior:
                return self._class_latents(e, y)
            mean, chol = self.posterior_gaussian()
            return mean.float().to(self.device) + e @ chol.float().to(self.device).T

        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=t.bf16 and self.device.type == "cpu")
        # adv_weight 0 with an encoder trains a plain (beta-)VAE: no critic step and no prior
        # samples through the generator (a step of batch 16 on 2 CPU threads: 114 ms, not 479).
        adversarial = self.encoder is None or t.adv_weight > 0
        zero = torch.zeros((), device=self.device)
        real_scores = fake_scores = d_loss = zero
        if adversarial:
            # Discriminator: prior samples of the real batch's classes vs the real batch.
            with torch.no_grad(), autocast:
                fake = self.generator(sample_latents(), y).float()
            with autocast:
                real_scores = self.discriminator(translate_xy(real, t.translate), y).float()
                fake_scores = self.discriminator(translate_xy(fake, t.translate), y).float()
            d_loss = d_hinge_loss(real_scores, fake_scores)
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()

        # Generator (+ encoder): one generator call on [encoded reals; prior samples]; a plain VAE
        # decodes the encoded reals only.
        z_prior = sample_latents() if adversarial else None
        stats: dict[str, float] = {}
        with autocast:
            if self.encoder is not None:
                with torch.set_grad_enabled(not t.freeze_encoder):
                    mu, logvar = self.encoder(real, y)
                mu, logvar = mu.float(), logvar.float()
                with torch.no_grad():
                    m = mu.detach().double().cpu()
                    second = (m.T @ m) / b + torch.diag(logvar.detach().double().cpu().exp().mean(0))
                    k = t.posterior_decay
                    self.post_mean.mul_(k).add_(m.mean(0), alpha=1 - k)
                    self.post_moment.mul_(k).add_(second, alpha=1 - k)
                z_post = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
                latents, ids = (z_post, y) if z_prior is None else (torch.cat([z_post, z_prior]), torch.cat([y, y]))
                logits = self.generator(latents, ids, return_logits=True).float()
                recon_logits = logits[:b]
                # A plain VAE draws no samples: its occupancy stat is that of the reconstructions.
                fake_logits = recon_logits if z_prior is None else logits[b:]
                pos_weight = None if t.pos_weight == 1.0 else torch.tensor(t.pos_weight, device=logits.device)
                # The thin-part bonus is given as an element weight on top of pos_weight:
                # an occupied thin voxel then weighs pos_weight + thin_weight, others as before.
                weight = None if t.thin_weight <= 0 else 1.0 + (t.thin_weight / t.pos_weight) * thin_parts(real)
                recon = nn.functional.binary_cross_entropy_with_logits(recon_logits, real, weight=weight,
                                                                       pos_weight=pos_weight)
                kl = kl_divergence(mu, logvar) / real[0].numel()
                with torch.no_grad():
                    recon_iou = batch_iou(recon_logits > 0, real > 0.5)
                    stats = {"recon_bce": float(recon.detach()), "kl": float(kl.detach()) * real[0].numel(),
                             "recon_iou": float(recon_iou.mean())}
            else:
                assert z_prior is not None  # without an encoder every step is adversarial
                fake_logits = self.generator(z_prior, y, return_logits=True).float()
                recon = kl = torch.zeros((), device=self.device)
            fake = torch.sigmoid(fake_logits)
            adv = g_hinge_loss(self.discriminator(translate_xy(fake, t.translate), y).float()) if adversarial else zero
        beta = t.kl_warmup_weight if step < t.kl_warmup_steps else t.kl_weight
        g_loss = t.recon_weight * recon + beta * kl + (t.adv_weight if self.encoder is not None else 1.0) * adv
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()

        update_ema(self.ema, _unwrap(self.generator), ema_decay(step, t.ema_max_decay))
        self.steps_done = step + 1
        if self.run_dir is not None and t.preview_every and self.steps_done % t.preview_every == 0:
            self.write_sample_grid(Path(self.run_dir) / "samples" / f"step_{self.steps_done:06d}.png")
        return {
            "d_loss": float(d_loss.detach()),
            "g_adv": float(adv.detach()),
            "d_real": float(real_scores.detach().mean()),
            "d_fake": float(fake_scores.detach().mean()),
            "occupancy": float((fake.detach() > 0.5).float().mean()),
            **stats,
        }

    def evaluate(self, epoch: int) -> dict[str, float]:
        """Sample grid PNG + small-set COV/MMD/1-NNA against held-out shapes."""
        self.epochs_done = max(self.epochs_done, epoch + 1)
        ema = _unwrap(self.ema)
        if self.run_dir is not None:
            self.write_sample_grid(Path(self.run_dir) / "samples" / f"epoch_{epoch + 1:03d}.png")
        metrics: dict[str, float] = {}
        if self.reference is not None and self.train_cfg.eval_per_class > 0:
            voxels, labels = self.reference

            def generate(z: np.ndarray, ids: np.ndarray) -> np.ndarray:
                y = torch.from_numpy(ids).to(self.device)
                latents = self.shipping_latents(torch.from_numpy(z).to(self.device), y)
                return ema.sample(latents, y).cpu().numpy()

            metrics = evaluate_generator(
                generate, voxels, labels, self.arch.latent_dim, max_per_class=self.train_cfg.eval_per_class, seed=epoch
            )
        self.last_metrics = metrics
        return metrics

    def export_weights(self, out_dir: Path) -> None:
        """``gan.safetensors`` (EMA generator + slider directions) and ``gan.json``."""
        ema = copy.deepcopy(_unwrap(self.ema)).eval()
        t = self.train_cfg
        if self.encoder is not None:
            if t.class_prior and self.train_set is not None and t.prior_components > 1:
                means, transforms, cutoffs = fit_class_mixtures(self.encode_classes(), t.prior_components)
                ema.set_latent_mixture(means, t.prior_temperature * transforms, cutoffs)
            elif t.class_prior and self.train_set is not None:
                mean, chol = self.fit_class_posteriors()
                ema.set_latent_affine(mean.float(), t.prior_temperature * chol.float())
            else:
                mean, chol = self.fit_posterior()
                ema.set_latent_affine(mean.float(), t.prior_temperature * chol.float())
        directions, scales = export_directions(ema, NUM_DIRECTIONS, t.direction_samples, t.calibration_samples)
        encoder = _unwrap(self.encoder) if self.encoder is not None else None
        state = generator_state(ema, encoder, torch.from_numpy(directions), torch.from_numpy(scales))
        save_weights(Path(out_dir) / GAN_STEM, state, self.export_config())

    def fit_posterior(self, batch_size: int = 256) -> tuple[Tensor, Tensor]:
        """Gaussian fit of the encoded training set (exact when the set is known, else the running one).

        Mixture-of-posteriors moments: mean of mu, covariance of mu plus the mean
        posterior variance on the diagonal.
        """
        if self.train_set is None:
            return self.posterior_gaussian()
        voxels, labels = np.asarray(self.train_set.voxels), np.asarray(self.train_set.labels)
        mu, variance = encode_shapes(_unwrap(self.encoder), voxels, labels, batch_size)
        return _gaussian_fit(mu, variance)

    def fit_class_posteriors(self, per_class: int | None = None, seed: int = 0,
                             batch_size: int = 256) -> tuple[Tensor, Tensor]:
        """One Gaussian per class of the encoded training set: means ``(C, D)``, Cholesky factors ``(C, D, D)``.

        ``per_class`` (optional) encodes only that many random shapes per class
        (cheap refits during training); the export uses every shape.
        """
        means, chols = [], []
        for mu, variance in self.encode_classes(per_class, seed, batch_size):
            if len(mu) < 2:
                means.append(torch.zeros(self.arch.latent_dim, dtype=torch.float64))
                chols.append(torch.eye(self.arch.latent_dim, dtype=torch.float64))
                continue
            mean, chol = _gaussian_fit(mu, variance)
            means.append(mean)
            chols.append(chol)
        return torch.stack(means).float(), torch.stack(chols).float()

    def encode_classes(self, per_class: int | None = None, seed: int = 0,
                       batch_size: int = 256) -> list[tuple[Tensor, Tensor]]:
        """Posterior means and variances of the training set, one ``(mu, variance)`` pair per class.

        ``per_class`` (optional) encodes only that many random shapes per class.
        """
        if self.train_set is None:
            raise ValueError("fitting per-class posteriors needs the training set (build_task sets it)")
        voxels, labels = np.asarray(self.train_set.voxels), np.asarray(self.train_set.labels)
        return encode_by_class(_unwrap(self.encoder), voxels, labels, self.arch.num_classes, per_class, seed,
                               batch_size)

    def export_config(self) -> dict[str, Any]:
        return {
            "model": "gan",
            "architecture": self.arch.to_dict(),
            "classes": self.classes,
            "resolution": self.arch.resolution,
            "latent_dim": self.arch.latent_dim,
            "num_directions": NUM_DIRECTIONS,
            "data": self.data_info,
            "epochs": self.epochs_done,
            "steps": self.steps_done,
            "training": self.train_cfg.to_dict(),
            **({"init_weights": self.init_weights} if self.init_weights else {}),
            "metrics": self.last_metrics,
            "parameters": {
                "generator": sum(p.numel() for p in self.ema.parameters()),
                "discriminator": sum(p.numel() for p in _unwrap(self.discriminator).parameters()),
            },
        }

    # -------------------------------------------------------------- previews

    def write_sample_grid(self, path: Path) -> Path:
        """One row per class, ``samples_per_class`` fixed latents per row, EMA generator."""
        ema = _unwrap(self.ema)
        n = self._fixed_z.shape[0]
        num_classes = len(self.classes)
        y = torch.arange(num_classes, device=self.device).repeat_interleave(n)
        z = self.shipping_latents(self._fixed_z.repeat(num_classes, 1).to(self.device), y)
        grids = ema.sample(z, y).cpu().numpy() > 0.5
        return save_sample_grid(path, grids, rows=num_classes, row_labels=self.classes)


def _gaussian_fit(mu: Tensor, variance: Tensor) -> tuple[Tensor, Tensor]:
    """(mean, Cholesky factor) of a mixture of diagonal Gaussians N(mu_i, diag(variance_i)), by moments."""
    cov = torch.cov(mu.T) + torch.diag(variance.mean(0))
    cov = 0.5 * (cov + cov.T) + 1e-4 * torch.eye(mu.shape[1], dtype=cov.dtype)
    return mu.mean(0), torch.linalg.cholesky(cov)


def _unwrap(module: nn.Module | None) -> Any:
    """The plain module behind a DDP wrapper (fit() may wrap trainable modules).

    Typed ``Any``: it is the Generator / Encoder built in ``__init__``, whose
    methods (``sample``, ``set_latent_affine``...) the callers use.
    """
    return getattr(module, "module", module)


@dataclass
class GANTaskOptions:
    """What ``voxstudio train gan`` can set beyond the generic fit() options."""

    base_channels: int = 32
    latent_dim: int = 128
    discriminator: str = "conv"
    train: GANTrainConfig = field(default_factory=GANTrainConfig)


def make_task(
    train_set: Any,
    device: torch.device,
    run_dir: Path | None = None,
    reference: Any | None = None,
    options: GANTaskOptions | None = None,
    data_info: dict[str, Any] | None = None,
) -> GANTask:
    """Build the task for a :class:`~voxstudio.data.dataset.VoxelDataset`.

    ``reference`` (another VoxelDataset, typically the test split) feeds the
    per-epoch metrics.
    """
    options = options or GANTaskOptions()
    arch = GANConfig(
        num_classes=len(train_set.classes),
        latent_dim=options.latent_dim,
        resolution=int(train_set.resolution),
        base_channels=options.base_channels,
        discriminator=options.discriminator,
    )
    ref = None if reference is None else (np.asarray(reference.voxels), np.asarray(reference.labels))
    return GANTask(
        list(train_set.classes),
        int(train_set.resolution),
        device,
        arch=arch,
        train=options.train,
        reference=ref,
        data_info=data_info,
        run_dir=run_dir,
    )


def build_task(
    train_set: Any,
    test_set: Any = None,
    *,
    out_dir: Path | None = None,
    epochs: int = DEFAULT_EPOCHS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lr: float | None = None,
    seed: int = 0,
    options: GANTaskOptions | None = None,
    discriminator: str | None = None,
    init_weights: str | Path | None = None,
    overrides: dict[str, str] | None = None,
) -> GANTask:
    """The task ``voxstudio train gan`` runs (seeded first so initial weights repeat).

    ``discriminator`` ("conv" or "capsule") overrides ``options.discriminator``;
    ``init_weights`` (a weights stem) fine-tunes an exported generator
    (:meth:`GANTask.start_from`); ``overrides`` sets :class:`GANTrainConfig` fields
    from text (``{"thin_weight": "4"}``, the CLI's ``--gan-option``).

    ``lr`` sets the generator/encoder rate and scales the discriminator's with it
    (keeping the default D/G ratio).
    """
    options = options or GANTaskOptions()
    if discriminator is not None:
        options.discriminator = discriminator
    if overrides:
        options.train = train_config_with(options.train, overrides)
    if lr is not None:
        ratio = options.train.lr_d / options.train.lr_g
        options.train.lr_g, options.train.lr_d = float(lr), float(lr) * ratio
    torch.manual_seed(seed)
    data_info = {
        "source": str(getattr(train_set, "source", "")) or None,
        "train_shapes": int(len(train_set.labels)),
        "test_shapes": None if test_set is None else int(len(test_set.labels)),
        "classes": list(train_set.classes),
        "resolution": int(train_set.resolution),
        "batch_size": int(batch_size),
        "epochs_requested": int(epochs),
        "seed": int(seed),
    }
    # fit() moves the modules to its device and tells the task through bind().
    task = make_task(train_set, torch.device("cpu"), run_dir=out_dir, reference=test_set, options=options,
                     data_info=data_info)
    task.train_set = train_set
    if init_weights is not None:
        task.start_from(init_weights)
    return task


def train_config_with(config: GANTrainConfig, overrides: dict[str, str]) -> GANTrainConfig:
    """A copy of ``config`` with fields set from text, each parsed as its field's type.

    ``ValueError`` names an unknown field (listing the known ones) or a value
    that does not parse, so a typo in ``--gan-option`` never trains silently
    with the default.
    """
    result = copy.deepcopy(config)
    fields = {name: type(getattr(config, name)) for name in config.__dataclass_fields__}
    for name, text in overrides.items():
        if name not in fields:
            raise ValueError(f"unknown GAN training option {name!r}; known: {', '.join(sorted(fields))}")
        kind = fields[name]
        try:
            if kind is bool:
                lowered = text.strip().lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError(text)
                value: Any = lowered in ("true", "1", "yes", "on")
            else:
                value = kind(text)
        except ValueError:
            raise ValueError(f"GAN training option {name} needs a {kind.__name__}, got {text!r}") from None
        setattr(result, name, value)
    return result


def evaluate_weights(
    data_dir: str | Path, weights: str | Path | None, device: str = "auto", max_per_class: int = 120, seed: int = 0
) -> dict[str, Any]:
    """``voxstudio evaluate gan``: flat metrics (class means, then ``<class>.<metric>``)."""
    from voxstudio.training.gan_metrics import evaluate_gan

    folder = None if weights is None else Path(weights)
    if folder is not None and not folder.is_dir():
        folder = folder.parent  # a weights file or stem: its folder holds gan.* (and capsnet.*)
    report = evaluate_gan(folder, data_dir, device=device, max_per_class=max_per_class, seed=seed)
    flat: dict[str, Any] = {"samples_per_class": report["per_class_samples"], **report["metrics"]}
    for name, values in report["per_class"].items():
        for key, value in values.items():
            flat[f"{name}.{key}"] = value
    return flat
