"""PyInstaller bundle: slimming rules (fast) and a real build that must start (slow).

The slow test builds the one-folder bundle with packaging/build.sh, runs its
``--version`` and ``--self-test`` (with the shipped weights, from outside the
checkout so nothing can come from the source tree), checks that missing weights
fail clearly, then opens the bundled GUI on the test display and checks the
screenshot it takes of its own window.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from voxstudio import __version__

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
import slim  # noqa: E402 - packaging/ is not a package

# ---------------------------------------------------------------- rules (fast)


def test_rules_drop_unused_files_and_keep_needed_ones() -> None:
    assert slim.is_dropped("torch/include/ATen/ATen.h", "datas")
    assert slim.is_dropped("torch/test/Dict_test", "binaries")
    assert slim.is_dropped("torch/bin/protoc", "binaries")
    assert not slim.is_dropped("torch/bin/torch_shm_manager", "binaries")  # import torch needs it
    assert slim.is_dropped("vtkmodules/libviskores_cont.so", "binaries")
    assert slim.is_dropped("PySide6/Qt/plugins/platforms/libqwayland-egl.so", "binaries")
    assert not slim.is_dropped("PySide6/Qt/plugins/platforms/libqxcb.so", "binaries")
    assert not slim.is_dropped("torch/lib/libtorch_cpu.so", "binaries")
    assert not slim.is_dropped("vtkmodules/libvtkRenderingOpenGL2.so", "binaries")


def test_dev_tools_stay_out_of_the_bundle() -> None:
    """pyvista imports mypy when it can be found: a half-bundled mypy broke `import pyvista`."""
    excluded = set(slim.excluded_modules())
    assert {"mypy", "mypyc", "pytest", "IPython"} <= excluded
    assert not excluded & {"torch", "pyvista", "pyvistaqt", "vtkmodules", "PySide6", "scipy", "skimage", "trimesh"}


def test_symbolic_links_go_with_their_dropped_target() -> None:
    binaries = [
        ("PySide6/Qt/lib/libQt6Network.so.6", "/site/PySide6/Qt/lib/libQt6Network.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/site/PySide6/Qt/lib/libQt6Core.so.6", "BINARY"),
    ]
    datas = [
        ("libQt6Network.so.6", "PySide6/Qt/lib/libQt6Network.so.6", "SYMLINK"),
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("torch/include/c10/core.h", "/site/torch/include/c10/core.h", "DATA"),
    ]
    kept_binaries, kept_datas = slim.slim_tocs(binaries, datas)
    assert [e[0] for e in kept_binaries] == ["PySide6/Qt/lib/libQt6Core.so.6"]
    assert [e[0] for e in kept_datas] == ["libQt6Core.so.6"]


def test_vtk_modules_the_app_imports_are_kept_and_the_rest_excluded() -> None:
    installed = slim.installed_vtk_modules()
    used = slim.used_vtk_modules()
    assert used <= installed, f"recorded modules missing from this VTK: {sorted(used - installed)}"
    excluded = set(slim.excluded_modules())
    for name in ("vtkRenderingOpenGL2", "vtkCommonCore", "vtkInteractionStyle", "vtkFiltersCore"):
        assert name in used and f"vtkmodules.{name}" not in excluded
    assert {f"vtkmodules.{n}" for n in installed - used} <= excluded
    assert len(installed - used) > len(used)  # most of VTK stays out
    assert all(f"vtkmodules.{n}" in slim.hidden_imports() for n in used)


def test_missing_weights_are_named(tmp_path: Path) -> None:
    assert slim.missing_weights(tmp_path) == list(slim.REQUIRED_WEIGHTS)
    for name in slim.REQUIRED_WEIGHTS[:2]:
        (tmp_path / name).write_text("{}")
    assert slim.missing_weights(tmp_path) == list(slim.REQUIRED_WEIGHTS[2:])


# ---------------------------------------------------------------- real bundle (slow)

BUILD_TIMEOUT_S = 20 * 60


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the one-folder bundle once; returns the executable.

    ``VOXSTUDIO_TEST_BUNDLE=dist/voxstudio/voxstudio`` tests an already built bundle
    instead (e.g. the one ``packaging/build.sh --archive`` made for a release); CI builds it here.
    """
    prebuilt = os.environ.get("VOXSTUDIO_TEST_BUNDLE")
    if prebuilt:
        executable = Path(prebuilt).resolve()
        assert executable.is_file() and os.access(executable, os.X_OK), f"VOXSTUDIO_TEST_BUNDLE={prebuilt}: no executable"
        return executable
    dist = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "PYTHON": sys.executable, "VOXSTUDIO_DIST": str(dist),
           "VOXSTUDIO_BUILD": str(ROOT / "build" / "pyinstaller-test")}
    started = time.perf_counter()
    result = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    assert result.returncode == 0, f"build failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
    print(f"bundle built in {time.perf_counter() - started:.0f} s: {result.stdout.strip().splitlines()[-1]}")
    executable = dist / "voxstudio" / "voxstudio"
    assert executable.is_file() and os.access(executable, os.X_OK)
    return executable


