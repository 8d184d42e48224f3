"""Benchmark: blocky / smooth meshing of a realistic shape at 32^3 and 64^3.

Prints median wall times (ms) and the speed-up of the vectorised blocky mesher
over a straightforward per-voxel Python loop (the reference implementation
below, kept only here). Run: ``python bench/bench_meshing.py [--repeats N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

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


def median_ms(function: Callable[[], object], repeats: int) -> float:
    function()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    print(f"{'R':>4} {'voxels':>7} {'faces':>7} {'blocky ms':>10} {'smooth ms':>10} {'smooth+taubin10 ms':>19} {'naive ms':>9} {'speed-up':>9}")
    for resolution in (32, 64):
        grid = chair_with_cushion(resolution)
        mesh = blocky_mesh(grid)
        reference = naive_blocky_mesh(grid)
        assert reference.faces.shape == mesh.faces.shape and reference.vertices.shape == mesh.vertices.shape
        assert mesh.to_trimesh().volume == float(grid.sum())
        blocky = median_ms(lambda: blocky_mesh(grid), args.repeats)
        smooth = median_ms(lambda: smooth_mesh(grid), args.repeats)
        smoothed = median_ms(lambda: smooth_mesh(grid, smoothing_iterations=10), max(3, args.repeats // 4))
        naive = median_ms(lambda: naive_blocky_mesh(grid), 3)
        print(
            f"{resolution:>4} {int(grid.sum()):>7} {mesh.faces.shape[0]:>7} {blocky:>10.2f} {smooth:>10.2f}"
            f" {smoothed:>19.2f} {naive:>9.1f} {naive / blocky:>8.0f}x"
        )


if __name__ == "__main__":
    main()
