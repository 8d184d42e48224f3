"""Generator / discriminator / losses / EMA / training-step behaviour of the voxel GAN."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from voxstudio.models.gan import (
    PRIOR_BUFFERS,
    Discriminator,
    GANConfig,
    Generator,
    d_hinge_loss,
    ema_decay,
    g_hinge_loss,
    make_ema,
    update_ema,
)
from voxstudio.training.gan_task import GANTrainConfig, make_task, translate_xy

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import toy_gan_set  # noqa: E402

torch.set_num_threads(1)


@pytest.mark.parametrize("resolution", [32, 64])
def test_generator_shapes_and_range(resolution: int) -> None:
    torch.manual_seed(0)
    g = Generator(num_classes=4, latent_dim=16, resolution=resolution, base_channels=4, embed_dim=4)
    z = torch.randn(3, 16)
    y = torch.tensor([0, 1, 3])
    with torch.no_grad():
        out = g(z, y)
        logits = g.logits(z, y)
    assert out.shape == (3, resolution, resolution, resolution)
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    torch.testing.assert_close(torch.sigmoid(logits), out)


@pytest.mark.parametrize("resolution", [32, 64])
def test_discriminator_scores_one_per_sample(resolution: int) -> None:
    torch.manual_seed(0)
    d = Discriminator(num_classes=4, resolution=resolution, base_channels=4)
    x = torch.rand(2, resolution, resolution, resolution)
    assert d(x, torch.tensor([0, 2])).shape == (2,)


def test_projection_discriminator_depends_on_class() -> None:
    torch.manual_seed(0)
    d = Discriminator(num_classes=3, resolution=32, base_channels=4).eval()
    x = torch.rand(1, 32, 32, 32).expand(3, -1, -1, -1)
    scores = d(x, torch.tensor([0, 1, 2]))
    assert len(set(np.round(scores.detach().numpy(), 6).tolist())) == 3


def test_generator_depends_on_class() -> None:
    torch.manual_seed(0)
    g = Generator(num_classes=3, latent_dim=8, base_channels=4, embed_dim=4)
    z = torch.randn(1, 8).expand(2, -1)
    out = g.sample(z, torch.tensor([0, 2]))
    assert not torch.allclose(out[0], out[1])


def test_config_rejects_unsupported_resolution() -> None:
    with pytest.raises(ValueError, match="resolution"):
        GANConfig(num_classes=3, resolution=48)
    assert GANConfig(num_classes=3, resolution=64, base_channels=8).g_channels == [64, 32, 16, 8]


def test_hinge_losses() -> None:
    real = torch.tensor([2.0, 0.5, -1.0])
    fake = torch.tensor([-2.0, 0.0, 1.0])
    # relu(1 - real) = [0, 0.5, 2]; relu(1 + fake) = [0, 1, 2]
    assert d_hinge_loss(real, fake).item() == pytest.approx((2.5 + 3.0) / 3)
    assert g_hinge_loss(fake).item() == pytest.approx(1.0 / 3)


def test_ema_update_and_warmup() -> None:
    model = torch.nn.Linear(3, 2)
    ema = make_ema(model)  # type: ignore[arg-type]
    assert all(not p.requires_grad for p in ema.parameters())
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    before = [p.clone() for p in ema.parameters()]
    update_ema(ema, model, decay=0.75)
    for e, b, m in zip(ema.parameters(), before, model.parameters()):
        torch.testing.assert_close(e, 0.75 * b + 0.25 * m)
    assert ema_decay(0) == pytest.approx(0.1)
    assert ema_decay(10) < ema_decay(100) < ema_decay(10**6) == pytest.approx(0.999)


def test_ema_copies_buffers() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.BatchNorm1d(4))
    ema = make_ema(model)  # type: ignore[arg-type]
    model(torch.randn(8, 4))
    update_ema(ema, model, decay=0.999)
    for e, m in zip(ema.buffers(), model.buffers()):
        torch.testing.assert_close(e, m)


def test_sample_batched_equals_per_sample_and_keeps_mode() -> None:
    torch.manual_seed(0)
    g = Generator(num_classes=3, latent_dim=8, base_channels=4, embed_dim=4)
    g.train()
    z = torch.randn(4, 8)
    y = torch.tensor([0, 1, 2, 1])
    batched = g.sample(z, y)
    singles = torch.stack([g.sample(z[i], int(y[i]))[0] for i in range(4)])
    torch.testing.assert_close(batched, singles, atol=1e-5, rtol=1e-5)
    assert g.training, "sample() must restore the training mode"
    assert not batched.requires_grad and batched.dtype == torch.float32


def test_sample_validates_inputs() -> None:
    g = Generator(num_classes=3, latent_dim=8, base_channels=4, embed_dim=4)
    with pytest.raises(ValueError, match="CUDA"):
        g.sample(torch.randn(1, 8), 0, half=True)
    with pytest.raises(ValueError, match="class id"):
        g.sample(torch.randn(2, 8), 3)
    with pytest.raises(ValueError, match="latents"):
        g.sample(torch.randn(2, 8), torch.tensor([0, 1, 2]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_sample_half_on_cuda_matches_fp32() -> None:
    g = Generator(num_classes=3, latent_dim=8, base_channels=4, embed_dim=4).cuda()
    z = torch.randn(2, 8, device="cuda")
    full = g.sample(z, 1)
    half = g.sample(z, 1, half=True)
    assert half.dtype == torch.float32
    assert float((full - half).abs().max()) < 0.02


def test_translate_xy_moves_voxels_without_wrapping() -> None:
    x = torch.zeros(64, 8, 8, 8)
    x[:, 0, 4, 2] = 1.0  # on the -x border: a negative x shift must drop it, not wrap
    x[:, 4, 4, 5] = 1.0
    out = translate_xy(x, 2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[:, :, :, 5].sum(dim=(1, 2)), torch.ones(64))  # interior voxel survives
    assert torch.equal(out[:, :, :, [0, 1, 3, 4, 6, 7]], torch.zeros(64, 8, 8, 6))  # z untouched
    border_kept = out[:, :, :, 2].sum(dim=(1, 2))
    assert 0 < int(border_kept.sum()) < 64  # shifted off the grid for some samples, never wrapped
    assert float(out[:, 6:, :, 2].sum()) == 0.0
    assert torch.equal(translate_xy(x, 0), x)


def test_gan_steps_change_weights_and_ema(tmp_path) -> None:
    torch.manual_seed(0)
    data = toy_gan_set()
    from voxstudio.training.gan_task import GANTaskOptions

    task = make_task(data, torch.device("cpu"), run_dir=tmp_path, reference=data,
                     options=GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(eval_per_class=4)))
    g0 = {k: v.clone() for k, v in task.generator.state_dict().items()}
    d0 = {k: v.clone() for k, v in task.discriminator.state_dict().items()}
    e0 = {k: v.clone() for k, v in task.ema.state_dict().items()}
    x, y = torch.from_numpy(data.voxels[:8]), torch.from_numpy(data.labels[:8])
    for step in range(3):
        out = task.train_step(x, y, step)
        assert set(out) >= {"d_loss", "g_adv", "recon_bce", "kl"} and all(np.isfinite(v) for v in out.values())
    for before, module in ((g0, task.generator), (d0, task.discriminator), (e0, task.ema)):
        after = module.state_dict()
        assert any(not torch.equal(before[k], after[k]) for k in before if after[k].is_floating_point())
    metrics = task.evaluate(0)
    assert set(metrics) == {"cov", "mmd", "1nna", "one_piece"}
    assert (tmp_path / "samples" / "epoch_001.png").is_file()


@pytest.mark.slow
def test_cli_train_then_evaluate_gan(tmp_path, capsys) -> None:
    """`voxstudio train gan` writes loadable weights; `voxstudio evaluate gan` scores them."""
    import json

    from voxstudio.cli import main
    from voxstudio.data.dataset import write_dataset
    from voxstudio.models.engine import VoxelEngine

    data = toy_gan_set(n=24)
    test = toy_gan_set(n=8)
    write_dataset(tmp_path / "data", {"train": (data.voxels, data.labels), "test": (test.voxels, test.labels)},
                  data.classes, 32, source="test")
    run = tmp_path / "run"
    assert main(["train", "gan", "--data", str(tmp_path / "data"), "--out", str(run), "--epochs", "1",
                 "--batch-size", "8", "--threads", "1", "--no-progress"]) == 0
    config = json.loads((run / "gan.json").read_text())
    assert config["classes"] == ["box", "slab"] and config["epochs"] == 1 and config["steps"] == 3
    assert list((run / "samples").glob("epoch_001.png"))
    engine = VoxelEngine.load(run, device="cpu")
    assert engine.has_generator and engine.directions.shape == (8, 128)
    capsys.readouterr()
    assert main(["evaluate", "gan", "--data", str(tmp_path / "data"), "--weights", str(run), "--device", "cpu",
                 "--json", str(tmp_path / "m.json")]) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert 0.0 <= metrics["1nna"] <= 1.0 and 0.0 <= metrics["cov"] <= 1.0 and "box.mmd" in metrics
    # The copy check against the training split comes with every evaluation of a test split.
    assert 0.0 <= metrics["nearest_train_iou"] <= 1.0 and 0.0 < metrics["box.reference_nearest_train_iou"] <= 1.0
    assert "nearest_train_iou:" in capsys.readouterr().out


def test_latent_affine_maps_inputs_and_round_trips_state() -> None:
    torch.manual_seed(0)
    g = Generator(num_classes=2, latent_dim=8, base_channels=4, embed_dim=4)
    e = torch.randn(3, 8)
    mean, transform = torch.randn(8), torch.randn(8, 8)
    plain = g.sample(mean + e @ transform.T, 1)
    g.set_latent_affine(mean, transform)
    torch.testing.assert_close(g.sample(e, 1), plain, atol=1e-5, rtol=1e-5)
    state = g.state_dict()
    assert "latent_mean" in state and "latent_transform" in state
    assert "latent_mean" not in Generator(num_classes=2, latent_dim=8, base_channels=4, embed_dim=4).state_dict()


def test_posterior_sampling_switch_and_export(tmp_path) -> None:
    """After ``posterior_prior_after`` steps, fakes come from the encoded-set Gaussian and export bakes it in."""
    from voxstudio.models.engine import VoxelEngine
    from voxstudio.training.gan_task import GANTaskOptions, build_task

    data = toy_gan_set()
    opts = GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(
        eval_per_class=0, posterior_prior_after=2, direction_samples=32, calibration_samples=0, preview_every=0,
        class_prior=False))
    task = build_task(data, None, out_dir=tmp_path, options=opts)
    x, y = torch.from_numpy(data.voxels[:8]).float(), torch.from_numpy(data.labels[:8])
    for step in range(3):
        task.train_step(x, y, step)
    assert task._posterior_fitted
    mean, chol = task.fit_posterior()
    assert mean.shape == (16,) and chol.shape == (16, 16)
    restored = build_task(data, None, out_dir=tmp_path, options=opts)
    restored.load_extra_state(task.extra_state())
    torch.testing.assert_close(restored.posterior_gaussian()[1], task.posterior_gaussian()[1])
    task.export_weights(tmp_path / "w")
    engine = VoxelEngine.load(tmp_path / "w", device="cpu")
    e = np.random.default_rng(0).standard_normal((2, 16)).astype(np.float32)
    ema = task.ema
    expected = ema.sample((mean.float() + torch.from_numpy(e) @ chol.float().T), torch.tensor([0, 1])).numpy()
    np.testing.assert_allclose(engine.generate(e, np.array([0, 1])), expected, atol=1e-5)


def test_per_class_latent_affine_and_inverse() -> None:
    """One Gaussian per class: each sample maps through its class's affine; input_latent inverts it."""
    torch.manual_seed(0)
    g = Generator(num_classes=2, latent_dim=8, base_channels=4, embed_dim=4)
    means, transforms = torch.randn(2, 8), torch.randn(2, 8, 8) + 3 * torch.eye(8)
    e, y = torch.randn(4, 8), torch.tensor([0, 1, 1, 0])
    plain = g.sample(means[y] + torch.einsum("bij,bj->bi", transforms[y], e), y)
    g.set_latent_affine(means, transforms)
    assert g.per_class_latents
    torch.testing.assert_close(g.sample(e, y), plain, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(g.input_latent(g.decoder_latent(e, y), y), e, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="class ids"):
        g.decoder_latent(e)


def test_per_class_prior_export_matches_engine(tmp_path) -> None:
    """With class_prior, the export bakes one Gaussian per class; the engine decodes through it."""
    from voxstudio.models.engine import VoxelEngine
    from voxstudio.training.gan_task import GANTaskOptions, build_task

    data = toy_gan_set()
    opts = GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(
        eval_per_class=0, posterior_prior_after=1, direction_samples=32, calibration_samples=0, preview_every=0,
        class_prior=True, prior_refit_per_class=8, prior_temperature=0.9, prior_components=1))
    task = build_task(data, None, out_dir=tmp_path, options=opts)
    x, y = torch.from_numpy(data.voxels[:8]).float(), torch.from_numpy(data.labels[:8])
    for step in range(3):
        task.train_step(x, y, step)
    assert task._class_prior_step == 1 and task.class_mean.shape == (2, 16)
    restored = build_task(data, None, out_dir=tmp_path, options=opts)
    restored.load_extra_state(task.extra_state())
    torch.testing.assert_close(restored.class_chol, task.class_chol)
    assert restored.steps_done == task.steps_done == 3  # an export-only resume still records the steps
    task.export_weights(tmp_path / "w")
    means, chols = task.fit_class_posteriors()
    engine = VoxelEngine.load(tmp_path / "w", device="cpu")
    e = np.random.default_rng(0).standard_normal((2, 16)).astype(np.float32)
    ids = torch.tensor([0, 1])
    z = means[ids] + 0.9 * torch.einsum("bij,bj->bi", chols[ids], torch.from_numpy(e))
    np.testing.assert_allclose(engine.generate(e, np.array([0, 1])), task.ema.sample(z, ids).numpy(), atol=1e-5)
    # Inversion starts from the encoder through the per-class inverse affine without error.
    assert engine.invert(data.voxels[0], int(data.labels[0]), steps=2, restarts=1).shape == (16,)


