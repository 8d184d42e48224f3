"""The latent diffusion prior: what it learns, its ODE both ways, the generator's use of it and its files."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from voxstudio.models.gan import Generator
from voxstudio.models.latent_diffusion import DiffusionPriorConfig, LatentDiffusionPrior, WholenessCritic, alpha_bar
from voxstudio.training.diffusion_prior import distil_one_step, fit_diffusion_prior
from voxstudio.training.wholeness_critic import fit_wholeness_critic

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import toy_gan_set  # noqa: E402

D = 6


def _rings(n: int = 600, seed: int = 0) -> list[torch.Tensor]:
    """Class 0: a ring of radius 3 in the first two axes; class 1: a ring of radius 1.5 about (4, 0, 0, ...).

    A thin curve in a 6-D space, like the sheet furniture spans in the 128-D latent
    space: its mean and covariance put a Gaussian's mass everywhere inside the ring.
    """
    gen = torch.Generator().manual_seed(seed)
    rings = []
    for radius, centre in ((3.0, 0.0), (1.5, 4.0)):
        theta = torch.rand(n, generator=gen) * 2 * math.pi
        x = 0.03 * torch.randn(n, D, generator=gen)
        x[:, 0] += centre + radius * theta.cos()
        x[:, 1] += radius * theta.sin()
        rings.append(x)
    return rings


def _radius_error(z: torch.Tensor, radius: float, centre: float) -> torch.Tensor:
    return ((z[:, 0] - centre) ** 2 + z[:, 1] ** 2).sqrt().sub(radius).abs() + z[:, 2:].norm(dim=1)


@pytest.fixture(scope="module")
def ring_prior() -> LatentDiffusionPrior:
    config = DiffusionPriorConfig(latent_dim=D, num_classes=2, width=64, depth=2, sample_steps=20)
    return fit_diffusion_prior(_rings(), config, steps=1500, batch_size=128, lr=3e-3, seed=0)


def test_schedule_runs_from_signal_to_noise() -> None:
    a = alpha_bar(torch.tensor([0.0, 0.5, 1.0]))
    assert float(a[0]) > 0.999 and 0.3 < float(a[1]) < 0.7 and float(a[2]) < 1e-6


def test_config_round_trips_and_rejects_bad_sizes() -> None:
    config = DiffusionPriorConfig(latent_dim=8, num_classes=3, width=16, depth=1, sample_steps=5)
    assert DiffusionPriorConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ValueError):
        DiffusionPriorConfig(latent_dim=8, num_classes=3, sample_steps=0)
    guided = DiffusionPriorConfig(latent_dim=8, num_classes=3, critic_width=16, guidance=2.5)
    assert DiffusionPriorConfig.from_dict(json.loads(json.dumps(guided.to_dict()))) == guided
    with pytest.raises(ValueError, match="guidance needs a critic"):
        DiffusionPriorConfig(latent_dim=8, num_classes=3, guidance=1.0)


def test_samples_land_on_the_thin_set_a_gaussian_fills(ring_prior) -> None:
    e = torch.randn(400, D, generator=torch.Generator().manual_seed(1))
    for c, (radius, centre) in enumerate(((3.0, 0.0), (1.5, 4.0))):
        y = torch.full((len(e),), c)
        with torch.no_grad():
            z = ring_prior.sample(e, y)
        ring = _rings()[c]
        gaussian = ring.mean(0) + (e @ torch.linalg.cholesky(torch.cov(ring.T) + 1e-6 * torch.eye(D)).T)
        learnt, fitted = _radius_error(z, radius, centre).median(), _radius_error(gaussian, radius, centre).median()
        assert float(learnt) < 0.25 * radius, (c, float(learnt))
        assert float(learnt) < 0.35 * float(fitted), (c, float(learnt), float(fitted))
        # All around the ring, not one arc of it.
        angle = torch.atan2(z[:, 1], z[:, 0] - centre)
        assert torch.histc(angle, bins=8, min=-math.pi, max=math.pi).min() > 10


def test_the_map_is_deterministic_and_invertible(ring_prior) -> None:
    e = torch.randn(64, D, generator=torch.Generator().manual_seed(2))
    y = torch.arange(64) % 2
    with torch.no_grad():
        z = ring_prior.sample(e, y)
        torch.testing.assert_close(ring_prior.sample(e, y), z)
        back = ring_prior.invert(z, y)
        again = ring_prior.sample(back, y)
    # The same ODE run backwards: the decoder latent is reproduced closely.
    assert float((again - z).norm(dim=1).median()) < 0.05 * float(z.norm(dim=1).median())


def test_each_class_is_centred_and_scaled_to_unit_average_variance(ring_prior) -> None:
    for c, ring in enumerate(_rings()):
        torch.testing.assert_close(ring_prior.class_mean[c], ring.mean(0), atol=1e-4, rtol=0)
        x = ring_prior.normalise(ring, torch.full((len(ring),), c))
        assert float(x.pow(2).sum(1).mean() / D) == pytest.approx(1.0, rel=1e-3)
        torch.testing.assert_close(ring_prior.denormalise(x, torch.full((len(ring),), c)), ring, atol=1e-5, rtol=0)


def test_generator_decodes_through_the_prior_and_sliders_move_in_its_class_frame(ring_prior) -> None:
    g = Generator(num_classes=2, latent_dim=D, base_channels=4, embed_dim=4).eval()
    g.set_latent_diffusion(ring_prior)
    assert g.has_latent_diffusion and g.per_class_latents and not g.has_latent_mixture
    e = torch.randn(16, D, generator=torch.Generator().manual_seed(3))
    y = torch.arange(16) % 2
    offset = torch.tensor([0.3, -0.2, 0.0, 0.5, 0.0, 0.0])
    with torch.no_grad():
        z = g.decoder_latent(e, y)
        torch.testing.assert_close(z, ring_prior.sample(e, y))
        torch.testing.assert_close(g.input_latent(z, y), ring_prior.invert(z, y))
        # Sliders move the decoder latent in the class's whitened frame ...
        step = g.slider_step(offset.expand(16, D), y)
        torch.testing.assert_close(g.logits(e, y, offset), g.decode(z + step, y))
        # ... where the slider directions are fitted: in its coordinates the move is the offset itself.
        torch.testing.assert_close(g.slider_coordinates(z + step, y) - g.slider_coordinates(z, y),
                                   offset.expand(16, D), atol=1e-4, rtol=1e-4)
    # One unit is one standard deviation of the class's cloud along the direction: along the
    # ring's plane a unit move is the ring's spread, across it (where the ring is thin) far less.
    for c, ring in enumerate(_rings()):
        std = ring.std(0)
        cls = torch.full((2,), c)
        along, across = g.slider_step(torch.eye(D)[[0, 3]], cls).norm(dim=1)
        assert float(along) == pytest.approx(float(std[0]), rel=0.05)
        assert float(across) < 0.3 * float(along)
    with pytest.raises(ValueError, match="class ids"):
        g.decoder_latent(e)
    with pytest.raises(ValueError, match="classes"):
        Generator(num_classes=3, latent_dim=D, base_channels=4, embed_dim=4).set_latent_diffusion(ring_prior)
    # Setting a mixture (or an affine) replaces the diffusion prior.
    g.set_latent_affine(torch.zeros(D), torch.eye(D))
    assert not g.has_latent_diffusion and "latent_diffusion.inp.weight" not in g.state_dict()


def test_refit_writes_a_diffusion_prior_the_engine_loads(tmp_path) -> None:
    from voxstudio.data.dataset import write_dataset
    from voxstudio.models.engine import VoxelEngine, WeightsError
    from voxstudio.training.gan_task import GANTaskOptions, GANTrainConfig, build_task
    from voxstudio.training.refit_prior import main as refit_main

    data = toy_gan_set(n=48)
    opts = GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(
        eval_per_class=0, direction_samples=32, calibration_samples=0, preview_every=0, prior_refit_per_class=8))
    task = build_task(data, None, out_dir=tmp_path, options=opts)
    task.export_weights(tmp_path / "w")
    write_dataset(tmp_path / "data", {"train": (data.voxels, data.labels), "test": (data.voxels, data.labels)},
                  data.classes, 32, source="test")
    assert refit_main(["--weights", str(tmp_path / "w"), "--data", str(tmp_path / "data"), "--out",
                       str(tmp_path / "r"), "--prior", "diffusion", "--prior-steps", "20", "--distil-steps", "5",
                       "--distil-pairs", "64", "--refine-steps", "2", "--critic-samples", "16",
                       "--critic-steps", "5", "--guidance-target", "0.5", "--device", "cpu"]) == 0
    config = json.loads((tmp_path / "r" / "gan.json").read_text())
    assert config["latent_prior"]["kind"] == "latent_diffusion_per_class" and config["latent_prior"]["steps"] == 20
    assert config["latent_prior"]["network"]["one_step"] == 1 and config["latent_prior"]["distil_steps"] == 5
    assert config["latent_prior"]["network"]["refine_steps"] == 2
    assert config["latent_prior"]["network"]["guidance"] > 0 and config["latent_prior"]["critic_steps"] == 5
    assert config["latent_prior"]["critic_rounds"] == 2 and config["latent_prior"]["guidance_target"] == 0.5
    assert len(config["latent_prior"]["network"]["class_guidance"]) == 2  # calibrated per class
    engine = VoxelEngine.load(tmp_path / "r", device="cpu")
    g = engine._generator
    assert g.has_latent_diffusion and g.latent_diffusion.config.latent_dim == 16 and g.latent_diffusion.student is not None
    assert g.latent_diffusion.critic is not None
    e = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32)
    ids = np.array([0, 1, 0, 1])
    with torch.no_grad():
        z = g.decoder_latent(torch.from_numpy(e), torch.from_numpy(ids))
    # The decoder is the exported one; the prior maps the app's latents onto its inputs.
    np.testing.assert_allclose(engine.generate(e, ids), task.ema.sample(z, torch.from_numpy(ids)).numpy(), atol=1e-5)
    assert engine.invert(data.voxels[0], int(data.labels[0]), steps=2, restarts=1).shape == (16,)
    moved = engine.generate(e[0], 1, offset=engine.slider_offset(np.ones(len(engine.directions))))
    assert moved.shape == (32, 32, 32) and not np.allclose(moved, engine.generate(e[0], 1))

    # A diffusion prior without its network description is a clear error, not a crash.
    del config["latent_prior"]["network"]
    (tmp_path / "r" / "gan.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="latent_prior.network"):
        VoxelEngine.load(tmp_path / "r", device="cpu")


def test_one_step_student_reproduces_the_ode(ring_prior) -> None:
    student_prior = distil_one_step(ring_prior, pairs_per_class=2048, steps=600, batch_size=256, lr=3e-3)
    assert student_prior.config.one_step == 1 and ring_prior.config.one_step == 0
    e = torch.randn(300, D, generator=torch.Generator().manual_seed(8))
    y = torch.arange(300) % 2
    with torch.inference_mode():
        taught, learnt = ring_prior.sample_ode(e, y), student_prior.sample(e, y)
        # The teacher's network and ODE are carried over unchanged.
        torch.testing.assert_close(student_prior.sample_ode(e, y), taught)
    spread = (taught - ring_prior.class_mean[y]).norm(dim=1)
    assert float(((learnt - taught).norm(dim=1) / spread).median()) < 0.1
    for c, (radius, centre) in enumerate(((3.0, 0.0), (1.5, 4.0))):
        assert float(_radius_error(learnt[y == c], radius, centre).median()) < 0.25 * radius
    # Refined: the student's answer re-noised with the input latent and finished by two teacher steps.
    refined = copy.deepcopy(student_prior)
    refined.config = dataclasses.replace(refined.config, refine_steps=2)
    with torch.inference_mode():
        finished = refined.sample(e, y)
        torch.testing.assert_close(refined.sample(e, y), finished)  # deterministic
    assert not torch.allclose(finished, learnt)
    assert float(((finished - taught).norm(dim=1) / spread).median()) < 0.15
    for c, (radius, centre) in enumerate(((3.0, 0.0), (1.5, 4.0))):
        assert float(_radius_error(finished[y == c], radius, centre).median()) < 0.25 * radius
    # Its weights travel with the prior's: a fresh one-step prior loads them.
    fresh = LatentDiffusionPrior(student_prior.config)
    fresh.load_state_dict(student_prior.state_dict())
    with torch.inference_mode():
        torch.testing.assert_close(fresh.sample(e, y), learnt)


def _upper_half(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The toy stand-in for "decodes in one piece": the half of each ring above its centre line."""
    return (z[:, 1] > 0).float()