def _clean_env(**extra: str) -> dict[str, str]:
    """The user's environment minus anything that could point the bundle at the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"VOXSTUDIO_WEIGHTS", "VOXSTUDIO_ROOT", "PYTHONPATH"}}
    return {**env, **extra}


@pytest.mark.slow
def test_bundle_version(bundle: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(bundle), "--version"], cwd=tmp_path, env=_clean_env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"VoxStudio {__version__} (bundle")


@pytest.mark.slow
def test_bundle_self_test_with_shipped_weights(bundle: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(bundle), "--self-test"], cwd=tmp_path, env=_clean_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "self-test passed" in result.stdout
    internal = bundle.parent / "_internal"
    assert f"weights    : {internal / 'weights'}" in result.stdout  # the bundle's own copy


@pytest.mark.slow
def test_bundle_self_test_fails_clearly_without_weights(bundle: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run([str(bundle), "--self-test"], cwd=tmp_path,
                            env=_clean_env(VOXSTUDIO_WEIGHTS=str(empty)),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "self-test FAILED: cannot load the weights" in result.stderr and str(empty) in result.stderr


@pytest.mark.slow
def test_bundle_is_slim(bundle: Path) -> None:
    internal = bundle.parent / "_internal"
    for absent in ("torch/include", "torch/test", "PySide6/Qt/qml", "tkinter", "IPython", "pytest",
                   "hypothesis", "PySide6/QtQml.abi3.so", "PySide6/QtNetwork.abi3.so"):
        assert not (internal / absent).exists(), f"{absent} should not be bundled"
    assert not list((internal / "vtkmodules").glob("libviskores*"))
    assert not list((internal / "vtkmodules").glob("vtkIOIOSS*"))
    dangling = [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert not dangling, f"dangling links: {dangling[:5]}"
    for name in slim.REQUIRED_WEIGHTS:
        assert (internal / "weights" / name).is_file()
    assert (internal / "resources" / "samples").is_dir()
    size = sum(p.stat().st_size for p in bundle.parent.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle size: {size / 2**20:.0f} MiB")


def _gui_command(bundle: Path, png: Path) -> list[str]:
    """Own virtual screen when possible: ``xvfb-run``'s default (640x480, 8-bit) is too poor for GL."""
    command = [str(bundle), "--screenshot", str(png)]
    if shutil.which("xvfb-run"):
        return ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", *command]
    if os.environ.get("DISPLAY"):
        return command
    pytest.skip("no display and no xvfb-run to open the bundled GUI")


