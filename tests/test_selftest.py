"""Headless self-test (voxstudio --self-test) and the launcher's early options."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh

from voxstudio import __version__
from voxstudio.selftest import EXIT_FAILED, EXIT_NO_WEIGHTS, EXIT_OK, run_self_test

ROOT = Path(__file__).resolve().parent.parent

# Runs the launcher, then reports which heavy packages it imported.
_PROBE = """
import sys
from voxstudio.launcher import main
code = main(sys.argv[1:])
print("IMPORTED:", ",".join(sorted(m for m in ("PySide6", "pyvistaqt", "torch") if m in sys.modules)))
sys.exit(code)
"""


def _launch(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PROBE, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def _imported(stdout: str) -> set[str]:
    line = next(line for line in stdout.splitlines() if line.startswith("IMPORTED:"))
    return {name for name in line.split(":", 1)[1].strip().split(",") if name}


def test_version_is_printed_without_importing_qt_or_torch() -> None:
    result = _launch("--version")
    assert result.returncode == 0, result.stderr
    assert f"VoxStudio {__version__}" in result.stdout
    assert _imported(result.stdout) == set()


def test_main_py_version() -> None:
    result = subprocess.run(
        [sys.executable, "main.py", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"VoxStudio {__version__}")


def test_missing_weights_fail_with_a_message_naming_the_folder(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "no-weights-here"
    empty.mkdir()
    assert run_self_test(weights_dir=empty, stream=io.StringIO()) == EXIT_NO_WEIGHTS
    err = capsys.readouterr().err
    assert "self-test FAILED" in err and str(empty) in err


def test_nonexistent_weights_folder_fails(tmp_path: Path, capsys) -> None:
    assert run_self_test(weights_dir=tmp_path / "missing", stream=io.StringIO()) == EXIT_NO_WEIGHTS
    assert "missing" in capsys.readouterr().err


def test_weights_without_the_generator_fail_clearly(tmp_path: Path, capsys) -> None:
    import shutil

    for name in ("capsnet.safetensors", "capsnet.json"):
        shutil.copy(ROOT / "weights" / name, tmp_path / name)
    assert run_self_test(weights_dir=tmp_path, stream=io.StringIO()) == EXIT_NO_WEIGHTS
    err = capsys.readouterr().err
    assert "lacks the generator gan.*" in err and str(tmp_path) in err


@pytest.fixture(scope="module")
def small_engine():
    from voxstudio.models.engine import VoxelEngine

    return VoxelEngine.random_init(classes=("chair", "table"), resolution=32, seed=1, device="cpu")


def _run_with_engine(engine, monkeypatch, tmp_path: Path) -> tuple[int, str]:
    import voxstudio.selftest as selftest

    monkeypatch.setattr(selftest, "_load_engine", lambda weights_dir, random_weights: engine)
    out = io.StringIO()
    # random_weights: an untrained engine is not held to classifying the samples right
    return selftest.run_self_test(random_weights=True, out_dir=tmp_path, stream=out), out.getvalue()


def test_self_test_exports_one_readable_stl_per_class(small_engine, monkeypatch, tmp_path: Path) -> None:
    code, text = _run_with_engine(small_engine, monkeypatch, tmp_path)
    assert code == EXIT_OK, text
    stls = sorted(tmp_path.glob("*.stl"))
    assert [p.name for p in stls] == ["00_chair.stl", "01_table.stl"]
    for path in stls:
        mesh = trimesh.load(path, force="mesh")
        assert len(mesh.faces) > 0
    assert "self-test passed" in text and "chair" in text and "table" in text


def test_self_test_reports_a_broken_generator(small_engine, monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(small_engine, "generate", lambda z, class_id: np.full((32, 32, 32), np.nan, np.float32))
    code, _ = _run_with_engine(small_engine, monkeypatch, tmp_path)
    assert code == EXIT_FAILED
    assert "generate chair" in capsys.readouterr().err


def test_self_test_reports_an_empty_shape(small_engine, monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(small_engine, "generate", lambda z, class_id: np.zeros((32, 32, 32), np.float32))
    code, _ = _run_with_engine(small_engine, monkeypatch, tmp_path)
    assert code == EXIT_FAILED
    assert "empty" in capsys.readouterr().err


def test_self_test_reports_an_engine_exception(small_engine, monkeypatch, tmp_path: Path, capsys) -> None:
    def fail(grid):
        raise RuntimeError("classifier exploded")

    monkeypatch.setattr(small_engine, "classify", fail)
    code, _ = _run_with_engine(small_engine, monkeypatch, tmp_path)
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert "classify chair" in err and "classifier exploded" in err


@pytest.mark.slow
def test_self_test_passes_with_the_shipped_weights(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_self_test(out_dir=tmp_path, stream=out) == EXIT_OK, out.getvalue()
    text = out.getvalue()
    assert f"weights    : {ROOT / 'weights'}" in text
    from voxstudio.data.procedural import CLASSES

    assert len(list(tmp_path.glob("*.stl"))) == len(CLASSES)


def test_self_test_rejects_weights_that_misclassify_the_samples(small_engine, monkeypatch, tmp_path: Path,
                                                                 capsys) -> None:
    import voxstudio.selftest as selftest

    monkeypatch.setattr(selftest, "_load_engine", lambda weights_dir, random_weights: small_engine)
    # the untrained two-class engine cannot name the ten other classes' samples
    assert selftest.run_self_test(out_dir=tmp_path, stream=io.StringIO()) == EXIT_FAILED
    assert re.search(r"only [0-5]/12 shipped samples classified correctly", capsys.readouterr().err)


@pytest.mark.slow
def test_launcher_self_test_runs_headless_without_qt(tmp_path: Path) -> None:
    """The full command, as the bundle runs it (untrained networks, all classes)."""
    result = _launch("--self-test", "--random-weights", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "self-test passed" in result.stdout
    imported = _imported(result.stdout)
    assert "PySide6" not in imported and "pyvistaqt" not in imported
    from voxstudio.data.procedural import CLASSES

    assert len(list(tmp_path.glob("*.stl"))) == len(CLASSES)
