"""Large meshes: time and peak memory to voxelise (or refuse) a big binary STL.

    python bench/bench_large_meshes.py [--triangles 2000000 1000000] [--resolution 32]

Each case writes a closed torus of N triangles as a binary STL, then opens it in a
fresh child process the way the app and ``voxstudio convert`` do
(``voxstudio.core.io.load_voxels``), and reports the child's wall time and peak RSS
(``VmHWM``). Over ``MAX_MESH_TRIANGLES`` the loader refuses the file up front from
its header; the row then says so and shows the message (which names the limit).
Target (issue 15): a 2 M-triangle STL voxelised in <= 20 s and <= 1.5 GB, or
refused up front with a message that gives the limit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 20.0
TARGET_MB = 1536.0

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[3])
started = time.perf_counter()
from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io import load_voxels
outcome = {}
try:
    grid = load_voxels(sys.argv[1], int(sys.argv[2]))
    outcome["voxels"] = int(grid.sum())
except VoxelFileError as error:
    outcome["refused"] = str(error)
outcome["seconds"] = time.perf_counter() - started
with open("/proc/self/status") as handle:
    outcome["peak_mb"] = next(int(l.split()[1]) for l in handle if l.startswith("VmHWM")) / 1024
print(json.dumps(outcome))
"""


def torus_stl(path: Path, triangles: int) -> int:
    """Write a closed torus with about ``triangles`` faces as binary STL; returns the exact count."""
    side = max(3, int(round((triangles / 2) ** 0.5)))
    u = np.linspace(0, 2 * np.pi, side, endpoint=False)
    v = np.linspace(0, 2 * np.pi, side, endpoint=False)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    points = np.stack([(2 + np.cos(vv)) * np.cos(uu), (2 + np.cos(vv)) * np.sin(uu), np.sin(vv)], -1)
    points = points.astype(np.float32)
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    a, b = points[i, j], points[(i + 1) % side, j]
    c, d = points[(i + 1) % side, (j + 1) % side], points[i, (j + 1) % side]
    tri = np.concatenate([np.stack([a, b, c], -2).reshape(-1, 3, 3), np.stack([a, c, d], -2).reshape(-1, 3, 3)])
    record = np.zeros(len(tri), dtype=[("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
    record["vertices"] = tri
    with open(path, "wb") as handle:
        handle.write(b"VoxStudio large-mesh benchmark".ljust(80, b" "))
        handle.write(np.uint32(len(tri)).tobytes())
        handle.write(record.tobytes())
    return len(tri)


def measure(triangles: int, resolution: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"torus_{triangles}.stl"
        count = torus_stl(path, triangles)
        size_mb = path.stat().st_size / 2**20
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(resolution), str(ROOT)],
                              capture_output=True, text=True, timeout=600, check=False)
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"voxelising {count} triangles failed:\n{done.stderr[-3000:]}")
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    outcome.update(triangles=count, file_mb=size_mb, wall_s=wall, resolution=resolution)
    verdict = f"refused: {outcome['refused']}" if "refused" in outcome else f"{outcome['voxels']} voxels"
    print(f"{count:>9,} triangles ({size_mb:5.0f} MB STL) at {resolution}^3: {wall:6.2f} s, "
          f"peak {outcome['peak_mb']:6.0f} MB -- {verdict}", flush=True)
    return outcome


def run(quick: bool = False) -> list:
    """Rows for bench/run.py: the 2 M-triangle case, and the largest accepted (1 M) one."""
    from common import LARGE_MESHES, Result

    cases = (2_000_000, 200_000) if quick else (2_000_000, 1_000_000)
    results = []
    for triangles in cases:
        o = measure(triangles, 32)
        label = f"{o['triangles'] / 1e6:.1f} M-triangle binary STL ({o['file_mb']:.0f} MB) at 32^3"
        if "refused" in o:
            note = (f"refused up front ({o['refused'].split(': ', 1)[-1]}); "
                    f"target <= {TARGET_S:.0f} s and <= {TARGET_MB / 1024:.1f} GB, or refused with the limit")
        else:
            note = f"voxelised ({o['voxels']} voxels)"
        results += [Result(LARGE_MESHES, f"{label}: time", o["wall_s"], "s", runs=1, note=note),
                    Result(LARGE_MESHES, f"{label}: peak RSS", o["peak_mb"], "MB", runs=1)]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triangles", type=int, nargs="+", default=[2_000_000, 1_000_000])
    parser.add_argument("--resolution", type=int, default=32)
    args = parser.parse_args()
    for triangles in args.triangles:
        measure(triangles, args.resolution)


if __name__ == "__main__":
    main()
