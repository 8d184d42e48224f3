"""A per-class Gaussian-mixture latent prior driven by standard-normal input latents.

Why: the VAE-GAN's encoded training shapes do not fill one Gaussian per class.
The procedural styles (four legs, pedestal, trestle...) form separate clouds, and
a single Gaussian fitted over them puts many samples in the gaps between the
clouds, where the decoder blends two styles into floating fragments. Measured on
the v5 generator: decoding posterior means of training tables gives 64 % one-piece
shapes, decoding the single-Gaussian prior's samples 18 %. Ex-post density
estimation with a Gaussian mixture (Ghosh et al. 2020, "From variational to
deterministic autoencoders") puts samples inside the clouds.

The app keeps standard-normal input latents ``e`` (seeds, slerp, random walks and
sliders all work in that space), so the mixture is reached by a fixed map:

* ``e[0]`` picks the component: ``Phi(e[0])`` falls into one interval of the
  cumulative mixture weights ``cutoffs`` (so component ``k`` is picked with
  probability ``w_k``, exactly);
* ``e[1:]`` places the shape inside it: ``mean_k + transform_k @ e[1:]``, where
  ``transform_k`` (``D x (D-1)``) spans the component's ``D - 1`` largest-variance
  axes.

For each class the components are ordered along the main axis of their means, so
neighbouring intervals of ``e[0]`` are similar styles. Moving ``e[0]`` across an
interval boundary switches style in one step instead of morphing through broken
in-between shapes.

Buffers: ``means (C, K, D)``, ``transforms (C, K, D, D-1)``, ``cutoffs (C, K)``
(cumulative weights, last = 1). Pure functions, no state: the generator owns the
buffers.
"""

from __future__ import annotations

import torch
from torch import Tensor


def check_mixture(means: Tensor, transforms: Tensor, cutoffs: Tensor, num_classes: int, latent_dim: int) -> None:
    """Raise ``ValueError`` unless the three buffers have matching, valid shapes."""
    if means.dim() != 3 or means.shape[0] != num_classes or means.shape[2] != latent_dim:
        raise ValueError(f"mixture means must be (C={num_classes}, K, D={latent_dim}), got {tuple(means.shape)}")
    c, k, d = means.shape
    if tuple(transforms.shape) != (c, k, d, d - 1):
        raise ValueError(f"mixture transforms must be {(c, k, d, d - 1)}, got {tuple(transforms.shape)}")
    if tuple(cutoffs.shape) != (c, k):
        raise ValueError(f"mixture cutoffs must be {(c, k)}, got {tuple(cutoffs.shape)}")
    if not torch.allclose(cutoffs[:, -1], torch.ones_like(cutoffs[:, -1]), atol=1e-4):
        raise ValueError("mixture cutoffs must end at 1 (cumulative weights)")
    if bool((cutoffs[:, 1:] < cutoffs[:, :-1]).any()):
        raise ValueError("mixture cutoffs must be non-decreasing")


def component_of(e0: Tensor, cutoffs: Tensor) -> Tensor:
    """Component index per sample for the first input coordinate ``e0 (B,)`` and per-sample cutoffs ``(B, K)``."""
    u = torch.special.ndtr(e0).unsqueeze(1).contiguous()
    index = torch.searchsorted(cutoffs.contiguous(), u, right=True).squeeze(1)
    return index.clamp(max=cutoffs.shape[1] - 1)


def mixture_decoder_latent(e: Tensor, y: Tensor, means: Tensor, transforms: Tensor, cutoffs: Tensor) -> Tensor:
    """Decoder latents ``(B, D)`` for standard-normal input latents ``e (B, D)`` of classes ``y (B,)``.

    Differentiable in ``e[:, 1:]`` (latent inversion optimises those); ``e[:, 0]``
    only selects the component.
    """
    k = component_of(e[:, 0], cutoffs[y])
    return means[y, k] + torch.einsum("bij,bj->bi", transforms[y, k], e[:, 1:])


