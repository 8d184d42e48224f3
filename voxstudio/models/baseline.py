"""VoxNet-style 3D CNN (Maturana & Scherer 2015): the baseline the capsule network must beat.

Same input as :class:`~voxstudio.models.capsnet.CapsNet3D` (a batch of R^3
occupancy grids); output class logits.  Kept close to the paper: two
convolutions (5^3 stride 2, then 3^3), a 2^3 max-pool, one hidden FC layer,
leaky ReLUs and dropout, no batch norm.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class VoxNet(nn.Module):
    """conv 5^3/2 -> conv 3^3 -> maxpool 2 -> FC hidden -> FC classes."""

    def __init__(self, num_classes: int, resolution: int = 32, channels: int = 32, hidden: int = 128) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.resolution = resolution
        self.channels = channels
        self.hidden = hidden
        self.features = nn.Sequential(
            nn.Conv3d(1, channels, kernel_size=5, stride=2),
            nn.LeakyReLU(0.1),
            nn.Dropout(0.2),
            nn.Conv3d(channels, channels, kernel_size=3),
            nn.LeakyReLU(0.1),
            nn.MaxPool3d(2),
            nn.Dropout(0.3),
        )
        side = ((resolution - 5) // 2 + 1 - 2) // 2
        if side < 1:
            raise ValueError(f"resolution {resolution} is too small for VoxNet (needs at least 11)")
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * side**3, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(0.4),
            nn.Linear(hidden, num_classes),
        )

    def config(self) -> dict[str, Any]:
        """Constructor arguments as JSON-safe values (stored next to the weights)."""
        return {"num_classes": self.num_classes, "resolution": self.resolution,
                "channels": self.channels, "hidden": self.hidden}

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, C) for voxels (B, R, R, R) or (B, 1, R, R, R)."""
        if x.dim() == 4:
            x = x.unsqueeze(1)
        expected = (1, self.resolution, self.resolution, self.resolution)
        if x.dim() != 5 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"VoxNet expects (B, {self.resolution}^3) voxels, got {tuple(x.shape)}")
        return self.classifier(self.features(x.float()))

    @torch.no_grad()
    def probabilities(self, x: Tensor) -> Tensor:
        """Softmax class probabilities (B, C)."""
        return torch.softmax(self.forward(x), dim=1)