@pytest.fixture(scope="module")
def ring_critic(ring_prior) -> WholenessCritic:
    # Label the prior's own samples, as refit_prior does with the decoder, and fit the critic.
    e = torch.randn(2000, D, generator=torch.Generator().manual_seed(11))
    y = torch.arange(2000) % 2
    with torch.inference_mode():
        x = ring_prior._ode(e, y, ring_prior._times(e.device))
    whole = _upper_half(ring_prior.denormalise(x, y), y)
    return fit_wholeness_critic(x, y, whole, num_classes=2, width=32, steps=400, batch_size=256, lr=3e-3)


def test_a_wholeness_critic_guides_the_ode_to_what_it_labels_whole(ring_prior, ring_critic) -> None:
    critic = ring_critic
    guided = copy.deepcopy(ring_prior)
    guided.attach_critic(critic, guidance=2.0)
    assert guided.config.critic_width == 32 and guided.config.guidance == 2.0

    test = torch.randn(400, D, generator=torch.Generator().manual_seed(12))
    ty = torch.arange(400) % 2
    with torch.inference_mode():  # the app samples in inference mode: guidance takes its gradient anyway
        plain, steered = ring_prior.sample(test, ty), guided.sample(test, ty)
        torch.testing.assert_close(guided.sample(test, ty), steered)  # still deterministic
    before, after = float(_upper_half(plain, ty).mean()), float(_upper_half(steered, ty).mean())
    assert 0.35 < before < 0.65 and after > 0.85, (before, after)
    for c, (radius, centre) in enumerate(((3.0, 0.0), (1.5, 4.0))):  # moved along the ring, not off it
        assert float(_radius_error(steered[ty == c], radius, centre).median()) < 0.25 * radius
    # The inverse is the unguided ODE's (guidance only steers the forward direction).
    with torch.inference_mode():
        torch.testing.assert_close(guided.invert(plain, ty), ring_prior.invert(plain, ty))

    # A student distilled from the guided ODE learns the steered map, and the critic travels with the weights.
    student = distil_one_step(guided, pairs_per_class=2048, steps=600, batch_size=256, lr=3e-3)
    fresh = LatentDiffusionPrior(student.config)
    fresh.load_state_dict(student.state_dict())
    with torch.inference_mode():
        learnt = fresh.sample(test, ty)
        torch.testing.assert_close(fresh.sample_ode(test, ty), steered)
    assert float(_upper_half(learnt, ty).mean()) > 0.8

    # The critic's term in the distillation loss steers the student on its own: an unguided ODE's
    # student, half in the upper half, moves there when the term weighs in.
    unguided = copy.deepcopy(ring_prior)
    unguided.attach_critic(critic, guidance=0.0)
    plain = distil_one_step(unguided, pairs_per_class=2048, steps=400, batch_size=256, lr=3e-3)
    steered = distil_one_step(unguided, pairs_per_class=2048, steps=400, batch_size=256, lr=3e-3, critic_weight=1.0)
    with torch.inference_mode():
        plain_share = float(_upper_half(plain.sample(test, ty), ty).mean())
        steered_share = float(_upper_half(steered.sample(test, ty), ty).mean())
    assert plain_share < 0.65 and steered_share > plain_share + 0.15, (plain_share, steered_share)


