"""``voxstudio convert`` and ``voxstudio view`` through the real dispatcher."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from core_shapes import chair_grid
from PIL import Image

import voxstudio.cli as cli
from voxstudio.core.io import load_voxels, save_voxels


@pytest.fixture(autouse=True)
def only_core_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dispatch through ``voxstudio.cli.main`` with just these commands registered,
    so the tests do not depend on other sub-command modules."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("convert_cmd", "view_cmd"))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse errors and --help
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [[], ["convert"], ["view"]])
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([*command, "--help"], capsys)
    assert code == 0 and "usage: voxstudio" in out
    if command:
        assert "--resolution" in out and "--surface" in out and "--up" in out


def test_convert_mesh_to_voxels_and_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stl = tmp_path / "box.stl"
    trimesh.creation.box(extents=(1, 2, 3)).export(stl)
    binvox = tmp_path / "box.binvox"
    code, out, err = run(["convert", str(stl), str(binvox), "--resolution", "16"], capsys)
    assert code == 0, err
    assert "wrote" in out and "16^3" in out
    grid = load_voxels(binvox, resolution=None)
    assert grid.shape == (16, 16, 16) and grid.sum() == 5 * 10 * 14  # 1x2x3 box, longest side 14
    obj = tmp_path / "box.obj"
    code, _, err = run(["convert", str(binvox), str(obj), "--surface", "smooth"], capsys)
    assert code == 0, err
    back = load_voxels(obj, resolution=16)
    assert (back & grid).sum() / (back | grid).sum() > 0.9


def test_convert_keeps_native_resolution_of_voxel_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "chair.vox"
    save_voxels(source, chair_grid(64))
    target = tmp_path / "chair.npy"
    code, _, err = run(["convert", str(source), str(target)], capsys)
    assert code == 0, err
    np.testing.assert_array_equal(np.load(target), chair_grid(64))
    code, _, _ = run(["convert", str(source), str(target), "-r", "32"], capsys)
    assert code == 0 and np.load(target).shape == (32, 32, 32)


def test_convert_up_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "post.binvox"
    grid = np.zeros((16, 16, 16), bool)
    grid[5:8, 0:14, 5:8] = True  # lying along y: a y-up post
    save_voxels(source, grid)
    target = tmp_path / "post.npy"
    assert run(["convert", str(source), str(target), "--up", "y"], capsys)[0] == 0
    occupied = np.argwhere(np.load(target))
    assert np.ptp(occupied[:, 2]) == 13  # now standing along z


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["convert", "{tmp}/missing.stl", "{tmp}/out.binvox"], "file not found"),
        (["convert", "{tmp}/corrupt.binvox", "{tmp}/out.stl"], "not a binvox file"),
        (["convert", "{tmp}/corrupt.binvox", "{tmp}/out.fbx"], "cannot write this file type"),
        (["convert", "{tmp}/model.xyz", "{tmp}/out.stl"], "unsupported file type"),
        (["view", "{tmp}/missing.vox", "--screenshot", "{tmp}/x.png"], "file not found"),
    ],
)
def test_errors_are_one_line_exit_2(argv: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "corrupt.binvox").write_bytes(b"garbage")
    (tmp_path / "model.xyz").write_text("1 2 3")
    code, out, err = run([a.format(tmp=tmp_path) for a in argv], capsys)
    assert code == 2
    assert err.startswith("voxstudio: error: ") and err.count("\n") == 1, err
    assert fragment in err
    assert not (tmp_path / "out.stl").exists() and not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("bad", [["-r", "0"], ["-r", "2000"], ["-r", "abc"], ["--surface", "lumpy"], ["--up", "x"]])
def test_bad_options_exit_2(bad: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["convert", "a.stl", "b.binvox", *bad], capsys)
    assert code == 2 and "error" in err


def test_view_screenshot_renders_a_non_blank_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "chair.binvox"
    save_voxels(source, chair_grid(32))
    png = tmp_path / "chair.png"
    code, out, err = run(["view", str(source), "--screenshot", str(png), "--window-size", "320x240"], capsys)
    assert code == 0, err
    image = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert image.shape == (240, 320, 3)
    non_background = (np.abs(image - 255).sum(axis=2) > 30).mean()
    assert non_background > 0.05
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 20


def test_view_warns_about_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "empty.npy"
    save_voxels(source, np.zeros((8, 8, 8), bool))
    code, _, err = run(["view", str(source), "--screenshot", str(tmp_path / "e.png"), "--window-size", "64x64"], capsys)
    assert code == 0 and "no occupied voxels" in err


def test_view_window_size_validation(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["view", "x.vox", "--window-size", "big"], capsys)
    assert code == 2 and "WIDTHxHEIGHT" in err


def test_view_opens_a_window_with_the_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import pyvista

    source = tmp_path / "chair.npy"
    save_voxels(source, chair_grid(16))
    seen: dict[str, object] = {}

    def fake_show(self, *args, **kwargs):  # instead of blocking in an event loop
        mappers = [getattr(actor, "GetMapper", lambda: None)() for actor in self.renderer.actors.values()]
        seen["points"] = sum(m.GetInput().GetNumberOfPoints() for m in mappers if m is not None and hasattr(m, "GetInput"))
        seen["up"] = tuple(self.camera.up)
        self.close()

    monkeypatch.setattr(pyvista.Plotter, "show", fake_show)
    code, _, err = run(["view", str(source), "--surface", "smooth"], capsys)
    assert code == 0, err
    assert seen["up"] == (0.0, 0.0, 1.0)
    assert seen["points"] > 100
