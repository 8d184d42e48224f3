"""VoxelEngine: random_init, generation, sliders, save/load round trip, errors, inversion."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from voxstudio.models.engine import ClassifyResult, VoxelEngine, WeightsError
from voxstudio.models.weights import WeightsError as WeightsModuleError

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def engine() -> VoxelEngine:
    return VoxelEngine.random_init(seed=0)


def test_weights_error_is_the_shared_type() -> None:
    assert WeightsError is WeightsModuleError


def test_random_init_generate_shapes(engine: VoxelEngine) -> None:
    r = engine.resolution
    assert r == 32 and engine.has_generator and len(engine.classes) >= 2
    assert engine.directions.shape[0] >= 8 and engine.directions.shape[1] == engine.latent_dim
    assert engine.direction_scales.shape == (engine.directions.shape[0],)
    z = engine.latent_for_seed(7)
    assert z.shape == (engine.latent_dim,) and z.dtype == np.float32
    np.testing.assert_array_equal(z, engine.latent_for_seed(7))
    assert not np.array_equal(z, engine.latent_for_seed(8))
    grid = engine.generate(z, 1)
    assert grid.shape == (r, r, r) and grid.dtype == np.float32
    assert grid.min() >= 0.0 and grid.max() <= 1.0
    batch = engine.generate(np.stack([z, engine.latent_for_seed(8)]), np.array([1, 2]))
    assert batch.shape == (2, r, r, r)
    np.testing.assert_allclose(batch[0], grid, atol=1e-5)


def test_sliders(engine: VoxelEngine) -> None:
    z = engine.latent_for_seed(1)
    k = len(engine.directions)
    assert not np.any(engine.slider_offset(np.zeros(k)))
    values = np.zeros(k)
    values[0] = 2.0
    offset = engine.slider_offset(values)
    np.testing.assert_allclose(offset, 2.0 * engine.direction_scales[0] * engine.directions[0], atol=1e-5)
    # Without a latent prior a slider move is a move of the input latent.
    np.testing.assert_allclose(engine.generate(z, 0, offset=offset), engine.generate(z + offset, 0), atol=1e-5)
    assert not np.allclose(engine.generate(z, 0, offset=offset), engine.generate(z, 0))
    batch = engine.generate(np.stack([z, z]), np.array([0, 1]), offset=offset)  # one move for the batch
    np.testing.assert_allclose(batch[0], engine.generate(z, 0, offset=offset), atol=1e-5)
    with pytest.raises(ValueError, match="slider"):
        engine.slider_offset(np.zeros(k + 1))


def test_a_slider_drag_runs_the_prior_once_per_input_latent(monkeypatch) -> None:
    from voxstudio.models.latent_diffusion import DiffusionPriorConfig, LatentDiffusionPrior

    engine = VoxelEngine.random_init(seed=0)
    generator = engine._generator
    prior = LatentDiffusionPrior(DiffusionPriorConfig(engine.latent_dim, len(engine.classes), width=16, depth=1,
                                                      sample_steps=4))
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in prior.parameters():
            parameter.add_(0.2 * torch.randn_like(parameter))  # a map that is not the identity
    generator.set_latent_diffusion(prior.eval())
    calls: list[int] = []
    through_prior = generator.decoder_latent

    def counted(z, y=None):
        calls.append(len(z))
        return through_prior(z, y)

    monkeypatch.setattr(generator, "decoder_latent", counted)
    z = engine.latent_for_seed(3)
    values = np.zeros(len(engine.directions), np.float32)
    frames = []
    for step in (0.0, 0.5, 1.0, 1.5):  # a drag: the input latent stays, the slider moves
        values[0] = step
        offset = engine.slider_offset(values)
        frames.append(engine.generate(z, 1, offset=offset))
        # The kept answer gives what the uncached path gives, to the bit.
        expected = generator.sample(torch.from_numpy(z), 1, offset=torch.from_numpy(offset)).numpy()[0]
        np.testing.assert_array_equal(frames[-1], expected)
    assert len(calls) == 1 + 4  # one for the drag, one per uncached comparison
    assert not np.array_equal(frames[0], frames[-1])
    calls.clear()
    engine.generate(z, 2)  # another class, another latent: the prior runs again
    engine.generate(engine.latent_for_seed(4), 2)
    engine.generate(engine.latent_for_seed(4), 2, offset=engine.slider_offset(values))
    assert calls == [1, 1]


def test_generate_rejects_bad_input(engine: VoxelEngine) -> None:
    with pytest.raises(ValueError, match="class id"):
        engine.generate(engine.latent_for_seed(0), len(engine.classes))
    with pytest.raises(ValueError, match="latent"):
        engine.generate(np.zeros(3, np.float32), 0)


def test_random_init_classify_and_decode_pose(engine: VoxelEngine) -> None:
    assert engine.has_classifier  # random_init always builds the capsule network (no skip: it cannot be missing)
    r = engine.resolution
    grid = engine.generate(engine.latent_for_seed(0), 0) > 0.5
    result = engine.classify(grid)
    assert isinstance(result, ClassifyResult)
    assert result.probabilities.shape == (len(engine.classes),)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert result.reconstruction.shape == (r, r, r)
    assert 0 <= result.predicted < len(engine.classes)
    assert result.poses.shape[0] == len(engine.classes)
    # A grid at another resolution is resized, not rejected.
    assert engine.classify(np.zeros((64, 64, 64), bool)).probabilities.shape == (len(engine.classes),)
    decoded = engine.decode_pose(result.poses[result.predicted], result.predicted)
    assert decoded.shape == (r, r, r) and decoded.dtype == np.float32


def _export_small(tmp_path: Path) -> tuple[Path, object]:
    """Train-free export through the real GAN task (what `voxstudio train gan` writes)."""
    from voxstudio.training.gan_task import GANTaskOptions, GANTrainConfig, make_task

    torch.manual_seed(0)
    data = SimpleNamespace(
        voxels=np.zeros((4, 32, 32, 32), bool), labels=np.array([0, 1, 2, 0]), classes=["a", "b", "c"], resolution=32
    )
    task = make_task(data, torch.device("cpu"),
                     options=GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(eval_per_class=0, direction_samples=32, calibration_samples=0)))
    task.train_step(torch.from_numpy(data.voxels), torch.from_numpy(data.labels), 0)
    out = tmp_path / "weights"
    task.export_weights(out)
    return out, task


def test_load_round_trip(tmp_path: Path) -> None:
    folder, task = _export_small(tmp_path)
    engine = VoxelEngine.load(folder, device="cpu")
    assert engine.has_generator and not engine.has_classifier
    assert engine.classes == ["a", "b", "c"] and engine.latent_dim == 16 and engine.resolution == 32
    assert engine.directions.shape == (8, 16)
    z = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    # The exported generator maps N(0, I) inputs onto the encoded-set Gaussian.
    mean, chol = task.fit_posterior()
    decoder_z = mean.float() + torch.from_numpy(z) @ chol.float().T
    expected = task.ema.sample(decoder_z, torch.tensor([0, 1, 2])).numpy()
    np.testing.assert_allclose(engine.generate(z, np.array([0, 1, 2])), expected, atol=1e-5)
    with pytest.raises(WeightsError, match="classifier"):
        engine.classify(np.zeros((32, 32, 32), bool))


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="not found"):
        VoxelEngine.load(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(WeightsError, match="no weights found"):
        VoxelEngine.load(tmp_path / "empty")
    folder, _ = _export_small(tmp_path)
    tensors = folder / "gan.safetensors"
    data = bytearray(tensors.read_bytes())
    data[100:140] = b"\x00" * 40
    tensors.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="gan.safetensors"):
        VoxelEngine.load(folder)
    tensors.unlink()
    with pytest.raises(WeightsError, match="not found"):
        VoxelEngine.load(folder)  # half a pair is an error, not "skip the generator"


def test_invert_recovers_generated_shape(engine: VoxelEngine) -> None:
    target_z = engine.latent_for_seed(3)
    target = engine.generate(target_z, 2) > 0.5
    calls: list[tuple[int, int, float]] = []
    z = engine.invert(target, 2, steps=15, progress=lambda s, n, iou: calls.append((s, n, iou)))
    assert z.shape == (engine.latent_dim,)
    assert [c[0] for c in calls] == list(range(1, 16)) and all(c[1] == 15 for c in calls)
    ious = [c[2] for c in calls]
    assert ious == sorted(ious), "reported IoU is the best so far"
    got = engine.generate(z, 2) > 0.5
    iou = (got & target).sum() / max((got | target).sum(), 1)
    assert iou == pytest.approx(ious[-1], abs=1e-6)
    start = engine.generate(np.random.default_rng(0).standard_normal(engine.latent_dim).astype(np.float32), 2) > 0.5
    assert iou >= (start & target).sum() / max((start | target).sum(), 1)


def test_invert_cancel(engine: VoxelEngine) -> None:
    calls: list[int] = []
    z = engine.invert(np.zeros((16, 16, 16), bool), 0, steps=50, progress=lambda s, n, i: calls.append(s),
                      should_cancel=lambda: True)
    assert calls == [] and z.shape == (engine.latent_dim,)


def _save_capsnet(folder: Path, classes: list[str]) -> None:
    from voxstudio.models import build_classifier
    from voxstudio.models.weights import save_weights

    torch.manual_seed(0)
    model = build_classifier("capsnet", num_classes=len(classes), resolution=32)
    save_weights(folder / "capsnet", model,
                 {"kind": "capsnet", "model": model.config(), "classes": classes, "resolution": 32})


def test_load_with_classifier_and_class_mismatch(tmp_path: Path) -> None:
    folder, _ = _export_small(tmp_path)
    _save_capsnet(folder, ["a", "b", "c"])
    engine = VoxelEngine.load(folder, device="cpu")
    assert engine.has_generator and engine.has_classifier
    result = engine.classify(np.ones((16, 16, 16), bool))
    assert result.probabilities.shape == (3,) and result.reconstruction.shape == (32, 32, 32)
    _save_capsnet(folder, ["a", "b", "x"])
    with pytest.raises(WeightsError, match="different classes"):
        VoxelEngine.load(folder, device="cpu")
    classifier_only = tmp_path / "caps_only"
    classifier_only.mkdir()
    _save_capsnet(classifier_only, ["a", "b"])
    engine = VoxelEngine.load(classifier_only, device="cpu")
    assert engine.has_classifier and not engine.has_generator and engine.classes == ["a", "b"]
    with pytest.raises(WeightsError, match="generator"):
        engine.generate(np.zeros(16, np.float32), 0)


def test_shipped_generator_weights() -> None:
    """The committed gan.* load, carry orthonormal slider directions and draw every class."""
    from voxstudio.paths import weights_dir

    if not (weights_dir() / "gan.safetensors").is_file():
        pytest.skip("no shipped generator weights")
    engine = VoxelEngine.load(device="cpu")
    assert engine.has_generator and engine.resolution == 32 and len(engine.directions) >= 8
    k = len(engine.directions)
    np.testing.assert_allclose(engine.directions @ engine.directions.T, np.eye(k), atol=1e-4)
    assert np.all(engine.direction_scales > 0)
    z = np.stack([engine.latent_for_seed(s) for s in range(len(engine.classes))])
    grids = engine.generate(z, np.arange(len(engine.classes))) > 0.5
    occupancy = grids.reshape(len(grids), -1).mean(axis=1)
    assert np.all((occupancy > 0.005) & (occupancy < 0.6)), occupancy
    assert grids[:, :, :, :2].any(axis=(1, 2, 3)).mean() >= 0.75, "shapes should mostly stand on the ground"
