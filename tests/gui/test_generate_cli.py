"""The GUI's seed and sliders give the same grid as ``voxstudio generate``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gui_helpers import shared_engine, wait_for_shape

pytestmark = pytest.mark.gui


def _save_engine_generator(engine, folder) -> None:
    """Write the session engine's generator as gan.safetensors + gan.json (what the CLI loads)."""
    from voxstudio.models.engine import DIRECTIONS_KEY, ENCODER_PREFIX, GAN_STEM, SCALES_KEY
    from voxstudio.models.weights import save_weights

    state = {k: v.detach().cpu().clone() for k, v in engine._generator.state_dict().items()}
    if engine._encoder is not None:
        state.update({ENCODER_PREFIX + k: v.detach().cpu().clone() for k, v in engine._encoder.state_dict().items()})
    state[DIRECTIONS_KEY] = torch.from_numpy(engine.directions.copy())
    state[SCALES_KEY] = torch.from_numpy(engine.direction_scales.copy())
    gan = engine.configs["gan"]
    save_weights(folder / GAN_STEM, state, {"model": "gan", "architecture": gan["architecture"],
                                           "classes": list(engine.classes), "resolution": engine.resolution,
                                           "latent_dim": engine.latent_dim})


def test_gui_seed_and_sliders_match_voxstudio_generate(qtbot, window, tmp_path):
    from voxstudio.cli import main
    from voxstudio.cli.generate_cmd import SLIDER_LIMIT
    from voxstudio.gui.generate_panel import SLIDER_LIMIT as GUI_SLIDER_LIMIT

    assert SLIDER_LIMIT == GUI_SLIDER_LIMIT
    panel = window.generate_panel
    engine = shared_engine()
    class_id, seed = 2, 4242
    panel.class_combo.setCurrentIndex(class_id)
    panel.sliders[0].set_value(1.5, emit=False)
    panel.sliders[2].set_value(-0.75, emit=False)
    wait_for_shape(qtbot, window, lambda: panel.seed.setValue(seed))
    shown = window.current.generate
    assert (shown.class_id, shown.seed_a, shown.sliders[0], shown.sliders[2]) == (class_id, seed, 1.5, -0.75)
    gui_grid = window.current.grid >= 0.5

    _save_engine_generator(engine, tmp_path / "w")
    names = [slider.label.text() for slider in panel.sliders]
    assert names[0] == "Mode 1"
    assert main(["generate", "--weights", str(tmp_path / "w"), "--device", "cpu", "--out", str(tmp_path / "o"),
                 "--class", engine.classes[class_id], "--seed", str(seed - 1), "--count", "2",
                 "--slider", f"{names[0]}=1.5", "--slider", f"{names[2]}=-0.75"]) == 0
    cli_grid = np.load(tmp_path / "o" / f"{engine.classes[class_id]}_seed{seed}.npy")
    assert gui_grid.any()
    np.testing.assert_array_equal(cli_grid, gui_grid)