def mixture_input_latent(
    z: Tensor, y: Tensor, means: Tensor, transforms: Tensor, cutoffs: Tensor, pinv: Tensor | None = None
) -> Tensor:
    """Input latents for decoder latents ``z (B, D)``: the inverse of :func:`mixture_decoder_latent`.

    The component is the one under which ``z`` is most likely; ``e[0]`` becomes the
    middle of that component's interval and ``e[1:]`` the least-squares
    coordinates of ``z`` in its axes. ``mixture_decoder_latent`` of the result
    gives ``z`` back up to its part along the one axis the map leaves out.
    ``pinv`` (optional, ``(C, K, D-1, D)``, :func:`pseudo_inverses`) saves
    solving a least-squares problem per component on every call.
    """
    t = transforms[y]  # (B, K, D, D-1)
    centred = z.unsqueeze(1) - means[y]  # (B, K, D)
    if pinv is None:
        coords = torch.linalg.lstsq(t, centred.unsqueeze(-1)).solution.squeeze(-1)  # (B, K, D-1)
    else:
        coords = torch.einsum("bkij,bkj->bki", pinv[y], centred)
    residual = centred - torch.einsum("bkij,bkj->bki", t, coords)
    # Gaussian log-density in the component's axes; the left-out axis is scored by
    # the smallest kept variance (it is at most that).
    scale = torch.linalg.vector_norm(t, dim=2)  # (B, K, D-1): transform columns are orthogonal axes
    floor = scale.min(dim=2).values.clamp_min(1e-6)
    weights = torch.diff(cutoffs[y], dim=1, prepend=torch.zeros_like(cutoffs[y][:, :1])).clamp_min(1e-12)
    log_p = (
        weights.log()
        - 0.5 * coords.pow(2).sum(2)
        - scale.clamp_min(1e-6).log().sum(2)
        - 0.5 * residual.pow(2).sum(2) / floor.pow(2)
        - floor.log()
    )
    k = log_p.argmax(dim=1)
    rows = torch.arange(len(z), device=z.device)
    upper = cutoffs[y, k]
    lower = torch.where(k > 0, cutoffs[y, (k - 1).clamp_min(0)], torch.zeros_like(upper))
    middle = (0.5 * (lower + upper)).clamp(1e-6, 1 - 1e-6)
    e0 = torch.special.ndtri(middle)
    return torch.cat([e0.unsqueeze(1), coords[rows, k]], dim=1)


def pseudo_inverses(transforms: Tensor) -> Tensor:
    """``(C, K, D-1, D)`` pseudo-inverses of the transforms (full column rank), by the normal equations."""
    t = transforms.double()
    gram = t.transpose(-1, -2) @ t
    return torch.linalg.solve(gram, t.transpose(-1, -2)).to(transforms.dtype)


def mixture_moments(means: Tensor, transforms: Tensor, cutoffs: Tensor) -> tuple[Tensor, Tensor]:
    """Per-class mean ``(C, D)`` and Cholesky factor ``(C, D, D)`` of the whole mixture.

    The *slider frame*: slider directions are fitted and applied in these
    whitened coordinates of a class's latent cloud, where one direction means
    the same change in every component. (Moving the input latent ``e`` along a
    fixed direction would not: each component has its own axes, and ``e[0]``
    switches components.)
    """
    m, t = means.double(), transforms.double()
    weights = torch.diff(cutoffs.double(), dim=1, prepend=torch.zeros_like(cutoffs[:, :1], dtype=torch.float64))
    mean = torch.einsum("ck,ckd->cd", weights, m)
    centred = m - mean[:, None]
    cov = torch.einsum("ck,ckij,cklj->cil", weights, t, t) + torch.einsum("ck,cki,ckj->cij", weights, centred, centred)
    cov = 0.5 * (cov + cov.transpose(1, 2)) + 1e-6 * torch.eye(m.shape[2], dtype=torch.float64, device=m.device)
    return mean.float(), torch.linalg.cholesky(cov).float()