@pytest.mark.parametrize("kind", ["conv", "capsule"])
def test_discriminator_steps_lower_its_loss(kind: str) -> None:
    """A few optimiser steps of each critic against a fixed generator lower its hinge loss."""
    from voxstudio.models.gan import build_discriminator

    torch.manual_seed(0)
    data = toy_gan_set(n=16)
    config = GANConfig(num_classes=2, base_channels=4, latent_dim=16, discriminator=kind)
    d = build_discriminator(config)
    g = Generator(num_classes=2, latent_dim=16, base_channels=4, embed_dim=4)
    real, y = torch.from_numpy(data.voxels).float(), torch.from_numpy(data.labels)
    fake = g.sample(torch.randn(len(y), 16), y).clone()
    opt = torch.optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.999))

    def loss() -> torch.Tensor:
        return d_hinge_loss(d(real, y), d(fake, y))

    with torch.no_grad():
        before = float(loss())
    for _ in range(8):
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
    with torch.no_grad():
        after = float(loss())
    assert after < before - 0.1, (before, after)


def test_capsule_discriminator_scores_and_class_dependence() -> None:
    from voxstudio.models.gan import CapsuleDiscriminator

    torch.manual_seed(0)
    d = CapsuleDiscriminator(num_classes=3, resolution=32, channels=[4, 8, 16], primary_types=4)
    x = (torch.rand(2, 32, 32, 32) > 0.8).float()
    s0, s1 = d(x, torch.tensor([0, 0])), d(x, torch.tensor([1, 1]))
    assert s0.shape == (2,) and bool(((s0 >= -2) & (s0 < 2)).all())
    assert not torch.allclose(s0, s1)
    assert d.capsules(x).shape == (2, 3, 16)