def test_the_critic_needs_one_label_per_latent() -> None:
    with pytest.raises(ValueError, match="as many"):
        fit_wholeness_critic(torch.zeros(4, D), torch.zeros(4, dtype=torch.long), torch.zeros(3), num_classes=1)


def test_whole_latents_keeps_what_the_decoder_draws_in_one_piece(monkeypatch) -> None:
    from voxstudio.training import wholeness_critic
    from voxstudio.training.gan_metrics import is_one_piece

    g = Generator(num_classes=2, latent_dim=D, base_channels=4, embed_dim=4).eval()
    latents = torch.randn(80, D, generator=torch.Generator().manual_seed(13)) * 3
    # decodes_whole is the thresholded decoder's one-piece test, batch by batch.
    expected = [is_one_piece(grid) for grid in (g.sample(latents, 1) > 0.5).numpy()]
    assert wholeness_critic.decodes_whole(g, latents, 1, batch_size=7).tolist() == expected
    # A class keeps its whole latents, or all of them when too few decode whole to fit a prior on.
    masks = {0: np.arange(80) % 4 != 0, 1: np.arange(80) < 3}
    monkeypatch.setattr(wholeness_critic, "decodes_whole", lambda _g, _z, class_id: masks[class_id])
    kept = wholeness_critic.whole_latents(g, [latents, latents + 1])
    torch.testing.assert_close(kept[0], latents[torch.from_numpy(masks[0])])
    torch.testing.assert_close(kept[1], latents + 1)


