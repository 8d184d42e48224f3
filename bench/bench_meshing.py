"""Benchmark: blocky / smooth meshing of a realistic shape at 32^3 and 64^3.

Prints median wall times (ms) of the per-face and merged (``merge=True``) blocky
meshes, their triangle counts, and the speed-up of the vectorised blocky mesher
over a straightforward per-voxel Python loop (the reference implementation
below, kept only here). Run: ``python bench/bench_meshing.py [--repeats N]``.
``run(quick)`` returns the same figures as :class:`common.Result` rows for
``bench/run.py``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
from common import MESHING, Result, Timing, measure, timed_result

from voxstudio.core.meshing import SurfaceMesh, blocky_mesh, smooth_mesh


def chair_with_cushion(resolution: int) -> np.ndarray:
    """A chair built from boxes with a rounded cushion (sphere cap) on the seat."""
    s = resolution / 32.0
    grid = np.zeros((resolution,) * 3, dtype=bool)

    def box(x0, x1, y0, y1, z0, z1):
        grid[round(x0 * s) : round(x1 * s), round(y0 * s) : round(y1 * s), round(z0 * s) : round(z1 * s)] = True

    box(7, 25, 7, 25, 12, 14)  # seat
    for x in (7, 23):
        for y in (7, 23):
            box(x, x + 2, y, y + 2, 0, 12)  # legs
    box(7, 25, 23, 25, 14, 31)  # backrest
    box(7, 9, 7, 23, 14, 19)  # armrests
    box(23, 25, 7, 23, 14, 19)
    c = np.arange(resolution) + 0.5
    x, y, z = np.meshgrid(c, c, c, indexing="ij")
    cushion = (x - 16 * s) ** 2 + (y - 15 * s) ** 2 + ((z - 9 * s) * 2.0) ** 2 < (8 * s) ** 2
    grid |= cushion & (z > 14 * s)
    return grid


def naive_blocky_mesh(grid: np.ndarray) -> SurfaceMesh:
    """Reference: loop over voxels and neighbours in Python, merge vertices with a dict."""
    nx, ny, nz = grid.shape
    vertex_ids: dict[tuple[int, int, int], int] = {}
    vertices: list[tuple[int, int, int]] = []
    faces: list[tuple[int, int, int]] = []

    def vid(p: tuple[int, int, int]) -> int:
        if p not in vertex_ids:
            vertex_ids[p] = len(vertices)
            vertices.append(p)
        return vertex_ids[p]

    for i in range(nx):
        for j in range(ny):
            for k in range(nz):
                if not grid[i, j, k]:
                    continue
                for axis in range(3):
                    u, v = (axis + 1) % 3, (axis + 2) % 3
                    for sign in (1, -1):
                        n = [i, j, k]
                        n[axis] += sign
                        if 0 <= n[0] < nx and 0 <= n[1] < ny and 0 <= n[2] < nz and grid[n[0], n[1], n[2]]:
                            continue
                        square = [(0, 0), (1, 0), (1, 1), (0, 1)]
                        if sign < 0:
                            square = square[::-1]
                        quad = []
                        for du, dv in square:
                            p = [i, j, k]
                            p[axis] += 1 if sign > 0 else 0
                            p[u] += du
                            p[v] += dv
                            quad.append(vid((p[0], p[1], p[2])))
                        faces.append((quad[0], quad[1], quad[2]))
                        faces.append((quad[0], quad[2], quad[3]))
    return SurfaceMesh(vertices=np.array(vertices, dtype=np.float32), faces=np.array(faces, dtype=np.int64))


@dataclass
class MeshingFigures:
    """Timings of one resolution: the three meshers and the per-voxel reference."""

    resolution: int
    voxels: int
    faces: int
    merged_faces: int
    blocky: Timing
    merged: Timing
    smooth: Timing
    smoothed: Timing
    naive: Timing


def measure_resolution(resolution: int, repeats: int, naive_repeats: int = 3) -> MeshingFigures:
    """Check the vectorised mesher against the reference, then time all of them."""
    grid = chair_with_cushion(resolution)
    mesh = blocky_mesh(grid)
    reference = naive_blocky_mesh(grid)
    # same faces; vertices where voxels touch only along an edge/corner get one copy per sheet, and
    # an edge that stays shared by four triangles is split (two more triangles), so counts can only grow
    assert reference.faces.shape[0] <= mesh.faces.shape[0] and reference.vertices.shape[0] <= mesh.vertices.shape[0]
    assert mesh.to_trimesh().volume == float(grid.sum())
    merged = blocky_mesh(grid, merge=True)
    assert merged.to_trimesh().is_watertight and merged.to_trimesh().volume == float(grid.sum())
    return MeshingFigures(
        resolution=resolution,
        voxels=int(grid.sum()),
        faces=int(mesh.faces.shape[0]),
        merged_faces=int(merged.faces.shape[0]),
        blocky=measure(lambda: blocky_mesh(grid), repeats),
        merged=measure(lambda: blocky_mesh(grid, merge=True), repeats),
        smooth=measure(lambda: smooth_mesh(grid), repeats),
        smoothed=measure(lambda: smooth_mesh(grid, smoothing_iterations=10), max(3, repeats // 4)),
        naive=measure(lambda: naive_blocky_mesh(grid), naive_repeats),
    )


def to_results(f: MeshingFigures) -> list[Result]:
    r = f"{f.resolution}^3"
    shape = {"resolution": f.resolution, "voxels": f.voxels, "faces": f.faces}
    return [
        timed_result(MESHING, f"blocky {r} ({f.faces} faces)", f.blocky,
                     reference=("per-voxel Python loop", f.naive), **shape),
        timed_result(MESHING, f"blocky merged {r} ({f.merged_faces} faces)", f.merged, **shape),
        timed_result(MESHING, f"smooth (marching cubes) {r}", f.smooth, **shape),
        timed_result(MESHING, f"smooth + 10 Taubin iterations {r}", f.smoothed, **shape),
    ]


def run(quick: bool = False) -> list[Result]:
    """Figures for bench/run.py: 32^3 and 64^3 (quick: fewer repeats)."""
    results: list[Result] = []
    for resolution in (32, 64):
        results += to_results(measure_resolution(resolution, 3 if quick else 20, 1 if quick else 3))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    print(f"{'R':>4} {'voxels':>7} {'faces':>7} {'merged':>7} {'blocky ms':>10} {'merged ms':>10} {'smooth ms':>10} {'smooth+taubin10 ms':>19} {'naive ms':>9} {'speed-up':>9}")
    for resolution in (32, 64):
        f = measure_resolution(resolution, args.repeats)
        print(
            f"{resolution:>4} {f.voxels:>7} {f.faces:>7} {f.merged_faces:>7} {f.blocky.median_ms:>10.2f}"
            f" {f.merged.median_ms:>10.2f} {f.smooth.median_ms:>10.2f}"
            f" {f.smoothed.median_ms:>19.2f} {f.naive.median_ms:>9.1f} {f.naive.median_s / f.blocky.median_s:>8.0f}x"
        )


if __name__ == "__main__":
    main()