@pytest.mark.slow
def test_bundled_gui_opens_and_shows_a_shape(bundle: Path, tmp_path: Path) -> None:
    from PIL import Image

    png = tmp_path / "window.png"
    result = subprocess.run(_gui_command(bundle, png), cwd=tmp_path,
                            env=_clean_env(QT_QPA_PLATFORM="xcb"),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    image = np.asarray(Image.open(png).convert("RGB"))
    height, width, _ = image.shape
    assert width >= 640 and height >= 400
    # The 3D view fills the middle of the window. A blank, black or never-painted GL area is
    # (nearly) one colour; a rendered shape covers a good part of it in many shades.
    centre = image[height // 4: 3 * height // 4, width // 3: 2 * width // 3].reshape(-1, 3)
    colours, counts = np.unique(centre, axis=0, return_counts=True)
    covered = 1.0 - counts.max() / counts.sum()
    assert len(colours) > 30 and covered > 0.05, (
        f"the 3D view looks empty ({len(colours)} colours, {covered:.0%} off the background); see {png}"
    )
    keep = ROOT / "build" / "bundle-window.png"  # to look at after a local run
    keep.parent.mkdir(exist_ok=True)
    shutil.copy(png, keep)


# ---------------------------------------------------------------- release archive

def _unpack_and_install(archive: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """Unpack ``archive`` into a fresh folder and run its install.sh with HOME in ``tmp_path``."""
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "-I", "zstd", "-xf", str(archive), "-C", str(unpacked)], check=True, timeout=600)
    (top,) = list(unpacked.iterdir())
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in _clean_env().items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    done = subprocess.run(["sh", str(top / "install.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return top, home, env


def _fake_bundle(folder: Path) -> Path:
    bundle = folder / "voxstudio"
    (bundle / "_internal" / "lib").mkdir(parents=True)
    (bundle / "_internal" / "lib" / "libreal.so.1").write_bytes(b"\x7fELF fake")
    (bundle / "_internal" / "libreal.so.1").symlink_to("lib/libreal.so.1")
    exe = bundle / "voxstudio"
    exe.write_text('#!/bin/sh\necho "fake voxstudio $*"\n')
    exe.chmod(0o755)
    return bundle


def test_release_archive_installs_for_the_user(tmp_path: Path) -> None:
    """Archive of a stand-in bundle: layout, links kept, install.sh places everything, uninstall removes it."""
    import xml.etree.ElementTree as ET

    import make_archive

    archive = make_archive.make_archive(_fake_bundle(tmp_path / "dist"), tmp_path / "out", "zst", fast=True)
    assert archive.name == f"voxstudio-{__version__}-linux-{os.uname().machine}.tar.zst"
    top, home, env = _unpack_and_install(archive, tmp_path)
    assert (top / "voxstudio" / "_internal" / "libreal.so.1").is_symlink()  # the bundle's links stay links

    app = home / ".local" / "opt" / "voxstudio"
    share = home / ".local" / "share"
    assert (app / "_internal" / "libreal.so.1").is_symlink() and (app / "_internal" / "libreal.so.1").exists()
    launcher = home / ".local" / "bin" / "voxstudio"
    assert launcher.resolve() == (app / "voxstudio").resolve()
    ran = subprocess.run([str(launcher), "--self-test"], capture_output=True, text=True, timeout=60, check=True)
    assert ran.stdout.strip() == "fake voxstudio --self-test"

    desktop = (share / "applications" / "voxstudio.desktop").read_text()
    assert f'Exec="{app / "voxstudio"}" %f' in desktop and f"TryExec={app / 'voxstudio'}" in desktop
    mime_types = next(line for line in desktop.splitlines() if line.startswith("MimeType="))
    assert (share / "icons" / "hicolor" / "256x256" / "apps" / "voxstudio.png").stat().st_size > 1000
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "voxstudio.svg").is_file()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(share / "mime" / "packages" / "voxstudio.xml").getroot()
    globs = {g.get("pattern"): t.get("type") for t in root.findall("m:mime-type", ns) for g in t.findall("m:glob", ns)}
    assert set(globs) == {"*.binvox", "*.vox", "*.off", "*.stl"}
    assert all(kind in mime_types for kind in globs.values())  # the entry handles every type it declares
    if shutil.which("update-mime-database"):  # install.sh refreshed the user's MIME database
        assert "*.binvox" in (share / "mime" / "globs2").read_text()

    again = subprocess.run(["sh", str(top / "install.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and launcher.exists()  # re-installing over an install works
    gone = subprocess.run(["sh", str(top / "install.sh"), "--uninstall"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert gone.returncode == 0, gone.stderr
    assert not app.exists() and not launcher.exists() and not (share / "applications" / "voxstudio.desktop").exists()


@pytest.mark.slow
def test_release_archive_of_the_bundle_installs_and_self_tests(bundle: Path, tmp_path: Path) -> None:
    """The real bundle, archived (fast level), unpacked in a fresh folder, installed, self-tested."""
    import make_archive

    archive = make_archive.make_archive(bundle.parent, tmp_path / "out", "zst", fast=True)
    _top, home, env = _unpack_and_install(archive, tmp_path)
    installed = home / ".local" / "opt" / "voxstudio" / "voxstudio"
    result = subprocess.run([str(installed), "--self-test"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "self-test passed" in result.stdout
    assert f"weights    : {installed.parent / '_internal' / 'weights'}" in result.stdout
