"""VoxNet baseline: shapes, probabilities, config round trip, learning on a tiny set."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import one_thread_fixture, tiny_dataset  # noqa: E402

from voxstudio.models import build_classifier
from voxstudio.models.baseline import VoxNet

_one_thread = one_thread_fixture()


@pytest.mark.parametrize("resolution", [16, 32])
def test_output_shapes_and_probabilities(resolution: int) -> None:
    model = VoxNet(num_classes=5, resolution=resolution).eval()
    x = (torch.rand(3, resolution, resolution, resolution) < 0.2).float()
    logits = model(x)
    assert logits.shape == (3, 5)
    probabilities = model.probabilities(x)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(3))
    torch.testing.assert_close(model(x.unsqueeze(1)), logits)


def test_paper_sized_network_at_32() -> None:
    model = VoxNet(num_classes=12)
    # 32 -> conv5/2 -> 14 -> conv3 -> 12 -> pool -> 6: 32*6^3 inputs to the hidden layer
    assert model.classifier[1].in_features == 32 * 6**3
    assert sum(p.numel() for p in model.parameters()) < 1_000_000


def test_config_rebuilds_the_same_architecture() -> None:
    model = VoxNet(num_classes=4, resolution=16, channels=8, hidden=32)
    clone = build_classifier("baseline", **model.config())
    clone.load_state_dict(model.state_dict())  # strict: same tensors, same shapes


def test_rejects_wrong_resolution() -> None:
    with pytest.raises(ValueError, match="expects"):
        VoxNet(num_classes=3, resolution=16)(torch.zeros(1, 32, 32, 32))


def test_a_few_steps_lower_the_loss() -> None:
    torch.manual_seed(0)
    model = VoxNet(num_classes=3, resolution=16, channels=8, hidden=32)
    voxels, labels = tiny_dataset(n=24, resolution=16)
    x, y = torch.as_tensor(voxels).float(), torch.as_tensor(labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.eval()  # no dropout noise in the before/after comparison
    with torch.no_grad():
        before = float(F.cross_entropy(model(x), y))
    model.train()
    for _ in range(15):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        after = float(F.cross_entropy(model(x), y))
    assert after < 0.5 * before
