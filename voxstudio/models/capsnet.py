"""3D capsule network (Sabour, Frosst & Hinton 2017, "Dynamic Routing Between Capsules") for voxels.

Layout for a 32^3 input (other powers of two add or drop stride-2 convolutions
so the primary capsules always sit on a small ``primary_grid``^3 lattice)::

    (B,1,32,32,32) -conv 5^3 s2-> 16^3x32 -conv 3^3 s2-> 8^3x64
                   -conv 3^3 s2-> 4^3 x (16 types x 8D)  = 1024 primary capsules
    votes u_hat = W_ij u_i  (one 16x8 matrix per primary capsule and class, as in the paper)
    3 iterations of routing-by-agreement -> C class capsules of 16D; length = presence
    decoder: the class capsules masked to one class -> FC -> 4^3x32 -> transposed convs
             (3^3, stride 2: 8^3x16, 16^3x8, 32^3x1) -> R^3 logits

The stem is strided so that routing runs over about a thousand capsules: routing
cost and the vote matrices grow with the capsule count, and 8^3 positions with
per-capsule matrices would be 25 MB of weights instead of about 6.

Routing is batched with einsum over samples, input and output capsules; only the
(three) routing iterations are a Python loop.  :func:`dynamic_routing_reference`
is the literal per-capsule loop, kept for tests and the benchmark.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from voxstudio.core.iou import batch_iou

#: The paper's reconstruction weight (0.0005 on a 784-pixel sum) expressed per
#: voxel, so that the balance with the margin loss does not depend on R.
PAPER_RECONSTRUCTION_WEIGHT = 0.0005 * 784


class CapsOutput(NamedTuple):
    """What :meth:`CapsNet3D.forward` returns (unpacks as a 3-tuple)."""

    poses: Tensor  # (B, C, class_dim) class capsule vectors
    lengths: Tensor  # (B, C) in [0, 1): how strongly each class is present
    reconstruction: Tensor  # (B, R, R, R) logits of the decoded shape


def squash(s: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    """Scale vectors to length ``|s|^2 / (1 + |s|^2)`` (< 1), keeping their direction."""
    squared = (s * s).sum(dim=dim, keepdim=True)
    return s * (squared / (1.0 + squared)) / torch.sqrt(squared + eps)


def dynamic_routing(u_hat: Tensor, iterations: int = 3, detach_intermediate: bool = True) -> tuple[Tensor, Tensor]:
    """Routing-by-agreement, batched: ``u_hat`` (B, N_in, C, D) votes -> (v (B, C, D), coupling (B, N_in, C)).

    Each input capsule spreads its vote over the output capsules with coupling
    coefficients ``c = softmax(b)`` (over outputs); logits ``b`` grow by the
    agreement ``u_hat . v``.  The returned coupling is the one that produced
    ``v``.  With ``detach_intermediate`` the routing iterations before the last
    see detached votes, as in the reference implementation: gradients flow
    through the final weighted sum only, which is cheaper and more stable.
    """
    if iterations < 1:
        raise ValueError(f"routing needs at least one iteration, got {iterations}")
    batch, inputs, outputs, _ = u_hat.shape
    logits = u_hat.new_zeros(batch, inputs, outputs)
    votes = u_hat.detach() if detach_intermediate else u_hat
    for iteration in range(iterations):
        coupling = torch.softmax(logits, dim=2)
        last = iteration == iterations - 1
        s = torch.einsum("bnc,bncd->bcd", coupling, u_hat if last else votes)
        v = squash(s)
        if not last:
            logits = logits + torch.einsum("bncd,bcd->bnc", votes, v)
    return v, coupling


def dynamic_routing_reference(u_hat: Tensor, iterations: int = 3) -> tuple[Tensor, Tensor]:
    """The routing algorithm written capsule by capsule (Procedure 1 of the paper).

    Slow by design: it is the readable specification that tests compare
    :func:`dynamic_routing` against, and the benchmark's baseline.
    """
    batch, inputs, outputs, dim = u_hat.shape
    v = u_hat.new_zeros(batch, outputs, dim)
    coupling = u_hat.new_zeros(batch, inputs, outputs)
    for b in range(batch):
        logits = [[0.0] * outputs for _ in range(inputs)]
        for iteration in range(iterations):
            c = [torch.softmax(torch.tensor(row, dtype=u_hat.dtype), dim=0) for row in logits]
            for j in range(outputs):
                s_j = u_hat.new_zeros(dim)
                for i in range(inputs):
                    s_j = s_j + c[i][j] * u_hat[b, i, j]
                v[b, j] = squash(s_j, dim=0)
            if iteration < iterations - 1:
                for i in range(inputs):
                    for j in range(outputs):
                        logits[i][j] += float(torch.dot(u_hat[b, i, j], v[b, j]))
        coupling[b] = torch.stack(c)
    return v, coupling


def margin_loss(
    lengths: Tensor, labels: Tensor, m_plus: float = 0.9, m_minus: float = 0.1, lam: float = 0.5
) -> Tensor:
    """Sum over classes of ``T max(0, m+ - |v|)^2 + lam (1 - T) max(0, |v| - m-)^2``, mean over the batch.

    A label of ``-1`` marks a shape of none of the classes (outlier exposure): every
    capsule is then pushed below ``m-``, so a short longest capsule can later say
    "none of these".
    """
    known = (labels >= 0).to(lengths.dtype)[:, None]
    target = F.one_hot(labels.clamp_min(0), lengths.shape[1]).to(lengths.dtype) * known
    present = target * F.relu(m_plus - lengths) ** 2
    absent = lam * (1.0 - target) * F.relu(lengths - m_minus) ** 2
    return (present + absent).sum(dim=1).mean()


def reconstruction_loss(logits: Tensor, target: Tensor, pos_weight: float = 1.0) -> Tensor:
    """Mean voxel BCE of reconstruction logits (B, R, R, R) against 0/1 voxels.

    ``pos_weight`` > 1 weighs occupied voxels more: shapes fill about a tenth of
    the grid, and plain BCE lets thin parts (legs, table tops) fade away.
    """
    target = target.reshape(logits.shape).to(logits.dtype)
    weight = None if pos_weight == 1.0 else torch.tensor(pos_weight, dtype=logits.dtype, device=logits.device)
    return F.binary_cross_entropy_with_logits(logits, target, pos_weight=weight)


def reconstruction_iou(logits: Tensor, target: Tensor, threshold: float = 0.5) -> Tensor:
    """Per-sample voxel IoU (B,) of ``sigmoid(logits) > threshold`` against 0/1 ``target``."""
    predicted = torch.sigmoid(logits) > threshold
    actual = target.reshape(logits.shape) > 0.5
    return batch_iou(predicted, actual).to(torch.float32)


def class_probabilities(lengths: Tensor) -> Tensor:
    """Capsule lengths normalised to sum to 1 (lengths are independent presences, not a distribution)."""
    return lengths / lengths.sum(dim=-1, keepdim=True).clamp_min(1e-12)


class CapsNet3D(nn.Module):
    """Voxel capsule classifier with a class-conditional reconstruction decoder."""

    def __init__(
        self,
        num_classes: int,
        resolution: int = 32,
        stem_channels: tuple[int, int] = (32, 64),
        primary_types: int = 16,
        primary_dim: int = 8,
        class_dim: int = 16,
        primary_grid: int = 4,
        routing_iterations: int = 3,
        decoder_channels: int = 32,
        reconstruction_weight: float = PAPER_RECONSTRUCTION_WEIGHT,
    ) -> None:
        super().__init__()
        downsamplings = _log2_ratio(resolution, primary_grid)
        if downsamplings < 2:
            raise ValueError(f"resolution {resolution} must be at least 4x primary_grid {primary_grid}")
        self.num_classes = num_classes
        self.resolution = resolution
        self.stem_channels = tuple(int(c) for c in stem_channels)
        self.primary_types = primary_types
        self.primary_dim = primary_dim
        self.class_dim = class_dim
        self.primary_grid = primary_grid
        self.routing_iterations = routing_iterations
        self.decoder_channels = decoder_channels
        self.reconstruction_weight = reconstruction_weight

        first, rest = self.stem_channels
        layers: list[nn.Module] = [_conv_block(1, first, kernel=5)]
        channels = first
        for _ in range(downsamplings - 2):
            layers.append(_conv_block(channels, rest, kernel=3))
            channels = rest
        self.stem = nn.Sequential(*layers)
        # No activation: the capsule vectors are squashed instead.
        self.primary = nn.Conv3d(channels, primary_types * primary_dim, kernel_size=3, stride=2, padding=1)
        self.num_primary = primary_types * primary_grid**3
        # One transformation matrix per (primary capsule, class capsule) pair.
        # normal_(0, 0.05) draws exactly what randn() * 0.05 did; skipped on the meta device, where any
        # arithmetic imports torch._dynamo (~0.8 s, ~70 MB) for nothing (load_classifier sizes it there).
        votes = torch.empty(self.num_primary, num_classes, class_dim, primary_dim)
        self.votes_weight = nn.Parameter(votes if votes.is_meta else votes.normal_(0.0, 0.05))

        ups = downsamplings
        # Halving widths and 3^3 kernels: transposed 3D convolutions are slow on
        # CPUs, and the decoder is a regulariser, not the product.
        widths = [max(8, decoder_channels >> index) for index in range(ups)]
        self.decoder_fc = nn.Linear(num_classes * class_dim, widths[0] * primary_grid**3)
        blocks: list[nn.Module] = []
        for index in range(ups):
            out = widths[index + 1] if index + 1 < ups else 1
            blocks.append(
                nn.ConvTranspose3d(widths[index], out, kernel_size=3, stride=2, padding=1, output_padding=1)
            )
            if index + 1 < ups:
                blocks.append(nn.ReLU(inplace=True))
        self.decoder = nn.Sequential(*blocks)
        self._decoder_width = widths[0]
        # Start reconstructions at a typical occupancy (~10 %) instead of 50 %, so
        # early reconstruction gradients do not swamp the margin loss.
        last: Any = self.decoder[-1]  # the final ConvTranspose3d
        nn.init.constant_(last.bias, math.log(0.1 / 0.9))

    def config(self) -> dict[str, Any]:
        """Constructor arguments as JSON-safe values (stored next to the weights)."""
        return {
            "num_classes": self.num_classes,
            "resolution": self.resolution,
            "stem_channels": list(self.stem_channels),
            "primary_types": self.primary_types,
            "primary_dim": self.primary_dim,
            "class_dim": self.class_dim,
            "primary_grid": self.primary_grid,
            "routing_iterations": self.routing_iterations,
            "decoder_channels": self.decoder_channels,
            "reconstruction_weight": self.reconstruction_weight,
        }

    def primary_capsules(self, x: Tensor) -> Tensor:
        """(B, N_primary, primary_dim) squashed primary capsule vectors."""
        features = self.primary(self.stem(self._as_input(x)))
        batch = features.shape[0]
        # (B, types*dim, g, g, g) -> (B, types, g, g, g, dim) -> (B, N, dim)
        capsules = features.view(batch, self.primary_types, self.primary_dim, *features.shape[2:])
        capsules = capsules.permute(0, 1, 3, 4, 5, 2).reshape(batch, -1, self.primary_dim)
        return squash(capsules)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> CapsOutput:
        """Class capsules, their lengths, and the reconstruction masked by ``labels`` (or the prediction)."""
        poses, lengths = self.capsules(x)
        # (an outlier's label -1 decodes from slot 0; loss() leaves it out of the reconstruction term)
        classes = labels.clamp_min(0) if labels is not None else lengths.argmax(dim=1)
        return CapsOutput(poses, lengths, self.decode(poses, classes))

    def capsules(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Class capsule poses (B, C, D) and their lengths (B, C), without decoding anything."""
        u = self.primary_capsules(x)
        u_hat = torch.einsum("ncdk,bnk->bncd", self.votes_weight, u)
        poses, _ = dynamic_routing(u_hat, self.routing_iterations)
        return poses, poses.norm(dim=-1)

    def decode(self, poses: Tensor, class_ids: Tensor | int | None = None) -> Tensor:
        """Voxel logits (B, R, R, R) from class capsules.

        ``poses`` is (B, C, D) and is masked to ``class_ids`` when given (else it
        is taken as already masked), or a single pose (B, D) placed in the slot
        of ``class_ids`` (required then): the pose explorer edits one 16-D pose.
        """
        if poses.dim() == 2:
            if class_ids is None:
                raise ValueError("decode() of a single pose (B, D) needs class_ids")
            ids = self._class_ids(class_ids, poses.shape[0], poses.device)
            mask = F.one_hot(ids, self.num_classes).to(poses.dtype)
            masked = mask[:, :, None] * poses[:, None, :]
        elif poses.dim() == 3:
            masked = poses
            if class_ids is not None:
                ids = self._class_ids(class_ids, poses.shape[0], poses.device)
                masked = poses * F.one_hot(ids, self.num_classes).to(poses.dtype)[:, :, None]
        else:
            raise ValueError(f"poses must be (B, {self.class_dim}) or (B, C, {self.class_dim}), got {tuple(poses.shape)}")
        hidden = F.relu(self.decoder_fc(masked.flatten(1)))
        grid = self.primary_grid
        hidden = hidden.view(-1, self._decoder_width, grid, grid, grid)
        return self.decoder(hidden).squeeze(1)

    def loss(self, output: CapsOutput, x: Tensor, labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(total, margin, reconstruction); the reconstruction term is mean voxel BCE times its weight.

        Outliers (label ``-1``) count in the margin loss only: no class slot should
        reconstruct them.
        """
        margin = margin_loss(output.lengths, labels)
        known = labels >= 0
        if bool(known.all()):
            reconstruction = reconstruction_loss(output.reconstruction, x)
        elif bool(known.any()):
            reconstruction = reconstruction_loss(output.reconstruction[known], x.reshape(output.reconstruction.shape)[known])
        else:
            reconstruction = output.reconstruction.sum() * 0.0
        return margin + self.reconstruction_weight * reconstruction, margin, reconstruction

    def encoder_parameters(self) -> list[nn.Parameter]:
        """Everything that decides the class capsules (stem, primary capsules, vote matrices)."""
        return [*self.stem.parameters(), *self.primary.parameters(), self.votes_weight]

    def decoder_parameters(self) -> list[nn.Parameter]:
        """The reconstruction decoder; training only these cannot change any classification."""
        return [*self.decoder_fc.parameters(), *self.decoder.parameters()]

    def _as_input(self, x: Tensor) -> Tensor:
        if x.dim() == 4:
            x = x.unsqueeze(1)
        expected = (1, self.resolution, self.resolution, self.resolution)
        if x.dim() != 5 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"CapsNet3D expects (B, {self.resolution}^3) voxels, got {tuple(x.shape)}")
        return x.float()

    def _class_ids(self, class_ids: Tensor | int, batch: int, device: torch.device) -> Tensor:
        ids = torch.as_tensor(class_ids, device=device, dtype=torch.long).reshape(-1)
        if ids.numel() == 1 and batch != 1:
            ids = ids.expand(batch)
        if ids.shape != (batch,) or bool(((ids < 0) | (ids >= self.num_classes)).any()):
            raise ValueError(f"class_ids must be {batch} ids in [0, {self.num_classes})")
        return ids


def _conv_block(in_channels: int, out_channels: int, kernel: int) -> nn.Sequential:
    """Strided conv + batch norm + ReLU (halves the grid)."""
    return nn.Sequential(
        nn.Conv3d(in_channels, out_channels, kernel_size=kernel, stride=2, padding=kernel // 2, bias=False),
        nn.BatchNorm3d(out_channels),
        nn.ReLU(inplace=True),
    )


def _log2_ratio(resolution: int, grid: int) -> int:
    ratio = resolution / grid
    steps = round(math.log2(ratio)) if ratio >= 1 else -1
    if steps < 0 or grid * 2**steps != resolution:
        raise ValueError(f"resolution {resolution} must be primary_grid {grid} times a power of two")
    return steps
