"""The per-class Gaussian-mixture latent prior: the map from N(0, I), its inverse, the fit and the export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from voxstudio.models.gan import MIXTURE_BUFFERS, Generator
from voxstudio.models.latent_mixture import check_mixture, component_of, mixture_decoder_latent
from voxstudio.training.latent_prior import fit_class_mixtures, fit_gaussian_mixture, mixture_buffers

sys.path.insert(0, str(Path(__file__).parent))
from tiny_task import toy_gan_set  # noqa: E402


def _two_clusters(n: int = 400, d: int = 6, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Points from 0.25 N(-5 e0, 0.5 I) + 0.75 N(+5 e0, I) and the true cluster of each."""
    gen = torch.Generator().manual_seed(seed)
    which = (torch.rand(n, generator=gen) < 0.75).long()
    centre = torch.zeros(2, d, dtype=torch.float64)
    centre[0, 0], centre[1, 0] = -5.0, 5.0
    spread = torch.tensor([0.5, 1.0], dtype=torch.float64)
    x = centre[which] + spread[which, None] * torch.randn(n, d, generator=gen, dtype=torch.float64)
    return x, which


def test_em_recovers_two_separated_clusters() -> None:
    x, which = _two_clusters()
    weights, means, covs = fit_gaussian_mixture(x, components=2, shrink=0.0)
    order = torch.argsort(means[:, 0])
    weights, means, covs = weights[order], means[order], covs[order]
    assert abs(float(weights[1]) - float(which.float().mean())) < 1e-6  # every point assigned to its cloud
    assert means[0, 0] == pytest.approx(-5.0, abs=0.2) and means[1, 0] == pytest.approx(5.0, abs=0.2)
    assert float(covs[0].diagonal().mean()) == pytest.approx(0.25, rel=0.25)
    assert float(covs[1].diagonal().mean()) == pytest.approx(1.0, rel=0.25)


def test_small_sets_get_fewer_components() -> None:
    x, _ = _two_clusters(n=20)
    weights, means, covs = fit_gaussian_mixture(x, components=8)
    assert len(weights) == 2 and means.shape == (2, 6) and covs.shape == (2, 6, 6)
    with pytest.raises(ValueError, match="at least 2"):
        fit_gaussian_mixture(x[:1])


def test_buffers_keep_all_but_the_weakest_axis_and_order_components() -> None:
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(3, 5, 5, generator=gen, dtype=torch.float64)
    covs = a @ a.transpose(1, 2) + 0.1 * torch.eye(5, dtype=torch.float64)
    means = torch.tensor([[3.0, 0, 0, 0, 0], [-3.0, 0, 0, 0, 0], [0.0, 0, 0, 0, 0]], dtype=torch.float64)
    weights = torch.tensor([0.2, 0.5, 0.3], dtype=torch.float64)
    m, t, cut = mixture_buffers(weights, means, covs)
    assert t.shape == (3, 5, 4) and cut.shape == (3,)
    # Ordered along the main axis of the means (either direction): the middle one stays in the middle.
    assert torch.equal(m[1], means[2])
    assert torch.allclose(cut, torch.cumsum(weights[torch.tensor([1, 2, 0])], 0)) or torch.allclose(
        cut, torch.cumsum(weights[torch.tensor([0, 2, 1])], 0))
    for k in range(3):
        original = int(torch.nonzero((means == m[k]).all(1))[0])
        eigenvalues = torch.linalg.eigvalsh(covs[original])
        recovered = torch.linalg.eigvalsh(t[k] @ t[k].T)
        # Same spectrum, with the smallest eigenvalue dropped (zero).
        assert torch.allclose(recovered[1:], eigenvalues[1:], rtol=1e-6)
        assert float(recovered[0]) == pytest.approx(0.0, abs=1e-9)


def _mixture_generator(components: int = 4, flat_axis: bool = False) -> tuple[Generator, torch.Tensor, torch.Tensor,
                                                                            torch.Tensor]:
    """A generator whose latents map onto mixtures fitted to two clouds (class 1: a smaller copy).

    ``flat_axis``: the clouds hardly vary along their last axis, as encoded shapes hardly vary
    along their weakest one (the axis each component leaves out).
    """
    torch.manual_seed(0)
    g = Generator(num_classes=2, latent_dim=6, base_channels=4, embed_dim=4)
    x, _ = _two_clusters()
    if flat_axis:
        x[:, -1] *= 1e-3
    encoded = [(x, torch.full_like(x, 0.01)), (x[:40] * 0.5, torch.full_like(x[:40], 0.01))]
    means, transforms, cutoffs = fit_class_mixtures(encoded, components=components)
    g.set_latent_mixture(means, transforms, cutoffs)
    return g, means, transforms, cutoffs


