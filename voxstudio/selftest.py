"""Headless self-test of a VoxStudio install (``voxstudio --self-test``).

Why: a frozen bundle can look fine and still miss a shared library, a data file
or the weights; this exercises the whole non-GUI path a user relies on (weights
loading, generation, classification, mesh export) in a few seconds, prints a
summary and returns a non-zero exit code with a clear message on the first
failure. It never imports Qt, so it runs on machines without a display.
"""

from __future__ import annotations

import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from voxstudio import __version__, paths
from voxstudio.core.errors import IncompleteWeightsError, SelfTestError, WeightsError

if TYPE_CHECKING:  # torch-heavy imports stay inside the run so --help is instant
    from voxstudio.models.engine import VoxelEngine

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NO_WEIGHTS = 2

# A shape counts as empty (a broken generator) below this many occupied voxels.
MIN_OCCUPIED_VOXELS = 1
# With trained weights, at least this share of the shipped samples must be classified
# right (the shipped classifier gets all of them): fewer means weights that do not match
# the class list, or that were read wrongly.
MIN_SAMPLE_ACCURACY = 0.5
SELF_TEST_SEED = 0
T = TypeVar("T")


@dataclass(frozen=True)
class ClassCheck:
    """Outcome of generate -> classify -> export for one class."""

    class_name: str
    occupied: int
    predicted: str
    confidence: float
    stl_faces: int


def _step(name: str, action: Callable[[], T]) -> T:
    """Run one step, turning any exception into a SelfTestError naming the step."""
    try:
        return action()
    except SelfTestError:
        raise
    except Exception as error:  # noqa: BLE001 - we report every failure the same way
        raise SelfTestError(f"{name}: {type(error).__name__}: {error}") from error


def _load_engine(weights_dir: Path | None, random_weights: bool) -> VoxelEngine:
    from voxstudio.models.engine import VoxelEngine

    if random_weights:
        return VoxelEngine.random_init(device="cpu")
    return VoxelEngine.load(weights_dir if weights_dir is not None else paths.weights_dir(), device="cpu")


def _check_class(engine: VoxelEngine, class_id: int, out_dir: Path) -> ClassCheck:
    """Generate one shape of ``class_id``, classify it and export it as STL."""
    import numpy as np
    import trimesh

    from voxstudio.core.export import export

    name = engine.classes[class_id]
    z = engine.latent_for_seed(SELF_TEST_SEED)
    grid = _step(f"generate {name}", lambda: engine.generate(z, class_id))
    size = engine.resolution
    if grid.shape != (size, size, size):
        raise SelfTestError(f"generate {name}: expected a {size}^3 grid, got shape {grid.shape}")
    if not np.all(np.isfinite(grid)) or grid.min() < 0.0 or grid.max() > 1.0:
        raise SelfTestError(f"generate {name}: probabilities are not finite values in [0, 1]")
    occupied = int((grid >= 0.5).sum())
    if occupied < MIN_OCCUPIED_VOXELS:
        raise SelfTestError(f"generate {name}: the generated shape is empty")

    result = _step(f"classify {name}", lambda: engine.classify(grid))
    total = float(np.sum(result.probabilities))
    if not np.isfinite(total) or abs(total - 1.0) > 1e-3:
        raise SelfTestError(f"classify {name}: class probabilities sum to {total}, not 1")

    stl_path = out_dir / f"{class_id:02d}_{name}.stl"
    written = _step(f"export {name}", lambda: export(stl_path, grid, surface="blocky"))
    mesh = _step(f"read back {written}", lambda: trimesh.load(written, force="mesh"))
    if len(mesh.faces) == 0:
        raise SelfTestError(f"export {name}: {written} has no triangles")
    low, high = mesh.bounds
    if low.min() < -1e-3 or high.max() > size + 1e-3:
        raise SelfTestError(f"export {name}: {written} lies outside the {size}^3 voxel frame")
    return ClassCheck(
        class_name=name,
        occupied=occupied,
        predicted=engine.classes[result.predicted],
        confidence=float(result.probabilities[result.predicted]),
        stl_faces=len(mesh.faces),
    )


def _check_samples(engine: VoxelEngine) -> tuple[int, int]:
    """Load the shipped sample files and classify them; returns (correct, total).

    Exercises the file readers inside the bundle; a sample named after a class
    (``chair.binvox``) counts as correct when classified as that class.
    """
    from voxstudio.core.io.prepare import prepare_shape
    from voxstudio.models.file_classifier import settle_pose

    samples = sorted(p for p in paths.resource_path("samples").glob("*") if p.is_file())
    correct = 0
    for sample in samples:
        # The app's load path: oriented by convention (or pose search), framed like the training data.
        prepared = _step(f"load sample {sample.name}",
                         lambda: settle_pose(prepare_shape(sample, engine.resolution), engine.presence))
        result = _step(f"classify sample {sample.name}", lambda: engine.classify(prepared.grid))
        correct += not result.none_of_these and engine.classes[result.predicted] == sample.stem
    return correct, len(samples)


