"""Class-conditional 3D GAN for voxel grids (3D-GAN backbone, SNGAN/projection recipe).

Why this shape of network:

* The generator follows 3D-GAN (Wu et al. 2016): project ``z`` to a ``4^3`` feature
  volume, then stride-2 transposed 3D convolutions up to ``32^3`` (one more stage
  for ``64^3``) and a sigmoid occupancy output. A stride-2 ``4^3`` transposed conv
  touches only 8 taps per output voxel, so it is the cheapest way to upsample in 3D
  -- the whole model must train on a 2-core CPU and run a 32^3 sample in a few ms.
* Class conditioning is done twice, cheaply: a learned class embedding is
  concatenated to ``z`` (so the projection "knows" the class) and every block uses
  class-conditional normalisation (per-class gain and bias, as in BigGAN's
  conditional batch norm, but with per-sample group norm), which lets the class
  modulate every scale.
* The discriminator is a spectrally normalised 3D conv net with a projection head
  (Miyato & Koyama 2018): ``D(x, y) = w . h(x) + e_y . h(x)``. Spectral norm plus
  hinge loss is the most stable recipe we know for small voxel data sets; the
  projection head conditions on class without the trivial "class channel" shortcut.
* Sampling uses an exponential moving average (EMA) of the generator weights: EMA
  samples are visibly smoother and less noisy than the raw generator.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

from voxstudio.models.latent_diffusion import LatentDiffusionPrior
from voxstudio.models.latent_mixture import (
    check_mixture,
    mixture_decoder_latent,
    mixture_input_latent,
    mixture_moments,
    pseudo_inverses,
)

SUPPORTED_RESOLUTIONS = (32, 64)
#: Initial output logit: sigmoid(-2) ~ 0.12, the typical occupancy of a furniture grid.
OUTPUT_BIAS_INIT = -2.0
# Buffers of the exported latent prior: a (per-class) affine, or a per-class mixture.
MIXTURE_BUFFERS = ("mixture_means", "mixture_transforms", "mixture_cutoffs")
PRIOR_BUFFERS = ("latent_mean", "latent_transform", *MIXTURE_BUFFERS)


@dataclass
class GANConfig:
    """Architecture hyper-parameters; stored verbatim in ``gan.json``.

    ``g_channels`` / ``d_channels`` default from ``base_channels`` and the resolution
    (see :func:`default_channels`) so one knob sizes the whole model.
    """

    num_classes: int
    latent_dim: int = 128
    resolution: int = 32
    base_channels: int = 16
    embed_dim: int = 32
    g_channels: list[int] = field(default_factory=list)
    d_channels: list[int] = field(default_factory=list)
    discriminator: str = "conv"

    def __post_init__(self) -> None:
        # Range-check first (configs come from gan.json): nothing is built from absurd numbers.
        from voxstudio.models import check_model_config

        if not isinstance(self.discriminator, str):
            raise ValueError(f"discriminator must be a name, got {self.discriminator!r}")
        check_model_config({k: v for k, v in asdict(self).items() if k != "discriminator"}, "GAN architecture")
        if self.resolution not in SUPPORTED_RESOLUTIONS:
            raise ValueError(f"resolution must be one of {SUPPORTED_RESOLUTIONS}, got {self.resolution}")
        if self.num_classes < 1:
            raise ValueError("num_classes must be >= 1")
        if not self.g_channels:
            self.g_channels = default_channels(self.base_channels, self.resolution)
        if not self.d_channels:
            self.d_channels = list(reversed(default_channels(self.base_channels, self.resolution)))
        stages = num_stages(self.resolution)
        if len(self.g_channels) != stages or len(self.d_channels) != stages:
            raise ValueError(f"resolution {self.resolution} needs {stages} channel entries per network")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GANConfig:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def num_stages(resolution: int) -> int:
    """Number of stride-2 stages between 4^3 and ``resolution``^3 (3 for 32, 4 for 64)."""
    return {32: 3, 64: 4}[resolution]


def default_channels(base: int, resolution: int) -> list[int]:
    """Generator widths from coarse to fine, e.g. base 32 at 32^3 -> [128, 64, 32]."""
    stages = num_stages(resolution)
    return [base * 2 ** (stages - 1 - i) for i in range(stages)]


class ConditionalGroupNorm3d(nn.Module):
    """Per-sample group norm whose affine gain/bias are looked up per class.

    Per-sample (not batch) statistics on purpose: the VAE-GAN step runs encoded
    latents and prior latents through the generator together, and with batch
    norm the two halves share statistics during training but not at sampling
    time -- prior samples came out empty in eval mode. Group norm makes a sample
    independent of its batch, so training, EMA sampling, batched and
    one-at-a-time generation all compute the same function.
    Gains start at 1 and biases at 0 (plain group norm at initialisation).
    """

    def __init__(self, channels: int, num_classes: int, groups: int = 8) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(math.gcd(groups, channels), channels, affine=False)
        self.gain = nn.Embedding(num_classes, channels)
        self.bias = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        shape = (x.shape[0], x.shape[1], 1, 1, 1)
        return self.norm(x) * self.gain(y).view(shape) + self.bias(y).view(shape)


class Generator(nn.Module):
    """``(z, class_id) -> occupancy probabilities (B, R, R, R)``."""

    # Buffers registered only by set_latent_affine / set_latent_mixture (absent until
    # then: check with hasattr). At most one of the two priors is set.
    latent_mean: Tensor
    latent_transform: Tensor
    mixture_means: Tensor
    mixture_transforms: Tensor
    mixture_cutoffs: Tensor
    # Submodule set only by set_latent_diffusion (absent until then).
    latent_diffusion: LatentDiffusionPrior

    def __init__(
        self,
        num_classes: int,
        latent_dim: int = 128,
        resolution: int = 32,
        base_channels: int = 32,
        embed_dim: int = 32,
        channels: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.resolution = resolution
        chans = list(channels) if channels else default_channels(base_channels, resolution)
        if len(chans) != num_stages(resolution):
            raise ValueError(f"resolution {resolution} needs {num_stages(resolution)} channel entries")
        self.channels = chans
        # Caches derived from a mixture prior on first use (not at load: they are not needed to
        # draw the first shape): input_latent's pseudo-inverses and the slider frame.
        self._mixture_pinv: Tensor | None = None
        self._slider_frame: tuple[Tensor, Tensor] | None = None
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.project = nn.Linear(latent_dim + embed_dim, chans[0] * 4**3)
        self.project_norm = ConditionalGroupNorm3d(chans[0], num_classes)
        self.ups = nn.ModuleList()
        self.norms = nn.ModuleList()
        for c_in, c_out in itertools.pairwise(chans):
            self.ups.append(nn.ConvTranspose3d(c_in, c_out, 4, stride=2, padding=1, bias=False))
            self.norms.append(ConditionalGroupNorm3d(c_out, num_classes))
        self.to_voxels = nn.ConvTranspose3d(chans[-1], 1, 4, stride=2, padding=1)
        # Furniture fills ~10-15% of the grid: start near that occupancy instead of
        # 50% so the first hundreds of steps are not spent learning "mostly empty".
        assert self.to_voxels.bias is not None
        nn.init.constant_(self.to_voxels.bias, OUTPUT_BIAS_INIT)

    def set_latent_affine(self, mean: Tensor, transform: Tensor) -> None:
        """Map input latents ``e ~ N(0, I)`` to ``mean + e @ transform.T`` before decoding.

        Ex-post density estimation (Ghosh et al. 2020): after VAE-GAN training the
        encoded training shapes do not fill N(0, I) -- they spread wider, off
        centre -- while plain prior samples all decode to a class prototype. The
        shipped generator therefore takes standard-normal latents (so seeds,
        slerp and sliders keep their meaning) and maps them onto a Gaussian fit
        of the encoded training set. Stored as buffers ``latent_mean`` /
        ``latent_transform``, which exist only once set (training checkpoints
        stay as they were).

        Either one Gaussian for all classes (``mean (D,)``, ``transform (D, D)``)
        or one per class (``mean (C, D)``, ``transform (C, D, D)``): each class's
        encoded shapes form their own cloud, and a shared fit puts many samples
        of a class where none of its shapes are.
        """
        d, c = self.latent_dim, self.num_classes
        mean = torch.as_tensor(mean, dtype=torch.float32)
        transform = torch.as_tensor(transform, dtype=torch.float32)
        if mean.dim() == 2 or transform.dim() == 3:
            mean, transform = mean.reshape(c, d), transform.reshape(c, d, d)
        else:
            mean, transform = mean.reshape(d), transform.reshape(d, d)
        self._set_prior_buffers({"latent_mean": mean, "latent_transform": transform})

    def set_latent_mixture(self, means: Tensor, transforms: Tensor, cutoffs: Tensor) -> None:
        """Map input latents ``e ~ N(0, I)`` onto one Gaussian mixture per class (replaces any affine).

        See :mod:`voxstudio.models.latent_mixture`: ``e[0]`` picks the component,
        ``e[1:]`` the point in it. ``means (C, K, D)``, ``transforms (C, K, D, D-1)``,
        ``cutoffs (C, K)`` (cumulative component weights). Stored as buffers
        ``mixture_means`` / ``mixture_transforms`` / ``mixture_cutoffs``.
        """
        tensors = {
            "mixture_means": torch.as_tensor(means, dtype=torch.float32),
            "mixture_transforms": torch.as_tensor(transforms, dtype=torch.float32),
            "mixture_cutoffs": torch.as_tensor(cutoffs, dtype=torch.float32),
        }
        check_mixture(tensors["mixture_means"], tensors["mixture_transforms"], tensors["mixture_cutoffs"],
                      num_classes=self.num_classes, latent_dim=self.latent_dim)
        self._set_prior_buffers(tensors)

    def set_latent_diffusion(self, prior: LatentDiffusionPrior) -> None:
        """Map input latents ``e ~ N(0, I)`` through a per-class latent diffusion prior (replaces any other).

        See :mod:`voxstudio.models.latent_diffusion`: a deterministic ODE from the
        input latent to the decoder latent, learnt on the encoded training set. Its
        weights are saved with the generator under ``latent_diffusion.*``.
        """
        if prior.config.latent_dim != self.latent_dim or prior.config.num_classes != self.num_classes:
            raise ValueError(f"the prior is for {prior.config.num_classes} classes x {prior.config.latent_dim}-D "
                             f"latents, the generator for {self.num_classes} x {self.latent_dim}")
        self._clear_prior()
        self.latent_diffusion = prior.to(self.project.weight.device)

    def _set_prior_buffers(self, tensors: dict[str, Tensor]) -> None:
        """Replace whichever latent prior is set by ``tensors`` (buffer name -> value)."""
        if not self.has_latent_diffusion and all(
                hasattr(self, n) and getattr(self, n).shape == t.shape for n, t in tensors.items()):
            self._mixture_pinv = None
            self._slider_frame = None
            for name, tensor in tensors.items():
                getattr(self, name).copy_(tensor)
            return
        self._clear_prior()
        device = self.project.weight.device
        for name, tensor in tensors.items():
            self.register_buffer(name, tensor.to(device))

    def _clear_prior(self) -> None:
        """Remove whichever latent prior is set (buffers or the diffusion submodule) and what was derived from it."""
        self._mixture_pinv = None
        self._slider_frame = None
        if self.has_latent_diffusion:
            del self.latent_diffusion
        for name in PRIOR_BUFFERS:
            if hasattr(self, name):
                delattr(self, name)

    @property
    def has_latent_mixture(self) -> bool:
        """Whether input latents map onto a per-class Gaussian mixture."""
        return hasattr(self, "mixture_means")

    @property
    def has_latent_diffusion(self) -> bool:
        """Whether input latents map through a latent diffusion prior."""
        return "latent_diffusion" in self._modules

    @property
    def per_class_latents(self) -> bool:
        """Whether the latent prior is fitted per class (a per-class affine, the mixture or the diffusion prior)."""
        return (self.has_latent_mixture or self.has_latent_diffusion
                or (hasattr(self, "latent_mean") and self.latent_mean.dim() == 2))

    def decoder_latent(self, e: Tensor, y: Tensor | None = None) -> Tensor:
        """The latent the decoder sees for an input latent (identity without an affine).

        ``y`` (class ids, ``(B,)``) is needed only with a per-class prior.
        """
        if self.has_latent_diffusion:
            return self.latent_diffusion.sample(e, self._class_ids(y))
        if self.has_latent_mixture:
            return mixture_decoder_latent(e, self._class_ids(y), *self._mixture())
        if not hasattr(self, "latent_mean"):
            return e
        if self.latent_mean.dim() == 1:
            return self.latent_mean + e @ self.latent_transform.T
        if y is None:
            raise ValueError("this generator maps latents per class: pass the class ids")
        return self.latent_mean[y] + torch.einsum("bij,bj->bi", self.latent_transform[y], e)

    def input_latent(self, decoder_latent: Tensor, y: Tensor | None = None) -> Tensor:
        """Inverse of :meth:`decoder_latent` (e.g. to start inversion from an encoded shape)."""
        if self.has_latent_diffusion:
            return self.latent_diffusion.invert(decoder_latent, self._class_ids(y))
        if self.has_latent_mixture:
            if self._mixture_pinv is None or self._mixture_pinv.device != decoder_latent.device:
                self._mixture_pinv = pseudo_inverses(self.mixture_transforms)  # once: ~20 ms at 12 x 8 x 128^2
            return mixture_input_latent(decoder_latent, self._class_ids(y), *self._mixture(), pinv=self._mixture_pinv)
        if not hasattr(self, "latent_mean"):
            return decoder_latent
        if self.latent_mean.dim() == 1:
            centred = (decoder_latent - self.latent_mean).T
            return torch.linalg.solve(self.latent_transform, centred).T
        if y is None:
            raise ValueError("this generator maps latents per class: pass the class ids")
        centred = (decoder_latent - self.latent_mean[y]).unsqueeze(-1)
        return torch.linalg.solve(self.latent_transform[y], centred).squeeze(-1)

    def slider_step(self, offset: Tensor, y: Tensor) -> Tensor:
        """The decoder-latent move ``(B, D)`` for slider-frame offsets ``(B, D)`` of classes ``y``.

        Sliders move the *decoder* latent, in a frame scaled to the class's latent
        cloud, so a slider means the same change for every shape of a class and costs
        no inversion of the prior per frame (:meth:`decoder_latent` ``+`` this):

        * diffusion or mixture prior: ``L_c @ offset``, ``L_c`` whitening the class's
          latent cloud (:meth:`slider_frame`). Under the diffusion prior style switches
          (a chair's backrest, a table's pedestal) are straight lines here, not in the
          input latent the ODE bends; under the mixture the move is the same whichever
          component the shape is in;
        * affine or none: the input latent's own frame, ``L @ offset``, the same as
          moving the input latent by ``offset``.
        """
        if self._has_whitened_frame:
            _, chol = self.slider_frame()
            return torch.einsum("bij,bj->bi", chol[y], offset)
        if not hasattr(self, "latent_mean"):
            return offset
        if self.latent_mean.dim() == 1:
            return offset @ self.latent_transform.T
        return torch.einsum("bij,bj->bi", self.latent_transform[y], offset)

    def slider_coordinates(self, decoder_latent: Tensor, y: Tensor) -> Tensor:
        """Slider-frame coordinates of decoder latents: where slider directions are fitted (see :meth:`slider_step`)."""
        if not self._has_whitened_frame:
            return self.input_latent(decoder_latent, y)
        mean, chol = self.slider_frame()
        centred = (decoder_latent - mean[y]).unsqueeze(-1)
        return torch.linalg.solve_triangular(chol[y], centred, upper=False).squeeze(-1)

    @property
    def _has_whitened_frame(self) -> bool:
        return self.has_latent_diffusion or self.has_latent_mixture

    def slider_frame(self) -> tuple[Tensor, Tensor]:
        """Per-class mean ``(C, D)`` and Cholesky factor ``(C, D, D)`` of the latent cloud (diffusion or mixture).

        The diffusion prior fits them with its frame (``class_mean`` / ``class_chol``);
        the mixture's are derived from its components once and cached.
        """
        if self.has_latent_diffusion:
            return self.latent_diffusion.class_mean, self.latent_diffusion.class_chol
        means = self.mixture_means
        if self._slider_frame is None or self._slider_frame[0].device != means.device:
            self._slider_frame = mixture_moments(*self._mixture())  # ~30 ms at 12 x 8 x 128^2
        return self._slider_frame

    def _mixture(self) -> tuple[Tensor, Tensor, Tensor]:
        return self.mixture_means, self.mixture_transforms, self.mixture_cutoffs

    @staticmethod
    def _class_ids(y: Tensor | None) -> Tensor:
        if y is None:
            raise ValueError("this generator maps latents per class: pass the class ids")
        return y

    def logits(self, z: Tensor, y: Tensor, offset: Tensor | None = None) -> Tensor:
        """Pre-sigmoid occupancy ``(B, R, R, R)``: used for BCE in latent inversion.

        ``offset`` (``(D,)`` or ``(B, D)``): the sliders' move in the slider frame (:meth:`slider_step`).
        """
        return self._decode_moved(self.decoder_latent(z, y), y, offset)

    def _decode_moved(self, latent: Tensor, y: Tensor, offset: Tensor | None) -> Tensor:
        """:meth:`decode` of decoder latents moved by the sliders' ``offset`` (None: unmoved)."""
        if offset is not None:
            latent = latent + self.slider_step(offset.expand_as(latent), y)
        return self.decode(latent, y)

    def decode(self, z: Tensor, y: Tensor) -> Tensor:
        """Pre-sigmoid occupancy ``(B, R, R, R)`` for *decoder* latents (past any prior): the decoder alone."""
        h = self.project(torch.cat([z, self.embed(y)], dim=1))
        h = h.view(z.shape[0], self.channels[0], 4, 4, 4)
        h = F.relu(self.project_norm(h, y))
        for up, norm in zip(self.ups, self.norms):
            h = F.relu(norm(up(h), y))
        return self.to_voxels(h).squeeze(1)

    def forward(self, z: Tensor, y: Tensor, return_logits: bool = False, offset: Tensor | None = None) -> Tensor:
        """Probabilities, or logits with ``return_logits`` (a flag, not a method, so DDP wrappers work)."""
        logits = self.logits(z, y, offset)
        return logits if return_logits else torch.sigmoid(logits)

    def sample(self, z: Tensor, class_id: Tensor | int, half: bool = False, offset: Tensor | None = None) -> Tensor:
        """Occupancy probabilities for a batch of latents, in eval mode, no autograd.

        ``z`` is ``(B, latent_dim)`` or ``(latent_dim,)``; ``class_id`` an int (shared
        by the batch) or a ``(B,)`` tensor. ``half`` runs fp16 autocast (CUDA only).
        ``offset`` moves the shapes by sliders (slider frame, ``(D,)`` or ``(B, D)``).
        The result is float32, on the generator's device, ``(B, R, R, R)``.
        """
        return self._sample(z, class_id, half, offset, through_prior=True)

    def sample_decoder_latent(self, latent: Tensor, class_id: Tensor | int, half: bool = False,
                              offset: Tensor | None = None) -> Tensor:
        """:meth:`sample` for *decoder* latents, past the prior (e.g. a :meth:`decoder_latent` kept from before).

        What a slider drag needs: the input latent stays, so its prior answer can be
        reused and each frame pays only the slider move and the decoder.
        """
        return self._sample(latent, class_id, half, offset, through_prior=False)

    def _sample(self, z: Tensor, class_id: Tensor | int, half: bool, offset: Tensor | None,
                through_prior: bool) -> Tensor:
        device = next(self.parameters()).device
        if half and device.type != "cuda":
            raise ValueError("half precision sampling is only supported on CUDA")
        z = torch.as_tensor(z, dtype=torch.float32, device=device)
        if z.dim() == 1:
            z = z.unsqueeze(0)
        y = torch.as_tensor(class_id, dtype=torch.long, device=device)
        if y.dim() == 0:
            y = y.expand(z.shape[0])
        if y.shape[0] != z.shape[0]:
            raise ValueError(f"got {z.shape[0]} latents but {y.shape[0]} class ids")
        if int(y.min()) < 0 or int(y.max()) >= self.num_classes:
            raise ValueError(f"class id out of range 0..{self.num_classes - 1}")
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=half):
                if offset is not None:
                    offset = torch.as_tensor(offset, dtype=torch.float32, device=device)
                latent = self.decoder_latent(z, y) if through_prior else z
                out = torch.sigmoid(self._decode_moved(latent, y, offset))
            return out.float()
        finally:
            self.train(was_training)


