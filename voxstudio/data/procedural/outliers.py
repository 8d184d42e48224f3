"""Non-furniture shapes: what the classifiers learn to answer "none of these" for.

A classifier trained only on its twelve classes answers one of them for any input:
a motorbike comes back as a confident *table*. These generators give it (and the
calibration of its rejection threshold) shapes that are clearly *not* furniture:
vehicles, aircraft, lamps, vessels, figures, trees, tools and loose blobs. They are
built from the same parts vocabulary as the furniture (metres, z up, front -y) and
voxelised the same way, so the only difference the networks can learn is the
shape itself, not the way it was drawn.

``generate_outlier(seed)`` is deterministic across machines (BLAKE2-seeded, like
the furniture); ``OUTLIER_KINDS`` lists the families.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from voxstudio.data.procedural.builder import Builder
from voxstudio.data.procedural.primitives import Part, rasterise

__all__ = ["OUTLIER_KINDS", "generate_outlier", "build_outlier_parts", "outlier_grids"]


def _wheel(b: Builder, x: float, y: float, radius: float, width: float) -> None:
    """A wheel whose axle runs along x."""
    b.disc((x, y, radius), radius, radius, width, rx_deg=0.0)
    b.parts[-1].primitive.rot = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])


def car(b: Builder) -> None:
    length, width = b.u(3.6, 4.8), b.u(1.6, 1.9)
    body_h, cabin_h = b.u(0.5, 0.7), b.u(0.4, 0.55)
    r = b.u(0.3, 0.38)
    clearance = r * b.u(0.7, 1.0)
    hx, hy = width / 2, length / 2  # a car is long along y
    b.box(-hx, hx, -hy, hy, clearance, clearance + body_h, radius=0.08)
    front = b.u(0.15, 0.35) * length
    b.box(-hx + 0.08, hx - 0.08, -hy + front, hy - b.u(0.2, 0.6), clearance + body_h,
          clearance + body_h + cabin_h, radius=0.12)
    for sx in (-1, 1):
        for sy in (-1, 1):
            _wheel(b, sx * (hx - 0.1), sy * (hy - 0.75), r, 0.22)


def motorbike(b: Builder) -> None:
    r = b.u(0.28, 0.34)
    base = b.u(1.3, 1.6)
    for sy in (-1, 1):
        _wheel(b, 0.0, sy * base / 2, r, 0.12)
    b.bar((0.0, -base / 2, r), (0.0, 0.0, r + 0.45), 0.06)
    b.bar((0.0, base / 2, r), (0.0, 0.1, r + 0.35), 0.06)
    b.ellipsoid((0.0, -0.05, r + 0.45), (0.18, 0.35, 0.15))  # tank
    b.box(-0.14, 0.14, 0.1, 0.6, r + 0.4, r + 0.5, radius=0.04)  # seat
    b.bar((-0.35, -base / 2 + 0.2, r + 0.75), (0.35, -base / 2 + 0.2, r + 0.75), 0.04)  # handlebar
    b.bar((0.0, -base / 2, r), (0.0, -base / 2 + 0.2, r + 0.75), 0.05)  # fork


def airplane(b: Builder) -> None:
    length = b.u(8.0, 14.0)
    radius = length * b.u(0.05, 0.07)
    span = length * b.u(0.8, 1.2)
    z = radius * b.u(1.2, 2.0)
    b.rod((0.0, -length / 2, z), (0.0, length / 2, z), radius, radius * 0.4)
    b.ellipsoid((0.0, -length / 2, z), (radius, radius * 1.5, radius))
    wing_y = b.u(-0.1, 0.1) * length
    b.obox((0.0, wing_y, z), (span, length * 0.12, radius * 0.25), rz=b.u(-5, 5))
    b.obox((0.0, length * 0.45, z), (span * 0.35, length * 0.07, radius * 0.2))
    b.obox((0.0, length * 0.45, z + radius * 1.5), (radius * 0.2, length * 0.08, radius * 3))


def floor_lamp(b: Builder) -> None:
    height = b.u(1.3, 1.9)
    b.cyl(0.0, 0.0, 0.0, 0.03, b.u(0.12, 0.2))
    b.cyl(0.0, 0.0, 0.0, height, 0.015)
    shade_r = b.u(0.15, 0.3)
    b.cyl(0.0, 0.0, height - 0.1, height + b.u(0.15, 0.3), shade_r, top=(shade_r * b.u(0.5, 0.8),) * 2, wall=0.02)


def vessel(b: Builder) -> None:
    """Mugs, vases, bottles and buckets: a turned profile, hollow or solid."""
    height = b.u(0.1, 0.5)
    r0 = height * b.u(0.2, 0.45)
    r1 = r0 * b.u(0.4, 1.3)
    hollow = b.chance(0.6)
    b.cyl(0.0, 0.0, 0.0, height, r0, top=(r1, r1), wall=r0 * 0.12 if hollow else 0.0)
    if hollow:
        b.cyl(0.0, 0.0, 0.0, height * 0.08, r0)
    if b.chance(0.4):
        b.torus((r0 + height * 0.1, 0.0, height * 0.55), height * 0.18, height * 0.04, rx=90.0)
    if b.chance(0.3):  # bottle neck
        b.cyl(0.0, 0.0, height, height * 1.4, r1 * 0.35)


def figure(b: Builder) -> None:
    """A standing person / statue."""
    h = b.u(1.5, 1.9)
    leg_t = 0.12
    for sx in (-1, 1):
        b.bar((sx * 0.1, 0.0, 0.0), (sx * 0.1, 0.0, h * 0.47), leg_t)
    b.box(-0.2, 0.2, -0.1, 0.1, h * 0.47, h * 0.8, radius=0.05)
    b.ellipsoid((0.0, 0.0, h * 0.88), (0.1, 0.11, 0.12))
    pose = b.u(-60, 60)
    for sx in (-1, 1):
        a = math.radians(pose * sx)
        end = (sx * (0.3 + 0.3 * abs(math.sin(a))), 0.0, h * 0.78 - 0.5 * math.cos(a))
        b.bar((sx * 0.24, 0.0, h * 0.78), end, 0.09)


def tree(b: Builder) -> None:
    h = b.u(2.0, 5.0)
    b.cyl(0.0, 0.0, 0.0, h * 0.5, h * 0.04, top=(h * 0.025, h * 0.025))
    if b.chance(0.5):
        b.ellipsoid((0.0, 0.0, h * 0.7), (h * 0.3, h * 0.3, h * 0.3))
    else:
        b.cyl(0.0, 0.0, h * 0.3, h, h * 0.3, top=(0.01, 0.01))


def tool(b: Builder) -> None:
    """Hammers, dumbbells, guitars: long handles with a heavy end, lying or standing."""
    kind = b.choice(("hammer", "dumbbell", "guitar"))
    if kind == "hammer":
        b.bar((0.0, -0.15, 0.02), (0.0, 0.15, 0.02), 0.03)
        b.box(-0.06, 0.06, 0.13, 0.17, 0.0, 0.04)
    elif kind == "dumbbell":
        b.bar((-0.2, 0.0, 0.08), (0.2, 0.0, 0.08), 0.03)
        for sx in (-1, 1):
            b.disc((sx * 0.15, 0.0, 0.08), 0.08, 0.08, 0.06, rx_deg=0.0)
            b.parts[-1].primitive.rot = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    else:
        b.ellipsoid((0.0, 0.0, 0.25), (0.18, 0.06, 0.25))
        b.bar((0.0, 0.0, 0.45), (0.0, 0.0, 1.0), 0.05)
        b.box(-0.04, 0.04, -0.02, 0.02, 0.95, 1.05)


def blob(b: Builder) -> None:
    """A loose cluster of round primitives (rocks, sculptures, noise)."""
    for _ in range(b.i(2, 6)):
        c = (b.u(-0.5, 0.5), b.u(-0.5, 0.5), b.u(0.1, 0.8))
        radii = (b.u(0.1, 0.4), b.u(0.1, 0.4), b.u(0.1, 0.4))
        b.ellipsoid(c, radii)


def rocket(b: Builder) -> None:
    h = b.u(2.0, 4.0)
    r = h * b.u(0.06, 0.1)
    b.cyl(0.0, 0.0, h * 0.1, h * 0.8, r)
    b.cyl(0.0, 0.0, h * 0.8, h, r, top=(0.005, 0.005))
    for k in range(b.i(3, 4)):
        a = 2 * math.pi * k / 4
        b.obox((math.cos(a) * r * 1.6, math.sin(a) * r * 1.6, h * 0.15), (r * 1.4, 0.03, h * 0.3),
               rz=math.degrees(a))


GENERATORS: dict[str, Callable[[Builder], None]] = {
    "car": car,
    "motorbike": motorbike,
    "airplane": airplane,
    "floor_lamp": floor_lamp,
    "vessel": vessel,
    "figure": figure,
    "tree": tree,
    "tool": tool,
    "blob": blob,
    "rocket": rocket,
}
OUTLIER_KINDS: tuple[str, ...] = tuple(GENERATORS)


def build_outlier_parts(seed: int) -> tuple[str, list[Part], float]:
    """``(kind, parts, yaw)`` of outlier ``seed``: the kind cycles, the rest is drawn from the seed."""
    from voxstudio.data.procedural import shape_rng

    kind = OUTLIER_KINDS[int(seed) % len(OUTLIER_KINDS)]
    rng = shape_rng(f"outlier-{kind}", int(seed))
    builder = Builder(rng)
    GENERATORS[kind](builder)
    yaw = float(rng.uniform(-180.0, 180.0))
    return kind, builder.parts, yaw


def generate_outlier(seed: int, resolution: int = 32) -> np.ndarray:
    """Bool ``(R, R, R)`` grid of one non-furniture shape, framed like the furniture."""
    _, parts, yaw = build_outlier_parts(seed)
    return rasterise(parts, resolution=resolution, yaw_deg=yaw)


def outlier_grids(count: int, resolution: int = 32, first_seed: int = 0) -> np.ndarray:
    """``(count, R, R, R)`` bool grids of outliers ``first_seed .. first_seed + count - 1``."""
    return np.stack([generate_outlier(first_seed + k, resolution) for k in range(int(count))])
