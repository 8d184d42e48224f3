"""export(): every format round-trips, writes are atomic, bad requests are clean errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
import trimesh
from core_shapes import chair_grid, iou

from voxstudio.core import atomic
from voxstudio.core.atomic import atomic_write
from voxstudio.core.errors import VoxelFileError
from voxstudio.core.export import EXPORT_EXTENSIONS, MESH_EXPORT_EXTENSIONS, export
from voxstudio.core.grid import normalise
from voxstudio.core.io import load_voxels


def _solid_shape() -> np.ndarray:
    """A framed solid (table-like block with a thick top and a tower), per the convention."""
    grid = np.zeros((32, 32, 32), bool)
    grid[4:28, 6:26, 0:8] = True
    grid[4:12, 6:14, 8:28] = True
    grid[18:26, 16:24, 8:14] = True
    return normalise(grid, 32)


@pytest.mark.parametrize("suffix", [".binvox", ".vox", ".npy"])
def test_voxel_formats_round_trip_exactly(suffix: str, tmp_path: Path) -> None:
    for grid in (chair_grid(32), chair_grid(64)):
        path = export(tmp_path / f"shape{grid.shape[0]}{suffix}", grid)
        np.testing.assert_array_equal(load_voxels(path, resolution=grid.shape[0]), grid)


def test_voxel_export_thresholds_probabilities(tmp_path: Path) -> None:
    grid = np.where(chair_grid(32), 0.8, 0.3).astype(np.float32)
    path = export(tmp_path / "p.npy", grid, threshold=0.5)
    np.testing.assert_array_equal(load_voxels(path), chair_grid(32))
    assert not load_voxels(export(tmp_path / "q.npy", grid, threshold=0.9)).any()


@pytest.mark.parametrize("suffix", MESH_EXPORT_EXTENSIONS)
@pytest.mark.parametrize("surface", ["blocky", "smooth"])
def test_mesh_formats_round_trip_through_load_voxels(suffix: str, surface: str, tmp_path: Path) -> None:
    grid = _solid_shape()
    path = export(tmp_path / f"shape{suffix}", grid, surface=surface)
    assert path.stat().st_size > 0
    back = load_voxels(path, resolution=32)
    score = iou(back, grid)
    assert score > 0.9, f"{suffix} {surface}: IoU {score:.3f}"
    if surface == "blocky":
        assert score == 1.0  # a blocky mesh is the exact voxel surface


def test_obj_and_glb_are_written_y_up_stl_and_ply_z_up(tmp_path: Path) -> None:
    grid = np.zeros((16, 16, 16), bool)
    grid[2:6, 3:7, 0:14] = True  # tall along z
    for suffix, tall_axis in ((".stl", 2), (".ply", 2), (".obj", 1), (".glb", 1)):
        path = export(tmp_path / f"post{suffix}", grid)
        mesh = trimesh.load(path, force="mesh")
        extent = mesh.bounds[1] - mesh.bounds[0]
        assert int(np.argmax(extent)) == tall_axis, suffix
        assert extent.max() == pytest.approx(14)  # units are voxels


def test_exported_mesh_is_watertight_with_outward_normals(tmp_path: Path) -> None:
    path = export(tmp_path / "chair.stl", chair_grid(32))
    mesh = trimesh.load(path)
    assert mesh.is_watertight and mesh.volume == pytest.approx(chair_grid(32).sum())


def test_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(VoxelFileError, match="nothing to export"):
        export(tmp_path / "empty.stl", np.zeros((8, 8, 8), bool))
    with pytest.raises(VoxelFileError, match="cannot export"):
        export(tmp_path / "shape.fbx", chair_grid(16))
    with pytest.raises(VoxelFileError, match="cannot write"):
        export(tmp_path / "missing_dir" / "shape.stl", chair_grid(16))
    with pytest.raises(VoxelFileError, match="3-D"):
        export(tmp_path / "flat.npy", np.ones((4, 4)))
    with pytest.raises(ValueError):
        export(tmp_path / "x.stl", chair_grid(16), surface="lumpy")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert set(EXPORT_EXTENSIONS) == {".stl", ".obj", ".ply", ".glb", ".binvox", ".vox", ".npy"}


def test_exported_file_has_normal_permissions(tmp_path: Path) -> None:
    path = export(tmp_path / "chair.ply", chair_grid(16))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


def test_atomic_write_fixed_permissions_ignore_umask_and_old_mode(tmp_path: Path) -> None:
    """Weights and checkpoints pass ``permissions``: readable by all even under a strict umask."""
    target = tmp_path / "weights.bin"
    target.write_bytes(b"old")
    target.chmod(0o600)
    old_umask = os.umask(0o077)
    try:
        with atomic_write(target, permissions=atomic.SHARED_FILE_MODE) as handle:
            handle.write(b"new")
    finally:
        os.umask(old_umask)
    assert atomic.SHARED_FILE_MODE == 0o644
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_bytes() == b"new"

def test_atomic_write_failure_keeps_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"old contents")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target) as handle:
            handle.write(b"new partial")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]
    with atomic_write(target, "w", encoding="utf-8") as handle:
        handle.write("replaced")
    assert target.read_text() == "replaced"
    with pytest.raises(ValueError):
        with atomic_write(target, "rb"):
            pass


@pytest.mark.parametrize("suffix", EXPORT_EXTENSIONS)
@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_export_interrupted_mid_write(suffix: str, failing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error after the data started going to disk: old file intact, no new file, no temp left."""
    existing = tmp_path / f"old{suffix}"
    export(existing, chair_grid(16))
    old_bytes = existing.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", fail)
    elif failing == "replace":
        monkeypatch.setattr(atomic.os, "replace", fail)
    else:
        real_write_file = atomic.os.fdopen

        def half_writing_fdopen(*args, **kwargs):
            handle = real_write_file(*args, **kwargs)
            original = handle.write

            def write(data):
                original(data[: len(data) // 2])
                raise OSError(28, "No space left on device")

            handle.write = write
            return handle

        monkeypatch.setattr(atomic.os, "fdopen", half_writing_fdopen)

    grid = chair_grid(32)
    with pytest.raises(VoxelFileError, match="No space left"):
        export(existing, grid)
    with pytest.raises(VoxelFileError, match="No space left"):
        export(tmp_path / f"new{suffix}", grid)
    monkeypatch.undo()
    assert existing.read_bytes() == old_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"old{suffix}"]


@pytest.mark.parametrize("suffix", [".stl", ".binvox"])
def test_export_interrupted_by_ctrl_c_leaves_no_file(suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (KeyboardInterrupt, not an Exception) half-way through the data: it propagates, nothing is left."""
    existing = tmp_path / f"old{suffix}"
    export(existing, chair_grid(16))
    old_bytes = existing.read_bytes()
    real_fdopen = atomic.os.fdopen

    def interrupted_fdopen(*args, **kwargs):
        handle = real_fdopen(*args, **kwargs)
        original = handle.write

        def write(data):
            original(data[: len(data) // 2])
            raise KeyboardInterrupt

        handle.write = write
        return handle

    monkeypatch.setattr(atomic.os, "fdopen", interrupted_fdopen)
    for target in (existing, tmp_path / f"new{suffix}"):
        with pytest.raises(KeyboardInterrupt):
            export(target, chair_grid(32))
    monkeypatch.undo()
    assert existing.read_bytes() == old_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"old{suffix}"]


_KILLED_CHILD = """
import os, sys, time
import numpy as np
from voxstudio.core import atomic
from voxstudio.core.export import export

def stall(fd):  # the data is in the temporary file; stop before it is renamed over the target
    print("written", flush=True)
    time.sleep(600)

atomic.os.fsync = stall
grid = np.zeros((64, 64, 64), bool)
grid[4:60, 4:60, 0:40] = True
export(sys.argv[1], grid)
"""


def test_export_killed_mid_write_never_leaves_a_partial_target(tmp_path: Path) -> None:
    """A process killed (SIGKILL: no clean-up runs) after writing the data but before the rename:
    the target is the old file or absent, never partial; only a hidden temporary file can remain."""
    import signal
    import subprocess
    import sys

    target = tmp_path / "shape.stl"
    kept = tmp_path / "kept.stl"
    export(kept, chair_grid(16))
    kept_bytes = kept.read_bytes()
    for path in (target, kept):
        child = subprocess.Popen([sys.executable, "-c", _KILLED_CHILD, str(path)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "written"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    assert not target.exists()
    assert kept.read_bytes() == kept_bytes
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "kept.stl")
    assert leftovers and all(n.startswith((".shape.stl.", ".kept.stl.")) and n.endswith(".tmp") for n in leftovers)
    assert all((tmp_path / n).stat().st_size > 0 for n in leftovers)  # killed with the data written


def test_next_write_removes_temp_files_of_killed_writers_but_not_of_live_ones(tmp_path: Path) -> None:
    """A SIGKILL leaves a hidden temp file; the next write into that folder removes it, while a
    writer still running (holding its temp file's lock) is left alone."""
    import signal
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", _KILLED_CHILD, str(tmp_path / "shape.stl")],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "written"
        live = [p for p in tmp_path.iterdir() if p.name.startswith(".shape.stl.")]
        assert len(live) == 1
        export(tmp_path / "other.stl", chair_grid(16))  # a write while the child is still writing
        assert live[0].exists(), "a live writer's temporary file was removed"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert live[0].exists()  # killed: nothing cleaned up yet
    unrelated = tmp_path / ".notes.txt.tmp"  # not an atomic_write name: never touched
    unrelated.write_text("keep")
    export(tmp_path / "other.stl", chair_grid(16))
    assert not live[0].exists()
    assert unrelated.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.txt.tmp", "other.stl"]


def test_writing_onto_a_symlink_writes_through_it(tmp_path: Path) -> None:
    """Documented choice (core/atomic.py): the link stays and the file it points to is replaced."""
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    real = real_dir / "shape.binvox"
    export(real, np.zeros((8, 8, 8), bool))
    link = tmp_path / "link.binvox"
    link.symlink_to(real)
    grid = chair_grid(16)
    export(link, grid)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (load_voxels(real, resolution=None) == grid).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.binvox", "real"]
    dangling = tmp_path / "dangling.npy"
    dangling.symlink_to(real_dir / "new.npy")
    export(dangling, grid)
    assert dangling.is_symlink() and (real_dir / "new.npy").is_file()


def test_mesh_export_over_the_triangle_budget_is_refused_up_front(tmp_path: Path) -> None:
    """A 512^3 grid of noise would need ~400M triangles (tens of GB); refused from a face count."""
    import time

    from voxstudio.core.export import MAX_EXPORT_TRIANGLES, exposed_faces

    rng = np.random.default_rng(0)
    noise = rng.random((160, 160, 160)) < 0.5  # ~12M triangles
    start = time.perf_counter()
    with pytest.raises(VoxelFileError, match=f"over the export limit of {MAX_EXPORT_TRIANGLES:,}") as error:
        export(tmp_path / "noise.stl", noise)
    assert error.value.path == tmp_path / "noise.stl"
    assert time.perf_counter() - start < 10
    assert not (tmp_path / "noise.stl").exists()
    export(tmp_path / "noise.npy", noise)  # voxel formats have no surface to build
    small = noise[:24, :24, :24]
    # two triangles per face, plus two per edge split where voxels touch only along it
    assert 2 * exposed_faces(small) <= len(grid_to_mesh_faces(small)) <= 2.1 * exposed_faces(small)


def grid_to_mesh_faces(grid: np.ndarray) -> np.ndarray:
    from voxstudio.core.export import grid_to_mesh

    return grid_to_mesh(grid).faces


def test_smooth_export_of_a_huge_object_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voxstudio.core import export as export_module

    monkeypatch.setattr(export_module, "MAX_SMOOTH_CELLS", 20**3)
    grid = np.zeros((32, 32, 32), bool)
    grid[2:30, 2:30, 2:30] = True
    with pytest.raises(VoxelFileError, match="cells of marching cubes, over the limit of 8,000"):
        export(tmp_path / "big.glb", grid, surface="smooth")
    export(tmp_path / "big.glb", grid)  # blocky is fine
    grid[:] = False
    grid[4:12, 4:12, 0:10] = True
    export(tmp_path / "small.glb", grid, surface="smooth")