class Discriminator(nn.Module):
    """Spectrally normalised 3D conv critic with a projection class head.

    Returns one unbounded score per sample (hinge loss), ``(B,)``.
    """

    def __init__(
        self,
        num_classes: int,
        resolution: int = 32,
        base_channels: int = 32,
        channels: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.resolution = resolution
        chans = list(channels) if channels else list(reversed(default_channels(base_channels, resolution)))
        if len(chans) != num_stages(resolution):
            raise ValueError(f"resolution {resolution} needs {num_stages(resolution)} channel entries")
        layers: list[nn.Module] = []
        c_in = 1
        for c_out in chans:
            layers += [spectral_norm(nn.Conv3d(c_in, c_out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
            c_in = c_out
        # Final 4^3 -> 1 conv collapses space; the projection head then sees one vector.
        layers += [spectral_norm(nn.Conv3d(c_in, c_in * 2, 4)), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers)
        self.feature_dim = c_in * 2
        self.linear = spectral_norm(nn.Linear(self.feature_dim, 1))
        self.class_embed = spectral_norm(nn.Embedding(num_classes, self.feature_dim))

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        if x.dim() == 4:
            x = x.unsqueeze(1)
        h = self.features(x).flatten(1)
        return self.linear(h).squeeze(1) + (self.class_embed(y) * h).sum(dim=1)


class Encoder(nn.Module):
    """Shape -> posterior ``(mu, logvar)`` over ``z`` (the "VAE" half of 3D-VAE-GAN).

    Trained jointly with the generator: reconstructing training shapes gives the
    generator a dense, supervised signal from the first step, so it produces
    recognisable furniture after a few hundred steps instead of the thousands a
    pure GAN needs -- the difference between "trains on a 2-core CPU in 40
    minutes" and "does not". The KL term keeps encoded latents on the N(0, I)
    prior the sliders and seeds sample from. Also used to initialise latent
    inversion in the engine.
    """

    def __init__(
        self,
        num_classes: int,
        latent_dim: int = 128,
        resolution: int = 32,
        channels: list[int] | None = None,
        embed_dim: int = 32,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.latent_dim = latent_dim
        self.resolution = resolution
        chans = list(channels) if channels else list(reversed(default_channels(16, resolution)))
        layers: list[nn.Module] = []
        c_in = 1
        for c_out in chans:
            layers += [nn.Conv3d(c_in, c_out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        # Class-conditional (CVAE): the generator is told the class, so z need not
        # -- and, under the KL pressure, will not -- encode it. Without this, z
        # carries the class and prior samples ignore the requested class.
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.head = nn.Linear(c_in * 4**3 + embed_dim, 2 * latent_dim)

    def forward(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        if x.dim() == 4:
            x = x.unsqueeze(1)
        h = torch.cat([self.features(x).flatten(1), self.embed(y)], dim=1)
        mu, logvar = self.head(h).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 5.0)


def build_encoder(config: GANConfig) -> Encoder:
    return Encoder(config.num_classes, config.latent_dim, config.resolution, channels=config.d_channels,
                   embed_dim=config.embed_dim)


def build_generator(config: GANConfig) -> Generator:
    return Generator(
        num_classes=config.num_classes,
        latent_dim=config.latent_dim,
        resolution=config.resolution,
        embed_dim=config.embed_dim,
        channels=config.g_channels,
    )


class CapsuleDiscriminator(nn.Module):
    """Class-conditional critic built from a 3D capsule network with dynamic routing.

    The original project's idea (a capsule network judging the generator's
    shapes), made to work as a GAN critic:

    * a spectrally normalised conv stem (stride 2 per stage, like :class:`Discriminator`)
      down to ``8^3``, then primary capsules on a ``4^3`` lattice
      (``primary_types`` x ``primary_dim``-D, squashed), as in
      :class:`voxstudio.models.capsnet.CapsNet3D`;
    * one vote matrix per (primary capsule, class capsule) and 3 iterations of
      routing-by-agreement (:func:`voxstudio.models.capsnet.dynamic_routing`) to
      one ``class_dim``-D capsule per class;
    * the length of the requested class's capsule, in ``[0, 1)``, says "a real
      shape of this class". It is returned as the score ``4 |v_y| - 2`` in
      ``[-2, 2)`` so the GAN's hinge loss applies unchanged: the critic pushes
      real shapes to ``|v_y| >= 0.75`` and generated ones to ``|v_y| <= 0.25``
      (a linear margin loss, Sabour et al.'s m+ / m- with margins 0.75 / 0.25).

    Spectral norm on the stem and primary convolutions bounds the critic's
    slope the same way as for the conv critic; the squash bounds the score.
    """

    def __init__(
        self,
        num_classes: int,
        resolution: int = 32,
        channels: list[int] | None = None,
        primary_types: int = 16,
        primary_dim: int = 8,
        class_dim: int = 16,
        routing_iterations: int = 3,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.resolution = resolution
        chans = list(channels) if channels else list(reversed(default_channels(16, resolution)))
        stages = num_stages(resolution)
        if len(chans) != stages:
            raise ValueError(f"resolution {resolution} needs {stages} channel entries")
        layers: list[nn.Module] = []
        c_in = 1
        for c_out in chans[:-1]:  # stride-2 stages down to 8^3
            layers += [spectral_norm(nn.Conv3d(c_in, c_out, 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
            c_in = c_out
        self.stem = nn.Sequential(*layers)
        self.primary_types, self.primary_dim, self.class_dim = primary_types, primary_dim, class_dim
        self.routing_iterations = routing_iterations
        # 8^3 -> 4^3 primary capsule lattice; no activation: capsules are squashed.
        self.primary = spectral_norm(nn.Conv3d(c_in, primary_types * primary_dim, 4, stride=2, padding=1))
        self.num_primary = primary_types * 4**3
        self.votes_weight = nn.Parameter(
            torch.randn(self.num_primary, num_classes, class_dim, primary_dim) * (1.0 / math.sqrt(primary_dim))
        )

    def capsules(self, x: Tensor) -> Tensor:
        """Class capsule vectors ``(B, C, class_dim)`` (length = presence)."""
        from voxstudio.models.capsnet import dynamic_routing, squash

        if x.dim() == 4:
            x = x.unsqueeze(1)
        h = self.primary(self.stem(x))  # (B, T*P, 4, 4, 4)
        b = h.shape[0]
        u = h.view(b, self.primary_types, self.primary_dim, -1).permute(0, 1, 3, 2).reshape(b, -1, self.primary_dim)
        u = squash(u.float())
        u_hat = torch.einsum("ncdp,bnp->bncd", self.votes_weight.float(), u)
        v, _ = dynamic_routing(u_hat, self.routing_iterations)
        return v

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        v = self.capsules(x)
        length = v.norm(dim=-1).gather(1, y.view(-1, 1)).squeeze(1)
        return 4.0 * length - 2.0


DISCRIMINATORS = ("conv", "capsule")


def build_discriminator(config: GANConfig) -> nn.Module:
    """Discriminator selected by ``config.discriminator``: "conv" (projection CNN) or "capsule"."""
    if config.discriminator == "conv":
        return Discriminator(config.num_classes, config.resolution, channels=config.d_channels)
    if config.discriminator == "capsule":
        return CapsuleDiscriminator(config.num_classes, config.resolution, channels=config.d_channels)
    raise ValueError(f"unknown discriminator kind {config.discriminator!r} (expected one of {DISCRIMINATORS})")


# ---------------------------------------------------------------------------- losses / EMA


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """``KL(N(mu, sigma^2) || N(0, I))`` summed over latent dims, averaged over the batch."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=1).mean()


def d_hinge_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Hinge loss for the critic: mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))."""
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def g_hinge_loss(fake_scores: Tensor) -> Tensor:
    """Generator side of the hinge game: -mean(D(fake))."""
    return -fake_scores.mean()


def make_ema(generator: Generator) -> Generator:
    """Frozen copy of ``generator`` to hold the moving average."""
    ema = copy.deepcopy(generator)
    ema.eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    return ema


def ema_decay(step: int, max_decay: float = 0.999) -> float:
    """Warm-up schedule ``min(max_decay, (1 + step) / (10 + step))``.

    Early on the raw generator changes fast and the average of random init weights
    is meaningless, so the EMA tracks closely first and slows to ``max_decay``.
    """
    return min(max_decay, (1.0 + step) / (10.0 + step))


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """``ema = decay * ema + (1 - decay) * model`` for parameters; buffers are copied.

    Buffers (batch-norm running statistics) are copied rather than averaged: they
    describe the current model's activations, which the EMA weights closely follow.
    """
    for e, m in zip(ema.parameters(), model.parameters()):
        e.lerp_(m.detach(), 1.0 - decay)
    for ema_buffer, buffer in zip(ema.buffers(), model.buffers()):
        ema_buffer.copy_(buffer)
