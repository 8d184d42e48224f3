"""CapsNet3D: shapes, squash, margin loss, routing by agreement, decoder masking, learning."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import one_thread_fixture, tiny_dataset  # noqa: E402

from voxstudio.models.capsnet import (
    CapsNet3D,
    class_probabilities,
    dynamic_routing,
    dynamic_routing_reference,
    margin_loss,
    squash,
)

_one_thread = one_thread_fixture()


@pytest.fixture(scope="module")
def small() -> CapsNet3D:
    torch.manual_seed(0)
    return CapsNet3D(num_classes=3, resolution=16, stem_channels=(8, 16), primary_types=4, decoder_channels=16)


def test_squash_keeps_direction_and_bounds_length() -> None:
    vectors = torch.randn(500, 8) * torch.logspace(-3, 3, 500)[:, None]
    squashed = squash(vectors)
    lengths = squashed.norm(dim=-1)
    assert bool((lengths < 1).all())
    expected = vectors.norm(dim=-1) ** 2 / (1 + vectors.norm(dim=-1) ** 2)
    torch.testing.assert_close(lengths, expected, rtol=1e-4, atol=1e-6)
    cosine = torch.nn.functional.cosine_similarity(vectors, squashed, dim=-1)
    torch.testing.assert_close(cosine, torch.ones(500), rtol=0, atol=1e-5)


def test_margin_loss_matches_hand_computation() -> None:
    lengths = torch.tensor([[0.95, 0.30, 0.05], [0.50, 0.20, 0.90]])
    labels = torch.tensor([0, 1])
    # sample 0: present 0 (0.95 > 0.9); absent 0.5*(0.3-0.1)^2 = 0.02; 0.05 < 0.1 -> 0
    # sample 1: present (0.9-0.2)^2 = 0.49; absent 0.5*0.4^2 + 0.5*0.8^2 = 0.08 + 0.32
    assert float(margin_loss(lengths, labels)) == pytest.approx((0.02 + 0.89) / 2, abs=1e-6)


def test_routing_raises_coupling_of_agreeing_predictions() -> None:
    torch.manual_seed(1)
    direction = torch.nn.functional.normalize(torch.randn(16), dim=0)
    u_hat = 0.05 * torch.randn(1, 40, 4, 16)
    u_hat[0, :30, 0] += 0.5 * direction  # the majority votes for one pose of output 0
    u_hat[0, 30, 0] = 0.5 * direction  # capsule 30 agrees with it
    u_hat[0, 31, 0] = -0.5 * direction  # capsule 31 contradicts it
    _, before = dynamic_routing(u_hat, iterations=1)
    v, after = dynamic_routing(u_hat, iterations=3)
    torch.testing.assert_close(before, torch.full_like(before, 0.25))  # uniform before any agreement
    assert float(after[0, 30, 0]) > 0.25 > float(after[0, 31, 0])
    assert float(after[0, 30, 0]) > float(after[0, 31, 0]) + 0.1
    assert float(torch.dot(v[0, 0], direction)) > 0
    torch.testing.assert_close(after.sum(dim=2), torch.ones(1, 40))


def test_batched_routing_equals_the_per_capsule_loop() -> None:
    torch.manual_seed(2)
    u_hat = torch.randn(2, 7, 3, 5, dtype=torch.float64)
    fast_v, fast_c = dynamic_routing(u_hat, iterations=3)
    slow_v, slow_c = dynamic_routing_reference(u_hat, iterations=3)
    torch.testing.assert_close(fast_v, slow_v)
    torch.testing.assert_close(fast_c, slow_c)


def test_forward_shapes_and_probabilities(small: CapsNet3D) -> None:
    x = (torch.rand(5, 16, 16, 16) < 0.2).float()
    poses, lengths, reconstruction = small(x)
    assert poses.shape == (5, 3, 16) and lengths.shape == (5, 3) and reconstruction.shape == (5, 16, 16, 16)
    assert bool(((lengths >= 0) & (lengths < 1)).all())
    torch.testing.assert_close(lengths, poses.norm(dim=-1))
    probabilities = class_probabilities(lengths)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(5))
    assert small(x.unsqueeze(1)).lengths.shape == (5, 3)  # channel axis accepted too


def test_default_model_is_small_and_shapes_at_32() -> None:
    model = CapsNet3D(num_classes=12)
    assert model.num_primary == 1024
    size_mb = sum(p.numel() for p in model.parameters()) * 4 / 1e6
    assert size_mb < 12
    out = model(torch.zeros(2, 32, 32, 32))
    assert out.poses.shape == (2, 12, 16) and out.reconstruction.shape == (2, 32, 32, 32)


def test_decoder_is_masked_by_label_in_training_and_prediction_otherwise(small: CapsNet3D) -> None:
    small.eval()
    x = (torch.rand(4, 16, 16, 16) < 0.2).float()
    labels = torch.tensor([0, 1, 2, 1])
    with torch.no_grad():
        out = small(x, labels)
        torch.testing.assert_close(out.reconstruction, small.decode(out.poses, labels))
        single = out.poses[torch.arange(4), labels]
        torch.testing.assert_close(out.reconstruction, small.decode(single, labels))
        predicted = small(x)
        torch.testing.assert_close(predicted.reconstruction, small.decode(predicted.poses, predicted.lengths.argmax(1)))
        # masking matters: another class's slot decodes to something else
        other = small.decode(single, (labels + 1) % 3)
        assert not torch.allclose(other, out.reconstruction)
    small.train()


def test_decode_rejects_bad_input(small: CapsNet3D) -> None:
    with pytest.raises(ValueError, match="class_ids"):
        small.decode(torch.zeros(2, 16))
    with pytest.raises(ValueError, match="class_ids"):
        small.decode(torch.zeros(2, 16), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="expects"):
        small(torch.zeros(2, 32, 32, 32))


def test_a_few_steps_lower_the_loss_and_reach_every_parameter() -> None:
    torch.manual_seed(0)
    model = CapsNet3D(num_classes=3, resolution=16, stem_channels=(8, 16), primary_types=4, decoder_channels=16)
    voxels, labels = tiny_dataset(n=24, resolution=16)
    x, y = torch.as_tensor(voxels).float(), torch.as_tensor(labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        total, _, _ = model.loss(model(x, y), x, y)
        total.backward()
        if not losses:
            assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in model.parameters())
        optimizer.step()
        losses.append(float(total.detach()))
    assert losses[-1] < 0.6 * losses[0]


def test_reconstruction_loss_and_iou_by_hand() -> None:
    logits = torch.tensor([[0.0, 2.0, -2.0, 0.5]])
    target = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    from voxstudio.models.capsnet import reconstruction_iou, reconstruction_loss

    assert float(reconstruction_loss(logits, target)) == pytest.approx(float(bce.mean()))
    weighted = (bce * torch.tensor([2.0, 2.0, 1.0, 1.0])).mean()  # occupied voxels count double
    assert float(reconstruction_loss(logits, target, pos_weight=2.0)) == pytest.approx(float(weighted), rel=1e-6)
    # predicted occupied: logits > 0 -> voxels 1 and 3; actual: 0 and 1 -> IoU 1/3
    assert reconstruction_iou(logits, target).tolist() == pytest.approx([1 / 3])