def test_thin_parts_marks_legs_and_panels_not_solid_blocks() -> None:
    """A leg (1x1 column) and a one-voxel panel are thin; the core of a 5^3 block is not, its surface is kept too."""
    from voxstudio.training.gan_task import thin_parts

    grid = torch.zeros(1, 16, 16, 16)
    grid[0, 2, 2, 0:8] = 1  # leg
    grid[0, 8:14, 2:14, 10] = 1  # one-voxel panel
    grid[0, 9:14, 8:13, 2:7] = 1  # 5^3 block
    thin = thin_parts(grid)[0]
    assert thin[2, 2, 0:8].all() and thin[8:14, 2:14, 10].all()
    assert not thin[9:14, 8:13, 2:7].any()  # the opening keeps every voxel of a >= 3-thick part
    assert not thin[grid[0] == 0].any()


def test_thin_weight_raises_the_loss_of_missing_thin_voxels(tmp_path) -> None:
    """With thin_weight, a reconstruction that drops thin parts costs more than with it off."""
    from voxstudio.training.gan_task import GANTaskOptions

    data = toy_gan_set()
    losses = {}
    for thin_weight in (0.0, 4.0):
        torch.manual_seed(0)
        opts = GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(
            eval_per_class=0, preview_every=0, thin_weight=thin_weight, bf16=False))
        task = make_task(data, torch.device("cpu"), run_dir=tmp_path, options=opts)
        x, y = torch.from_numpy(data.voxels[:8]).float(), torch.from_numpy(data.labels[:8])
        losses[thin_weight] = task.train_step(x, y, 0)["recon_bce"]
    assert losses[4.0] > losses[0.0]


