"""Shape builder: the small vocabulary class generators use to place parts.

Generators think in furniture terms (a board from x0..x1, y0..y1, z0..z1; a
leg from one point to another) in metres, z up, front toward -y. The builder
turns those calls into :class:`~voxstudio.data.procedural.primitives.Part`
objects and owns the random generator so every choice is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from voxstudio.data.procedural.primitives import (
    Box,
    Ellipsoid,
    Frustum,
    Part,
    Primitive,
    RoundedBox,
    Torus,
    rotation,
)

Vec3 = Sequence[float]


def _xyz(v: Vec3) -> tuple[float, float, float]:
    """A 3-vector as the primitives store it (a plain tuple of three floats)."""
    x, y, z = v
    return (float(x), float(y), float(z))


def frame_along(direction: np.ndarray) -> np.ndarray:
    """Rotation whose local z axis points along ``direction`` (local x stays near world x)."""
    z = np.asarray(direction, dtype=float)
    z = z / np.linalg.norm(z)
    ref = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = ref - z * float(ref @ z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


class Builder:
    """Collects parts for one shape; wraps the seeded ``numpy`` generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.parts: list[Part] = []
        #: What the generator chose, in furniture terms (metres, counts, 0/1 flags, degrees):
        #: the per-shape attribute table behind the named sliders (voxstudio.data.attributes).
        self.attributes: dict[str, float] = {}

    # ------------------------------------------------------------------ attributes
    def record(self, **values: float) -> None:
        """Note attributes of the shape being built (never draws: the shapes stay the same)."""
        for name, value in values.items():
            self.attributes[name] = float(value)

    def add(self, name: str, amount: float) -> None:
        """Add to a counted attribute (drawers, doors) that several helpers contribute to."""
        self.attributes[name] = self.attributes.get(name, 0.0) + float(amount)

    # ------------------------------------------------------------------ random
    def u(self, low: float, high: float) -> float:
        """Uniform float in [low, high) (``low`` when the range is empty)."""
        value = float(self.rng.uniform(0.0, 1.0))  # always draw: keeps the stream aligned
        return low + (high - low) * value if high > low else low

    def i(self, low: int, high: int) -> int:
        """Uniform integer in [low, high] (inclusive)."""
        return int(self.rng.integers(low, high + 1))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def choice(self, options: Sequence, weights: Sequence[float] | None = None):
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            return options[int(self.rng.choice(len(options), p=w / w.sum()))]
        return options[int(self.rng.integers(len(options)))]

    def jit(self, scale: float) -> float:
        """Small symmetric jitter (slight asymmetry between 'identical' parts)."""
        return float(self.rng.normal(0.0, scale))

    # ------------------------------------------------------------------ parts
    def _put(self, prim: Primitive, subtract: bool = False, droppable: bool = False) -> Primitive:
        self.parts.append(Part(prim, subtract=subtract, droppable=droppable))
        return prim

    def box(self, x0: float, x1: float, y0: float, y1: float, z0: float, z1: float,
            radius: float = 0.0, droppable: bool = False, subtract: bool = False) -> Primitive:
        """Axis-aligned board or block given by its extents (optionally rounded edges)."""
        center = ((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2)
        size = (abs(x1 - x0), abs(y1 - y0), abs(z1 - z0))
        prim: Primitive
        if radius > 0:
            prim = RoundedBox(center=center, size=size, radius=radius)
        else:
            prim = Box(center=center, size=size)
        return self._put(prim, subtract, droppable)

    def obox(self, center: Vec3, size: Vec3, rx: float = 0.0, ry: float = 0.0, rz: float = 0.0,
             radius: float = 0.0, droppable: bool = False, subtract: bool = False) -> Primitive:
        """Box rotated by angles in degrees about its own centre."""
        rot = rotation(rx, ry, rz)
        prim: Primitive
        if radius > 0:
            prim = RoundedBox(center=_xyz(center), rot=rot, size=_xyz(size), radius=radius)
        else:
            prim = Box(center=_xyz(center), rot=rot, size=_xyz(size))
        return self._put(prim, subtract, droppable)

    def bar(self, p0: Vec3, p1: Vec3, width: float, depth: float | None = None,
            radius: float = 0.0, droppable: bool = False) -> Primitive:
        """Square-section bar (leg, rail, slat) between two points."""
        a = np.asarray(p0, dtype=float)
        b = np.asarray(p1, dtype=float)
        d = b - a
        length = float(np.linalg.norm(d))
        size = (width, width if depth is None else depth, length)
        center = tuple((a + b) / 2)
        rot = frame_along(d)
        prim: Primitive
        if radius > 0:
            prim = RoundedBox(center=center, rot=rot, size=size, radius=radius)
        else:
            prim = Box(center=center, rot=rot, size=size)
        return self._put(prim, False, droppable)

    def panel(self, x0: float, x1: float, y: float, z: float, height: float, thickness: float,
              tilt: float = 0.0, radius: float = 0.0, droppable: bool = False) -> Primitive:
        """Board rising from its bottom edge at (y, z), leaning back (toward +y) by ``tilt`` degrees."""
        t = math.radians(tilt)
        top = (y + math.sin(t) * height, z + math.cos(t) * height)
        center = ((x0 + x1) / 2, (y + top[0]) / 2, (z + top[1]) / 2)
        prim: Primitive
        size = (abs(x1 - x0), thickness, height)
        if radius > 0:
            prim = RoundedBox(center=center, rot=rotation(rx=-tilt), size=size, radius=radius)
        else:
            prim = Box(center=center, rot=rotation(rx=-tilt), size=size)
        return self._put(prim, False, droppable)

    def rod(self, p0: Vec3, p1: Vec3, r0: float, r1: float | None = None,
            droppable: bool = False, subtract: bool = False) -> Primitive:
        """Round rod or cone between two points (radii r0 at p0, r1 at p1)."""
        a = np.asarray(p0, dtype=float)
        b = np.asarray(p1, dtype=float)
        d = b - a
        r1 = r0 if r1 is None else r1
        prim = Frustum(center=tuple((a + b) / 2), rot=frame_along(d), bottom=(r0, r0), top=(r1, r1),
                       height=float(np.linalg.norm(d)))
        return self._put(prim, subtract, droppable)

    def cyl(self, cx: float, cy: float, z0: float, z1: float, rx: float, ry: float | None = None,
            top: tuple[float, float] | None = None, wall: float = 0.0, rz: float = 0.0,
            droppable: bool = False, subtract: bool = False) -> Primitive:
        """Vertical elliptic cylinder/frustum from z0 to z1 (``top`` radii make it taper)."""
        ry = rx if ry is None else ry
        prim = Frustum(center=(cx, cy, (z0 + z1) / 2), rot=rotation(rz=rz), bottom=(rx, ry),
                       top=(rx, ry) if top is None else top, height=abs(z1 - z0), wall=wall)
        return self._put(prim, subtract, droppable)

    def disc(self, center: Vec3, rx: float, ry: float, thickness: float, rx_deg: float = 0.0,
             droppable: bool = False) -> Primitive:
        """Elliptic disc whose axis is tilted ``rx_deg`` about x (wheels, lids, feet)."""
        prim = Frustum(center=_xyz(center), rot=rotation(rx=rx_deg), bottom=(rx, ry), top=(rx, ry),
                       height=thickness)
        return self._put(prim, False, droppable)

    def ellipsoid(self, center: Vec3, radii: Vec3, z_min: float = -math.inf, z_max: float = math.inf,
                  rot: np.ndarray | None = None, droppable: bool = False, subtract: bool = False) -> Primitive:
        """Ellipsoid, optionally clipped to a z range relative to its centre."""
        prim = Ellipsoid(center=_xyz(center), rot=np.eye(3) if rot is None else rot, radii=_xyz(radii),
                         z_min=z_min, z_max=z_max)
        return self._put(prim, subtract, droppable)

    def torus(self, center: Vec3, major: float, minor: float, rx: float = 0.0,
              droppable: bool = False) -> Primitive:
        prim = Torus(center=_xyz(center), rot=rotation(rx=rx), major=major, minor=minor)
        return self._put(prim, False, droppable)