def _check_inversion(engine: VoxelEngine, grid_class: int) -> None:
    """Two optimiser steps of latent inversion: autograd + torch.optim work in the bundle.

    (An optimiser step imports torch._dynamo and friends, which a frozen bundle
    could lack although plain inference works.)
    """
    import numpy as np

    grid = engine.generate(engine.latent_for_seed(SELF_TEST_SEED + 1), grid_class)
    z = _step("invert", lambda: engine.invert(grid, grid_class, steps=2, restarts=2))
    if z.shape != (engine.latent_dim,) or not np.all(np.isfinite(z)):
        raise SelfTestError(f"invert: expected a finite ({engine.latent_dim},) latent, got shape {z.shape}")


def _environment_lines(engine: VoxelEngine, weights: str) -> list[str]:
    import torch

    return [
        f"VoxStudio {__version__}  ({'bundle' if getattr(sys, 'frozen', False) else 'source'})",
        f"app root   : {paths.app_root()}",
        f"weights    : {weights}",
        f"python     : {sys.version.split()[0]}   torch {torch.__version__}",
        f"model      : {len(engine.classes)} classes, {engine.resolution}^3, "
        f"latent {engine.latent_dim}, device {engine.device}",
    ]


def _run(weights_dir: Path | None, random_weights: bool, out_dir: Path, keep: bool, stream: TextIO) -> None:
    started = time.perf_counter()
    weights = "random (untrained)" if random_weights else str(weights_dir or paths.weights_dir())
    engine = _load_engine(weights_dir, random_weights)
    if not (engine.has_generator and engine.has_classifier):
        missing = [name for name, present in (("generator gan.*", engine.has_generator),
                                              ("classifier capsnet.*", engine.has_classifier)) if not present]
        raise IncompleteWeightsError(
            f"cannot load the weights: {weights} lacks the {' and the '.join(missing)} "
            "(the self-test needs both networks)"
        )
    for line in _environment_lines(engine, weights):
        print(line, file=stream)

    checks = [_check_class(engine, class_id, out_dir) for class_id in range(len(engine.classes))]
    agree = sum(check.predicted == check.class_name for check in checks)
    print(f"{'class':<12} {'voxels':>6}  {'classified as':<12} {'p':>5}  {'STL faces':>9}", file=stream)
    for check in checks:
        print(
            f"{check.class_name:<12} {check.occupied:>6}  {check.predicted:<12} "
            f"{check.confidence:>5.2f}  {check.stl_faces:>9}",
            file=stream,
        )
    where = f"STL files in {out_dir}" if keep else "STL files exported to a temporary folder"
    print(f"classifier agrees with the generator's class on {agree}/{len(checks)} shapes; {where}", file=stream)
    correct, total = _check_samples(engine)
    print(f"shipped samples classified correctly: {correct}/{total}", file=stream)
    if not random_weights and total and correct < MIN_SAMPLE_ACCURACY * total:
        raise SelfTestError(
            f"classify samples: only {correct}/{total} shipped samples classified correctly; "
            f"the weights in {weights} do not fit the classes {engine.classes}"
        )
    _check_inversion(engine, grid_class=0)
    print("latent inversion (2 optimiser steps): ok", file=stream)
    print(f"self-test passed in {time.perf_counter() - started:.1f} s", file=stream)


def run_self_test(
    weights_dir: Path | None = None,
    *,
    random_weights: bool = False,
    out_dir: Path | None = None,
    stream: TextIO | None = None,
) -> int:
    """Run the self-test and return the process exit code.

    0 when every class generates, classifies and exports; 2 when the weights are
    missing or unreadable; 1 for any other failure. Messages go to ``stream``
    (stdout by default) and failures to stderr, each naming the failing step.
    """
    stream = stream or sys.stdout
    try:
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            _run(weights_dir, random_weights, out_dir, True, stream)
        else:
            with tempfile.TemporaryDirectory(prefix="voxstudio-selftest-") as tmp:
                _run(weights_dir, random_weights, Path(tmp), False, stream)
    except IncompleteWeightsError as error:
        print(f"voxstudio self-test FAILED: {error}", file=sys.stderr)
        return EXIT_NO_WEIGHTS
    except SelfTestError as error:
        print(f"voxstudio self-test FAILED: {error}", file=sys.stderr)
        return EXIT_FAILED
    except WeightsError as error:
        print(f"voxstudio self-test FAILED: cannot load the weights: {error}", file=sys.stderr)
        return EXIT_NO_WEIGHTS
    except Exception as error:  # noqa: BLE001 - report every other failure with its traceback
        traceback.print_exc()
        print(f"voxstudio self-test FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