def test_train_config_overrides_parse_by_field_type() -> None:
    from voxstudio.training.gan_task import train_config_with

    base = GANTrainConfig()
    changed = train_config_with(base, {"thin_weight": "4", "bf16": "off", "preview_every": "0"})
    assert changed.thin_weight == 4.0 and changed.bf16 is False and changed.preview_every == 0
    assert base.thin_weight == 0.0  # the original is not modified
    with pytest.raises(ValueError, match="unknown GAN training option 'thinweight'"):
        train_config_with(base, {"thinweight": "4"})
    with pytest.raises(ValueError, match="needs a int"):
        train_config_with(base, {"preview_every": "often"})


def test_fine_tune_starts_from_exported_generator_and_encoder(tmp_path) -> None:
    """build_task(init_weights=...) decodes exactly as the exported weights do before any step, then trains."""
    from voxstudio.core.errors import WeightsError
    from voxstudio.models.engine import VoxelEngine
    from voxstudio.training.gan_task import GANTaskOptions, build_task

    data = toy_gan_set()

    def options() -> GANTaskOptions:
        return GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(
            eval_per_class=0, posterior_prior_after=1, direction_samples=32, calibration_samples=0,
            preview_every=0, prior_refit_per_class=8))

    first = build_task(data, None, out_dir=tmp_path, options=options())
    x, y = torch.from_numpy(data.voxels[:8]).float(), torch.from_numpy(data.labels[:8])
    for step in range(2):
        first.train_step(x, y, step)
    first.export_weights(tmp_path / "w")
    engine = VoxelEngine.load(tmp_path / "w", device="cpu")

    tuned = build_task(data, None, out_dir=tmp_path / "ft", options=options(), init_weights=tmp_path / "w" / "gan")
    assert tuned.train_cfg.kl_warmup_steps == 0 and tuned.train_cfg.posterior_prior_after == 0
    # The baked prior is refitted at the next export.
    assert not any(hasattr(tuned.ema, name) for name in PRIOR_BUFFERS)
    e = np.random.default_rng(0).standard_normal((2, 16)).astype(np.float32)
    ids = np.array([0, 1])
    decoder_z = engine._generator.decoder_latent(torch.from_numpy(e), torch.from_numpy(ids))
    np.testing.assert_allclose(tuned.ema.sample(decoder_z, torch.from_numpy(ids)).numpy(),
                               engine.generate(e, ids), atol=1e-5)
    before = {k: v.clone() for k, v in tuned.generator.state_dict().items()}
    tuned.train_step(x, y, 0)
    assert any(not torch.equal(before[k], v) for k, v in tuned.generator.state_dict().items())
    tuned.export_weights(tmp_path / "w2")
    assert json.loads((tmp_path / "w2" / "gan.json").read_text())["init_weights"] == str(tmp_path / "w" / "gan")

    wider = GANTaskOptions(base_channels=8, latent_dim=16, train=GANTrainConfig(eval_per_class=0))
    with pytest.raises(WeightsError, match="another generator architecture"):
        build_task(data, None, out_dir=tmp_path / "x", options=wider, init_weights=tmp_path / "w" / "gan")