def test_first_coordinate_picks_components_with_their_weights() -> None:
    g, means, transforms, cutoffs = _mixture_generator()
    assert g.has_latent_mixture and g.per_class_latents and not hasattr(g, "latent_mean")
    e = torch.randn(20000, 6, generator=torch.Generator().manual_seed(3))
    y = torch.zeros(len(e), dtype=torch.long)
    picked = component_of(e[:, 0], cutoffs[y])
    share = torch.bincount(picked, minlength=cutoffs.shape[1]).float() / len(e)
    weights = torch.diff(cutoffs[0], prepend=torch.zeros(1))
    assert torch.allclose(share, weights, atol=0.015)
    # Inside a component the map is affine in e[1:].
    z = g.decoder_latent(e[:5], y[:5])
    k = picked[:5]
    expected = means[0, k] + torch.einsum("bij,bj->bi", transforms[0, k], e[:5, 1:])
    torch.testing.assert_close(z, expected)
    # Samples are as spread as the data they were fitted on.
    x, _ = _two_clusters()
    assert float(g.decoder_latent(e, y)[:, 0].mean()) == pytest.approx(float(x[:, 0].mean()), abs=0.2)


def test_input_latent_inverts_the_map() -> None:
    # Two components on two separated clouds: every point has one likely component. (Where fitted
    # components overlap, the inverse picks the likelier one, which decodes to the same point.)
    g, _, _, cutoffs = _mixture_generator(components=2)
    e = torch.randn(64, 6, generator=torch.Generator().manual_seed(4))
    y = torch.arange(64) % 2
    z = g.decoder_latent(e, y)
    back = g.input_latent(z, y)
    # Same component, same position inside it; e[0] becomes the middle of the component's interval.
    assert torch.equal(component_of(back[:, 0], cutoffs[y]), component_of(e[:, 0], cutoffs[y]))
    torch.testing.assert_close(back[:, 1:], e[:, 1:], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(g.decoder_latent(back, y), z, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="class ids"):
        g.decoder_latent(e)


def test_mixture_replaces_affine_and_is_validated() -> None:
    g, means, transforms, cutoffs = _mixture_generator()
    g.set_latent_affine(torch.zeros(6), torch.eye(6))
    assert not g.has_latent_mixture and hasattr(g, "latent_mean")
    g.set_latent_mixture(means, transforms, cutoffs)
    assert not hasattr(g, "latent_mean") and all(name in g.state_dict() for name in MIXTURE_BUFFERS)
    with pytest.raises(ValueError, match="transforms"):
        check_mixture(means, transforms[..., :-1], cutoffs, num_classes=2, latent_dim=6)
    with pytest.raises(ValueError, match="end at 1"):
        check_mixture(means, transforms, cutoffs * 0.5, num_classes=2, latent_dim=6)
    with pytest.raises(ValueError, match="C=3"):
        check_mixture(means, transforms, cutoffs, num_classes=3, latent_dim=6)


def test_decoder_latent_gradient_reaches_the_shape_coordinates() -> None:
    g, means, transforms, cutoffs = _mixture_generator()
    e = torch.randn(3, 6, requires_grad=True)
    y = torch.tensor([0, 1, 0])
    mixture_decoder_latent(e, y, means, transforms, cutoffs).sum().backward()
    assert e.grad is not None and bool((e.grad[:, 1:] != 0).any()) and bool((e.grad[:, 0] == 0).all())


def test_export_and_refit_write_a_mixture_the_engine_decodes(tmp_path) -> None:
    """GANTask exports the mixture by default; refit_prior rewrites it for exported weights; the engine uses it."""
    from voxstudio.data.dataset import write_dataset
    from voxstudio.models.engine import VoxelEngine
    from voxstudio.training.gan_task import GANTaskOptions, GANTrainConfig, build_task
    from voxstudio.training.refit_prior import main as refit_main

    data = toy_gan_set(n=48)  # 24 shapes per class: room for 3 components of 8
    opts = GANTaskOptions(base_channels=4, latent_dim=16, train=GANTrainConfig(
        eval_per_class=0, posterior_prior_after=1, direction_samples=32, calibration_samples=0, preview_every=0,
        prior_refit_per_class=8, prior_components=2))
    task = build_task(data, None, out_dir=tmp_path, options=opts)
    x, y = torch.from_numpy(data.voxels[:8]).float(), torch.from_numpy(data.labels[:8])
    task.train_step(x, y, 0)
    task.export_weights(tmp_path / "w")
    engine = VoxelEngine.load(tmp_path / "w", device="cpu")
    g = engine._generator
    assert g.has_latent_mixture and g.mixture_means.shape == (2, 2, 16)
    e = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32)
    ids = np.array([0, 1, 0, 1])
    z = g.decoder_latent(torch.from_numpy(e), torch.from_numpy(ids))
    np.testing.assert_allclose(engine.generate(e, ids), task.ema.sample(z, torch.from_numpy(ids)).numpy(), atol=1e-5)
    assert engine.invert(data.voxels[0], int(data.labels[0]), steps=2, restarts=1).shape == (16,)

    write_dataset(tmp_path / "data", {"train": (data.voxels, data.labels), "test": (data.voxels, data.labels)},
                  data.classes, 32, source="test")
    assert refit_main(["--weights", str(tmp_path / "w"), "--data", str(tmp_path / "data"), "--out",
                       str(tmp_path / "r"), "--prior", "mixture", "--components", "3",
                       "--device", "cpu"]) == 0
    config = json.loads((tmp_path / "r" / "gan.json").read_text())
    assert config["latent_prior"]["components"] == 3 and config["latent_prior"]["shapes"] == 48
    refitted = VoxelEngine.load(tmp_path / "r", device="cpu")
    assert refitted._generator.mixture_cutoffs.shape == (2, 3)
    assert refitted.directions.shape == engine.directions.shape
    # The networks are unchanged: the refit decodes a given decoder latent exactly as before.
    torch.testing.assert_close(refitted._generator.sample(z, torch.from_numpy(ids)), g.sample(z, torch.from_numpy(ids)))