def test_the_guiding_critic_learns_in_rounds_from_its_own_guided_samples(ring_prior, monkeypatch) -> None:
    from voxstudio.training import wholeness_critic

    labelled: list[float] = []

    def upper_half_is_whole(_generator, latents, class_id):
        whole = (latents[:, 1] > 0).numpy()
        labelled.append(float(whole.mean()))
        return whole

    monkeypatch.setattr(wholeness_critic, "decodes_whole", upper_half_is_whole)
    monkeypatch.setattr(wholeness_critic, "fit_wholeness_critic", functools.partial(
        wholeness_critic.fit_wholeness_critic, width=32, batch_size=256, lr=3e-3))
    prior = copy.deepcopy(ring_prior)
    messages: list[str] = []
    critic = wholeness_critic.fit_guiding_critic(prior, None, 600, guidance=2.0, rounds=2, steps=300,
                                                 log=messages.append)
    assert prior.critic is critic and prior.config.guidance == 2.0
    # Round 1 labels the unguided ODE (about half whole), round 2 the ODE guided by round 1's critic.
    assert len(labelled) == 4 and all(0.35 < share < 0.65 for share in labelled[:2]), labelled
    assert all(share > 0.85 for share in labelled[2:]), labelled
    assert any("round 2/2" in m and "guided at 2" in m for m in messages)
    with pytest.raises(ValueError, match="rounds"):
        wholeness_critic.fit_guiding_critic(prior, None, 10, guidance=2.0, rounds=0)