def test_cli_gan_option_errors_are_messages(tmp_path, capsys) -> None:
    from voxstudio.cli import main

    args = ["train", "gan", "--data", str(tmp_path), "--out", str(tmp_path / "r")]
    assert main([*args, "--gan-option", "nope"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert main([*args, "--gan-option", "thinweight=4"]) == 2
    assert "unknown GAN training option" in capsys.readouterr().err
    assert main(["train", "capsnet", "--data", str(tmp_path), "--out", str(tmp_path / "r"),
                 "--gan-option", "thin_weight=4"]) == 2
    assert "for gan training" in capsys.readouterr().err


def test_freeze_encoder_trains_the_generator_only(tmp_path) -> None:
    from voxstudio.training.gan_task import GANTaskOptions, build_task

    data = toy_gan_set()
    opts = GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(
        eval_per_class=0, direction_samples=32, calibration_samples=0, preview_every=0, freeze_encoder=True))
    task = build_task(data, None, out_dir=tmp_path, options=opts)
    encoder_before = {k: v.clone() for k, v in task.encoder.state_dict().items()}
    generator_before = {k: v.clone() for k, v in task.generator.state_dict().items()}
    x, y = torch.from_numpy(data.voxels[:8]).float(), torch.from_numpy(data.labels[:8])
    stats = task.train_step(x, y, 0)
    assert np.isfinite(stats["recon_bce"])
    assert all(torch.equal(encoder_before[k], v) for k, v in task.encoder.state_dict().items())
    assert any(not torch.equal(generator_before[k], v) for k, v in task.generator.state_dict().items())


def test_adv_weight_zero_trains_a_plain_vae_without_the_critic(tmp_path) -> None:
    """adv_weight 0 skips the critic's update and the prior samples, and still lowers the reconstruction loss."""
    from voxstudio.training.gan_task import GANTaskOptions, build_task

    data = toy_gan_set()
    opts = GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(
        eval_per_class=0, direction_samples=32, calibration_samples=0, preview_every=0, adv_weight=0.0,
        lr_g=2e-3))
    task = build_task(data, None, out_dir=tmp_path, options=opts)
    critic_before = {k: v.clone() for k, v in task.discriminator.state_dict().items()}
    x, y = torch.from_numpy(data.voxels[:8]).float(), torch.from_numpy(data.labels[:8])
    losses = [task.train_step(x, y, step)["recon_bce"] for step in range(12)]
    assert all(torch.equal(critic_before[k], v) for k, v in task.discriminator.state_dict().items())
    assert losses[-1] < losses[0]
    stats = task.train_step(x, y, 12)
    assert stats["d_loss"] == 0.0 and stats["g_adv"] == 0.0