def test_refit_errors_are_messages(tmp_path, capsys) -> None:
    from voxstudio.training.refit_prior import main as refit_main

    assert refit_main(["--weights", str(tmp_path / "none"), "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_mixture_moments_match_samples() -> None:
    g, means, transforms, cutoffs = _mixture_generator()
    e = torch.randn(40000, 6, generator=torch.Generator().manual_seed(5))
    y = torch.zeros(len(e), dtype=torch.long)
    z = g.decoder_latent(e, y).double()
    torch.testing.assert_close(g.slider_frame()[0][0].double(), z.mean(0), atol=0.06, rtol=0)
    cov = g.slider_frame()[1][0].double() @ g.slider_frame()[1][0].double().T
    torch.testing.assert_close(cov, torch.cov(z.T), atol=0.25, rtol=0.05)


def test_slider_moves_are_the_same_change_in_every_component() -> None:
    """A slider offset moves the decoder latent by L_c @ offset, whichever component a seed is in."""
    g, _, _, cutoffs = _mixture_generator(flat_axis=True)
    e = torch.randn(32, 6, generator=torch.Generator().manual_seed(6))
    y = torch.arange(32) % 2
    assert len(set(component_of(e[:, 0], cutoffs[y]).tolist())) > 2
    offset = torch.tensor([0.5, -1.0, 0.0, 0.25, 0.3, 0.2])
    step = g.slider_step(offset.expand(len(e), 6), y)
    torch.testing.assert_close(step, torch.einsum("bij,j->bi", g.slider_frame()[1][y], offset))
    # The generator draws the moved decoder latent ...
    with torch.no_grad():
        torch.testing.assert_close(g.logits(e, y, offset), g.decode(g.decoder_latent(e, y) + step, y))
    # ... and in slider-frame coordinates the move is the offset itself, on every axis.
    z = g.decoder_latent(e, y)
    torch.testing.assert_close(g.slider_coordinates(z + step, y) - g.slider_coordinates(z, y),
                               offset.expand(len(e), 6), atol=1e-4, rtol=1e-4)


def test_without_a_mixture_sliders_move_the_input_latent() -> None:
    """No prior, or an affine one: a slider move is the same as moving the input latent by the offset."""
    e = torch.randn(8, 6, generator=torch.Generator().manual_seed(9))
    y = torch.arange(8) % 2
    offset = torch.tensor([0.5, -1.0, 0.0, 0.25, 0.3, 0.2])
    plain = Generator(num_classes=2, latent_dim=6, base_channels=4, embed_dim=4).eval()
    affine = Generator(num_classes=2, latent_dim=6, base_channels=4, embed_dim=4).eval()
    gen = torch.Generator().manual_seed(10)
    affine.set_latent_affine(torch.randn(2, 6, generator=gen), torch.randn(2, 6, 6, generator=gen) + 3 * torch.eye(6))
    for g in (plain, affine):
        with torch.no_grad():
            torch.testing.assert_close(g.logits(e, y, offset), g.logits(e + offset, y), atol=1e-4, rtol=1e-4)
        z = g.decoder_latent(e, y)
        torch.testing.assert_close(g.slider_coordinates(z + g.slider_step(offset.expand(8, 6), y), y),
                                   e + offset, atol=1e-4, rtol=1e-4)


def test_engine_sliders_act_in_the_class_frame_under_a_mixture() -> None:
    from voxstudio.models.engine import VoxelEngine
    from voxstudio.models.sliders import NamedSlider, SliderSet

    engine = VoxelEngine.random_init(classes=["box", "slab"], seed=0)
    g = engine._generator
    d = g.latent_dim
    gen = torch.Generator().manual_seed(7)
    # Components spread in a common hyperplane, as fitted ones are nearly flat along the axis they leave out.
    basis = torch.linalg.qr(torch.randn(d, d, generator=gen)).Q[:, : d - 1]
    means = torch.randn(2, 3, d - 1, generator=gen) @ basis.T
    transforms = basis @ (0.5 * torch.randn(2, 3, d - 1, d - 1, generator=gen) / d**0.5)
    g.set_latent_mixture(means, transforms, torch.tensor([[0.2, 0.7, 1.0], [0.5, 0.8, 1.0]]))
    z = engine.latent_for_seed(3)
    values = np.zeros(len(engine.directions), np.float32)
    values[0] = 1.5
    offset = engine.slider_offset(values)
    np.testing.assert_allclose(offset, 1.5 * engine.direction_scales[0] * engine.directions[0], rtol=1e-6)
    np.testing.assert_array_equal(engine.generate(z, 1, offset=np.zeros_like(offset)), engine.generate(z, 1))
    y = torch.tensor([1])

    def drawn_with(step: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            latent = g.decoder_latent(torch.from_numpy(z)[None], y) + step
            return torch.sigmoid(g.decode(latent, y))[0].numpy()

    expected = g.slider_frame()[1][1] @ torch.from_numpy(offset)
    np.testing.assert_allclose(engine.generate(z, 1, offset=offset), drawn_with(expected), atol=1e-5)
    with pytest.raises(ValueError, match="slider"):
        engine.slider_offset(np.zeros(len(values) + 1))
    with pytest.raises(ValueError, match="offset"):
        engine.generate(z, 1, offset=np.zeros(d + 1, np.float32))

    direction = np.zeros(d, np.float32)
    direction[2] = 1.0
    engine.named_sliders = SliderSet(latent_dim=d, classes={"slab": (
        NamedSlider("Height", "height", "tip", direction, -2.0, 2.0, {}, ()),)}, generator_sha256=None, info={})
    assert not np.any(engine.named_slider_offset(1, {"Height": 0.0}))
    named = engine.named_slider_offset(1, {"Height": 5.0})  # clamped to the range's end, 2.0
    np.testing.assert_allclose(named, 2.0 * direction)
    np.testing.assert_allclose(engine.generate(z, 1, offset=named), drawn_with(2.0 * g.slider_frame()[1][1][:, 2]),
                               atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_mixture_prior_runs_on_cuda() -> None:
    g, _, _, _ = _mixture_generator(flat_axis=True)
    e = torch.randn(8, 6)
    y = torch.arange(8) % 2
    offset = torch.tensor([0.5, 0.0, 0.2, 0.0, 0.1, 0.0])
    on_cpu = (g.decoder_latent(e, y), g.input_latent(g.decoder_latent(e, y), y), g.slider_step(offset.expand(8, 6), y))
    g.cuda()
    on_gpu = (g.decoder_latent(e.cuda(), y.cuda()), g.input_latent(g.decoder_latent(e.cuda(), y.cuda()), y.cuda()),
              g.slider_step(offset.cuda().expand(8, 6), y.cuda()))
    for a, b in zip(on_cpu, on_gpu):
        torch.testing.assert_close(b.cpu(), a, atol=1e-3, rtol=1e-3)
