"""The shipped named sliders move their attribute on the shipped generator (measured, several seeds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from voxstudio import paths
from voxstudio.data.attributes import CLASS_ATTRIBUTES, class_attribute_table, measure_extents
from voxstudio.data.procedural import generate_shape
from voxstudio.models.engine import VoxelEngine
from voxstudio.models.sliders import SLIDERS_FILE

torch.set_num_threads(1)

SEEDS = range(12)
_EXTENTS = ("height", "width", "depth")

pytestmark = pytest.mark.skipif(not (paths.weights_dir() / SLIDERS_FILE).exists(),
                                reason="weights/sliders.json not shipped")


@pytest.fixture(scope="module")
def engine() -> VoxelEngine:
    return VoxelEngine.load(device="cpu")


def _ends(engine: VoxelEngine, class_name: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Thresholded shapes of SEEDS at the slider's low and high end."""
    assert engine.named_sliders is not None
    slider = engine.named_sliders.find(class_name, name)
    class_id = engine.classes.index(class_name)
    out = []
    for value in (slider.low, slider.high):
        z = np.stack([engine.latent_for_seed(s) for s in SEEDS])
        offset = engine.named_slider_offset(class_id, {name: value})
        out.append(engine.generate(z, np.full(len(z), class_id), offset=offset) > 0.5)
    return out[0], out[1]


def test_shipped_file_fits_the_shipped_generator(engine: VoxelEngine) -> None:
    assert engine.named_sliders is not None, engine.named_sliders_problem
    sliders = engine.named_sliders
    assert sliders.generator_sha256 == engine.configs["gan"]["weights_file"]["sha256"]
    assert set(sliders.classes) == set(engine.classes)
    total = 0
    for class_name in engine.classes:
        for slider in sliders.sliders(class_name):
            total += 1
            assert slider.attribute in CLASS_ATTRIBUTES[class_name]
            assert slider.tooltip.startswith(slider.name) and -3.0 <= slider.low < 0 < slider.high <= 3.0
            figures = slider.figures
            assert figures["right_way"] >= 0.75 and figures["change_std"] >= 0.5
            # calibrated: both ends as plausible as the unmoved shapes, within 10 points
            for key in ("agreement", "one_piece"):
                assert min(figures[key]["low"], figures[key]["high"]) >= figures[key]["centre"] - 0.10 - 1e-9
    assert total >= 24
    # Sliders move the decoder latent in the class's whitened frame, which carries a chair's style
    # switches (backrest, padding) as well as its build; weights/README.md, "Named sliders".
    assert {"Backrest", "Padding", "Seat height", "Back tilt"} <= set(sliders.names("chair"))


def test_extent_sliders_move_the_measured_extent(engine: VoxelEngine) -> None:
    """Every Height / Width / Depth slider: measured straight from the voxels, high end > low end."""
    checked = 0
    assert engine.named_sliders is not None
    for class_name in engine.classes:
        for slider in engine.named_sliders.sliders(class_name):
            if slider.attribute not in _EXTENTS:
                continue
            low, high = _ends(engine, class_name, slider.name)
            axis = _EXTENTS.index(slider.attribute)
            lo = measure_extents(low, min_voxels=3)[:, axis]
            hi = measure_extents(high, min_voxels=3)[:, axis]
            assert hi.mean() > lo.mean() + 1.0, (class_name, slider.name, lo, hi)
            # Shapes span at most R - 2 voxels (the data's framing): one already that wide at the low
            # end cannot get wider, so the share is taken over the shapes that can move.
            movable = lo < low.shape[1] - 2
            assert movable.mean() >= 0.5 and (hi > lo)[movable].mean() >= 0.7, (class_name, slider.name, lo, hi)
            checked += 1
    assert checked >= 4


def _voxel_regressor(class_name: str, attribute: str):
    """Ridge on 2^3-pooled grids of procedural shapes (other seeds than the fit's) -> attribute."""
    seeds = list(range(5_000, 5_300))
    grids = np.stack([generate_shape(class_name, s) for s in seeds])
    y = class_attribute_table(class_name, seeds)[:, CLASS_ATTRIBUTES[class_name].index(attribute)].astype(float)
    keep = np.isfinite(y)

    def pooled(g: np.ndarray) -> np.ndarray:
        n = g.shape[0]
        return g.reshape(n, 16, 2, 16, 2, 16, 2).mean(axis=(2, 4, 6)).reshape(n, -1).astype(float)

    x = pooled(grids[keep])
    mx, my = x.mean(0), y[keep].mean()
    xc = x - mx
    w = xc.T @ np.linalg.solve(xc @ xc.T + 10.0 * np.eye(len(xc)), y[keep] - my)
    return lambda g: pooled(g) @ w + my - mx @ w


@pytest.mark.parametrize(("class_name", "name"), [("chair", "Backrest"), ("chair", "Seat height"),
                                                  ("bed", "Headboard"), ("table", "Coffee table")])
def test_part_sliders_move_their_part(engine: VoxelEngine, class_name: str, name: str) -> None:
    assert engine.named_sliders is not None
    if name not in engine.named_sliders.names(class_name):
        pytest.skip(f"{name} not among the shipped {class_name} sliders")
    slider = engine.named_sliders.find(class_name, name)
    low, high = _ends(engine, class_name, name)
    predict = _voxel_regressor(class_name, slider.attribute)
    lo, hi = predict(low), predict(high)
    assert (hi > lo).mean() >= 0.75, (lo, hi)
    assert hi.mean() > lo.mean()


def test_fitting_writes_a_loadable_file_that_keeps_only_checked_sliders(tmp_path) -> None:
    """A small fit of one class on the shipped weights: the pipeline end to end, in seconds."""
    from voxstudio.models.sliders import load_sliders, save_sliders
    from voxstudio.training.fit_sliders import FitConfig, fit_sliders

    config = FitConfig(shapes_per_class=120, check_samples=16, alphas=(2.0, 1.0))
    lines: list[str] = []
    sliders = fit_sliders(None, ["laptop"], config, log=lines.append)
    path = save_sliders(tmp_path / "sliders.json", sliders)
    loaded = load_sliders(path, latent_dim=128)
    assert loaded.sliders("laptop")
    # the lid angle is read from the latent almost exactly and moves on the generator for every seed
    assert any(line.split()[:2] == ["lid_angle", "probe"] and line.endswith("kept") for line in lines), lines
    for slider in loaded.sliders("laptop"):
        assert slider.figures["change_std"] >= config.min_effect and slider.figures["right_way"] >= config.min_sign
        assert slider.low in (-2.0, -1.0) and slider.high in (2.0, 1.0)
    dropped = loaded.info["dropped"]["laptop"]
    assert set(dropped) | {s.attribute for s in loaded.sliders("laptop")} <= set(CLASS_ATTRIBUTES["laptop"])
    assert "width" in dropped  # the longest side: always 30 voxels, nothing to move
    assert any("latent R2" in line for line in lines)