def test_guidance_can_differ_per_class(ring_prior, ring_critic) -> None:
    config = DiffusionPriorConfig(latent_dim=8, num_classes=2, critic_width=4, class_guidance=(0.0, 3.5))
    assert config.guides and DiffusionPriorConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    for bad in ((1.0,), (1.0, -1.0)):
        with pytest.raises(ValueError, match="class_guidance|guidance"):
            DiffusionPriorConfig(latent_dim=8, num_classes=2, critic_width=4, class_guidance=bad)
    with pytest.raises(ValueError, match="needs a critic"):
        DiffusionPriorConfig(latent_dim=8, num_classes=2, class_guidance=(0.0, 1.0))

    # Class 0 guided, class 1 not: class 1's samples are the unguided ODE's to the bit.
    test = torch.randn(400, D, generator=torch.Generator().manual_seed(12))
    ty = torch.arange(400) % 2
    guided = copy.deepcopy(ring_prior)
    guided.attach_critic(ring_critic, [2.0, 0.0])
    assert guided.config.class_guidance == (2.0, 0.0) and guided.config.guidance == 2.0
    torch.testing.assert_close(guided.guidance_scales(ty[:3]), torch.tensor([[2.0], [0.0], [2.0]]))
    with torch.inference_mode():
        plain, steered = ring_prior.sample(test, ty), guided.sample(test, ty)
    torch.testing.assert_close(steered[ty == 1], plain[ty == 1])
    assert float(_upper_half(steered[ty == 0], ty[ty == 0]).mean()) > 0.85
    # A student distilled from it keeps the scales in its config (and so in gan.json).
    student = distil_one_step(guided, pairs_per_class=64, steps=2, batch_size=32)
    assert student.config.class_guidance == (2.0, 0.0)


def test_calibration_gives_each_class_the_smallest_scale_that_draws_it_whole(ring_prior, ring_critic,
                                                                            monkeypatch) -> None:
    from voxstudio.training import wholeness_critic

    monkeypatch.setattr(wholeness_critic, "decodes_whole",
                        lambda _g, latents, class_id: _upper_half(latents, None).numpy() > 0.5)
    prior = copy.deepcopy(ring_prior)
    prior.attach_critic(ring_critic, 1.0)
    before = prior.config

    def calibrate(target: float) -> list[float]:
        return wholeness_critic.calibrate_class_guidance(prior, None, scales=(2.0, 0.01), target=target, per_class=200)

    # Unguided, about half of each ring is "whole"; guided at 2, nearly all of it.
    assert calibrate(0.3) == [0.01, 0.01]
    assert calibrate(0.8) == [2.0, 2.0]
    assert calibrate(1.01) == [2.0, 2.0]  # unreachable: the scale that drew the most whole
    assert prior.config == before
    with pytest.raises(ValueError, match="critic"):
        wholeness_critic.calibrate_class_guidance(ring_prior, None)
