"""A small, independent "mesh-built" held-out set: furniture modelled as triangle meshes.

    python docs/meshbuilt_set.py --out /tmp/meshbuilt [--per-class 5] [--seed 0]

Why: the classifiers are trained on the procedural voxel generators
(voxstudio.data.procedural).  A model that is perfect on those toys can still
fail on a user's real chair.  No ModelNet/ShapeNet data is available here, so
this script builds a stand-in the way real CAD data looks: each object is a
*triangle soup* of trimesh primitives (cylinders, spheres, tilted and rotated
boxes, splayed legs, open shells) that touch or overlap without being merged,
in metres, z up, front towards -y -- written as a ModelNet-like tree
``OUT/<class>/test/<class>_<k>.off`` and voxelised by the real importer
(``voxstudio dataset import-modelnet``).

Independence: none of the procedural generators' code, parameters or
rasteriser is used; the styles (swivel chairs on five-star bases, cantilever
tube chairs, clawfoot tubs, CRT monitors, pedestal tables, rolled-arm sofas,
...) were chosen from real furniture, not from the generators' output.  Each of
the ``--per-class`` shapes of a class is a different *style* (style k of class
c), with seeded jitter of proportions.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import trimesh
from trimesh import creation, transformations

Part = trimesh.Trimesh
Builder = Callable[[int, np.random.Generator], list[Part]]

# --------------------------------------------------------------------------- primitives (metres)


def box(size: tuple[float, float, float], centre: tuple[float, float, float]) -> Part:
    return creation.box(extents=size, transform=transformations.translation_matrix(centre))


def slab(x0: float, x1: float, y0: float, y1: float, z0: float, z1: float) -> Part:
    """Axis-aligned box from its bounds."""
    return box((x1 - x0, y1 - y0, z1 - z0), ((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2))


def rod(p0: tuple[float, float, float], p1: tuple[float, float, float], radius: float, sections: int = 12) -> Part:
    """Cylinder between two points (legs, posts, tubes, spindles)."""
    return creation.cylinder(radius=radius, segment=np.array([p0, p1], dtype=float), sections=sections)


def disc(radius: float, z0: float, z1: float, centre: tuple[float, float] = (0.0, 0.0), sections: int = 24) -> Part:
    return rod((centre[0], centre[1], z0), (centre[0], centre[1], z1), radius, sections)


def ellipsoid(radii: tuple[float, float, float], centre: tuple[float, float, float], subdivisions: int = 2) -> Part:
    mesh = creation.icosphere(subdivisions=subdivisions, radius=1.0)
    mesh.apply_scale(radii)
    mesh.apply_translation(centre)
    return mesh


def tilted(part: Part, degrees: float, axis: tuple[float, float, float], pivot: tuple[float, float, float]) -> Part:
    part.apply_transform(transformations.rotation_matrix(math.radians(degrees), axis, pivot))
    return part


def open_tub(length: float, width: float, height: float, wall: float, oval: bool) -> list[Part]:
    """A basin open at the top: walls + floor as separate touching parts (not a closed solid)."""
    if oval:
        ring = creation.annulus(r_min=0.5 - wall / width, r_max=0.5, height=height, sections=32)
        ring.apply_scale((length, width, 1.0))
        ring.apply_translation((0, 0, height / 2))
        floor = creation.cylinder(radius=0.5, height=wall, sections=32)
        floor.apply_scale((length, width, 1.0))
        floor.apply_translation((0, 0, wall / 2))
        return [ring, floor]
    hx, hy = length / 2, width / 2
    return [
        slab(-hx, hx, -hy, -hy + wall, 0, height), slab(-hx, hx, hy - wall, hy, 0, height),
        slab(-hx, -hx + wall, -hy, hy, 0, height), slab(hx - wall, hx, -hy, hy, 0, height),
        slab(-hx, hx, -hy, hy, 0, wall),
    ]


def drop_downward_faces(part: Part) -> Part:
    """Remove the faces looking down (an open-bottomed shell, common in CAD exports)."""
    keep = part.face_normals[:, 2] > -0.9
    return trimesh.Trimesh(part.vertices, part.faces[keep], process=False)


def four_legs(x: float, y: float, z0: float, z1: float, radius: float, splay: float = 0.0) -> list[Part]:
    return [rod((sx * (x + splay), sy * (y + splay), z0), (sx * x, sy * y, z1), radius)
            for sx in (-1, 1) for sy in (-1, 1)]


def j(rng: np.random.Generator, value: float, spread: float = 0.08) -> float:
    """Jitter a proportion by up to +-spread (relative)."""
    return float(value * (1.0 + rng.uniform(-spread, spread)))


# --------------------------------------------------------------------------- classes (front = -y)


def bathtub(style: int, rng: np.random.Generator) -> list[Part]:
    L, W, H = j(rng, 1.7), j(rng, 0.78), j(rng, 0.55)
    if style == 0:  # built-in rectangular tub with a thick rim
        return open_tub(L, W, H, 0.08, oval=False) + [slab(-L / 2, L / 2, -W / 2 - 0.03, -W / 2 + 0.05, H - 0.05, H)]
    if style == 1:  # clawfoot oval tub on four ball feet
        parts = [p.apply_translation((0, 0, 0.14)) for p in open_tub(L, W, H, 0.05, oval=True)]
        return parts + [ellipsoid((0.06, 0.06, 0.08), (sx * L * 0.33, sy * W * 0.3, 0.08)) for sx in (-1, 1) for sy in (-1, 1)]
    if style == 2:  # panelled tub with a tap column at one end
        return open_tub(L, W, H, 0.06, oval=False) + [rod((L / 2 - 0.1, 0, H), (L / 2 - 0.1, 0, H + 0.25), 0.025),
                                                       rod((L / 2 - 0.1, 0, H + 0.25), (L / 2 - 0.25, 0, H + 0.25), 0.02)]
    if style == 3:  # freestanding oval tub on a plinth
        return [slab(-L * 0.4, L * 0.4, -W * 0.35, W * 0.35, 0, 0.08)] + [
            p.apply_translation((0, 0, 0.08)) for p in open_tub(L, W, H, 0.04, oval=True)]
    # sloped-back tub: one end wall leaning outwards
    parts = open_tub(L * 0.9, W, H, 0.07, oval=False)
    parts.append(tilted(slab(-0.035, 0.035, -W / 2, W / 2, 0, H * 1.1), -25, (0, 1, 0), (0, 0, 0))
                 .apply_translation((-L * 0.45, 0, 0)))
    return parts


def bed(style: int, rng: np.random.Generator) -> list[Part]:
    L, W = j(rng, 2.05), j(rng, 1.5)  # length along y (head at +y), width along x
    hx, hy = W / 2, L / 2
    mattress = slab(-hx + 0.03, hx - 0.03, -hy + 0.03, hy - 0.03, 0.3, 0.52)
    if style == 0:  # platform bed with a tall upholstered headboard
        return [slab(-hx, hx, -hy, hy, 0.0, 0.3), mattress, slab(-hx - 0.05, hx + 0.05, hy, hy + 0.08, 0.0, 1.15)]
    if style == 1:  # four-poster with canopy rails
        posts = [rod((sx * hx, sy * hy, 0), (sx * hx, sy * hy, 2.0), 0.04) for sx in (-1, 1) for sy in (-1, 1)]
        rails = [rod((-hx, sy * hy, 2.0), (hx, sy * hy, 2.0), 0.03) for sy in (-1, 1)]
        rails += [rod((sx * hx, -hy, 2.0), (sx * hx, hy, 2.0), 0.03) for sx in (-1, 1)]
        return [slab(-hx, hx, -hy, hy, 0.2, 0.32), mattress.apply_translation((0, 0, 0.02))] + posts + rails
    if style == 2:  # bed on turned legs with pillows and a low footboard
        legs = four_legs(hx - 0.05, hy - 0.05, 0, 0.25, 0.035)
        pillows = [ellipsoid((0.3, 0.18, 0.07), (sx * hx * 0.5, hy - 0.3, 0.57)) for sx in (-1, 1)]
        return legs + [slab(-hx, hx, -hy, hy, 0.22, 0.3), mattress, slab(-hx, hx, hy, hy + 0.06, 0.2, 0.95),
                       slab(-hx, hx, -hy - 0.06, -hy, 0.2, 0.6)] + pillows
    if style == 3:  # sleigh bed: head- and footboards leaning outwards
        head = tilted(slab(-hx, hx, hy, hy + 0.07, 0.0, 1.1), -15, (1, 0, 0), (0, hy, 0))
        foot = tilted(slab(-hx, hx, -hy - 0.07, -hy, 0.0, 0.7), 15, (1, 0, 0), (0, -hy, 0))
        return [slab(-hx, hx, -hy, hy, 0.1, 0.32), mattress, head, foot]
    # single day bed: narrow, with a back rail along one side
    hx = j(rng, 0.48)
    return [slab(-hx, hx, -hy, hy, 0.1, 0.3), slab(-hx + 0.02, hx - 0.02, -hy + 0.02, hy - 0.02, 0.3, 0.48),
            slab(-hx, hx, hy, hy + 0.05, 0.0, 0.9), slab(-hx, hx, -hy - 0.05, -hy, 0.0, 0.9)]


def chair(style: int, rng: np.random.Generator) -> list[Part]:
    s, h = j(rng, 0.46), j(rng, 0.46)  # seat size and height
    if style == 0:  # round-seat chair with splayed legs and a spindle back
        seat = disc(s / 2, h - 0.04, h)
        legs = four_legs(s * 0.3, s * 0.3, 0, h - 0.04, 0.018, splay=0.05)
        spindles = [rod((x, s * 0.4, h), (x, s * 0.48, h + 0.45), 0.012) for x in np.linspace(-s * 0.35, s * 0.35, 5)]
        return [seat, *legs, *spindles, rod((-s * 0.4, s * 0.48, h + 0.45), (s * 0.4, s * 0.48, h + 0.45), 0.025)]
    if style == 1:  # swivel office chair on a five-star base
        star = [tilted(slab(0, 0.32, -0.025, 0.025, 0.05, 0.09), 72 * k, (0, 0, 1), (0, 0, 0)) for k in range(5)]
        casters = [ellipsoid((0.03, 0.03, 0.03), (0.3 * math.cos(math.radians(72 * k)), 0.3 * math.sin(math.radians(72 * k)), 0.03))
                   for k in range(5)]
        back = tilted(slab(-s / 2, s / 2, s / 2 - 0.05, s / 2, h + 0.05, h + 0.6), -10, (1, 0, 0), (0, s / 2, h))
        arms = [slab(sx * s / 2 - 0.03, sx * s / 2 + 0.03, -s / 3, s / 3, h + 0.2, h + 0.23) for sx in (-1, 1)]
        arms += [rod((sx * s / 2, 0, h), (sx * s / 2, 0, h + 0.2), 0.015) for sx in (-1, 1)]
        return [*star, *casters, disc(0.03, 0.08, h - 0.06), slab(-s / 2, s / 2, -s / 2, s / 2, h - 0.08, h), back, *arms]
    if style == 2:  # cantilever chair: one bent tube frame, no back legs
        r = 0.013
        frame = []
        for sx in (-1, 1):
            x = sx * s * 0.45
            frame += [rod((x, s * 0.2, 0.01), (x, -s * 0.5, 0.01), r), rod((x, -s * 0.5, 0.01), (x, -s * 0.5, h), r),
                      rod((x, -s * 0.5, h), (x, s * 0.45, h), r), rod((x, s * 0.45, h), (x, s * 0.55, h + 0.45), r)]
        return frame + [slab(-s / 2, s / 2, -s / 2, s / 2, h, h + 0.04),
                        tilted(slab(-s / 2, s / 2, s * 0.5, s * 0.55, h + 0.15, h + 0.45), -12, (1, 0, 0), (0, s / 2, h))]
    if style == 3:  # wooden armchair: square legs continue into arm posts
        legs = [slab(sx * s / 2 - 0.04 * (sx > 0), sx * s / 2 + 0.04 * (sx < 0), sy * s / 2 - 0.04 * (sy > 0),
                     sy * s / 2 + 0.04 * (sy < 0), 0, h + (0.25 if sy < 0 else 0.85)) for sx in (-1, 1) for sy in (-1, 1)]
        arms = [slab(sx * s / 2 - 0.03, sx * s / 2 + 0.03, -s / 2, s / 2, h + 0.22, h + 0.26) for sx in (-1, 1)]
        return [*legs, *arms, slab(-s / 2, s / 2, -s / 2, s / 2, h - 0.05, h),
                slab(-s / 2, s / 2, s / 2 - 0.03, s / 2, h + 0.35, h + 0.8)]
    # moulded shell chair on four splayed wooden legs
    shell_seat = ellipsoid((s / 2, s / 2, 0.04), (0, 0, h))
    shell_back = tilted(ellipsoid((s / 2, 0.035, 0.22), (0, s / 2, h + 0.22)), -12, (1, 0, 0), (0, s / 2, h))
    return [shell_seat, shell_back, *four_legs(s * 0.25, s * 0.25, 0, h - 0.02, 0.016, splay=0.08)]


def desk(style: int, rng: np.random.Generator) -> list[Part]:
    L, D, H = j(rng, 1.4), j(rng, 0.7), 0.75
    top = slab(-L / 2, L / 2, -D / 2, D / 2, H - 0.04, H)
    if style == 0:  # pedestal of drawers on the right, panel leg on the left
        drawers = [slab(L / 2 - 0.42, L / 2 - 0.02, -D / 2 - 0.015, -D / 2, z, z + 0.2) for z in (0.05, 0.28, 0.51)]
        return [top, slab(L / 2 - 0.45, L / 2, -D / 2, D / 2, 0, H - 0.04), slab(-L / 2, -L / 2 + 0.04, -D / 2, D / 2, 0, H - 0.04),
                *drawers]
    if style == 1:  # writing desk on tapered round legs with a drawer under the top
        legs = four_legs(L / 2 - 0.06, D / 2 - 0.06, 0, H - 0.12, 0.025)
        return [top, *legs, slab(-L / 2 + 0.03, L / 2 - 0.03, -D / 2 + 0.03, D / 2 - 0.03, H - 0.14, H - 0.04)]
    if style == 2:  # L-shaped corner desk
        wing = slab(L / 2 - D * 0.8, L / 2, D / 2, D / 2 + 0.9, H - 0.04, H)
        return [top, wing, slab(-L / 2, -L / 2 + 0.04, -D / 2, D / 2, 0, H - 0.04),
                slab(L / 2 - D * 0.8, L / 2, D / 2 + 0.86, D / 2 + 0.9, 0, H - 0.04),
                slab(L / 2 - 0.04, L / 2, -D / 2, D / 2 + 0.9, 0, H - 0.04)]
    if style == 3:  # trestle desk with a modesty panel at the back
        ends = [slab(sx * L / 2 - 0.03, sx * L / 2 + 0.03, -D / 2 + 0.05, D / 2 - 0.05, 0, H - 0.04) for sx in (-1, 1)]
        feet = [slab(sx * L / 2 - 0.04, sx * L / 2 + 0.04, -D / 2, D / 2, 0, 0.05) for sx in (-1, 1)]
        return [top, *ends, *feet, slab(-L / 2, L / 2, D / 2 - 0.06, D / 2 - 0.03, 0.35, H - 0.04)]
    # computer desk: keyboard tray, side cabinet, and a shelf hutch along the back edge
    return [top, slab(-L / 2, -L / 2 + 0.04, -D / 2, D / 2, 0, H - 0.04), slab(L / 2 - 0.4, L / 2, -D / 2, D / 2, 0, H - 0.04),
            slab(-L / 2 + 0.1, L / 2 - 0.5, -D / 2 + 0.02, D / 2 - 0.1, H - 0.12, H - 0.1),
            slab(-L / 2, L / 2, D / 2 - 0.3, D / 2, H + 0.35, H + 0.38),
            slab(-L / 2, -L / 2 + 0.03, D / 2 - 0.3, D / 2, H, H + 0.38), slab(L / 2 - 0.03, L / 2, D / 2 - 0.3, D / 2, H, H + 0.38)]


def dresser(style: int, rng: np.random.Generator) -> list[Part]:
    L, D, H = j(rng, 1.3), j(rng, 0.5), j(rng, 0.85)

    def fronts(x0: float, x1: float, z0: float, z1: float, rows: int, cols: int) -> list[Part]:
        parts = []
        w, h = (x1 - x0) / cols, (z1 - z0) / rows
        for r in range(rows):
            for c in range(cols):
                xa, za = x0 + c * w, z0 + r * h
                parts.append(slab(xa + 0.01, xa + w - 0.01, -D / 2 - 0.02, -D / 2, za + 0.01, za + h - 0.01))
                parts.append(rod((xa + w / 2 - 0.05, -D / 2 - 0.02, za + h / 2), (xa + w / 2 + 0.05, -D / 2 - 0.02, za + h / 2), 0.008))
        return parts

    if style == 0:  # wide chest of 3 x 2 drawers on short round feet
        return [slab(-L / 2, L / 2, -D / 2, D / 2, 0.1, H), *fronts(-L / 2, L / 2, 0.1, H, 3, 2),
                *four_legs(L / 2 - 0.05, D / 2 - 0.05, 0, 0.1, 0.025)]
    if style == 1:  # tall chest of five drawers
        L2, H2 = L * 0.65, H * 1.45
        return [slab(-L2 / 2, L2 / 2, -D / 2, D / 2, 0.0, H2), slab(-L2 / 2 - 0.02, L2 / 2 + 0.02, -D / 2 - 0.02, D / 2 + 0.02, H2, H2 + 0.03),
                *fronts(-L2 / 2, L2 / 2, 0.08, H2, 5, 1)]
    if style == 2:  # dresser with a mirror standing on the back edge
        return [slab(-L / 2, L / 2, -D / 2, D / 2, 0.0, H), *fronts(-L / 2, L / 2, 0.05, H, 3, 3),
                slab(-L * 0.35, L * 0.35, D / 2 - 0.05, D / 2 - 0.02, H, H + 0.7)]
    if style == 3:  # long sideboard on a recessed plinth, doors and drawers
        L3 = L * 1.3
        return [slab(-L3 / 2 + 0.05, L3 / 2 - 0.05, -D / 2 + 0.05, D / 2 - 0.05, 0, 0.1), slab(-L3 / 2, L3 / 2, -D / 2, D / 2, 0.1, H * 0.95),
                *fronts(-L3 / 2, L3 / 2, H * 0.65, H * 0.95, 1, 4), *fronts(-L3 / 2, L3 / 2, 0.12, H * 0.63, 1, 3)]
    # chest with rounded (capsule) top edges, open bottom shell
    body = drop_downward_faces(slab(-L / 2, L / 2, -D / 2, D / 2, 0.06, H - 0.04))
    edges = [rod((-L / 2, sy * (D / 2 - 0.04), H - 0.04), (L / 2, sy * (D / 2 - 0.04), H - 0.04), 0.04) for sy in (-1, 1)]
    return [body, *edges, slab(-L / 2, L / 2, -D / 2 + 0.04, D / 2 - 0.04, H - 0.08, H), *fronts(-L / 2, L / 2, 0.06, H - 0.08, 4, 2),
            slab(-L / 2, L / 2, -D / 2, D / 2, 0, 0.06)]


def monitor(style: int, rng: np.random.Generator) -> list[Part]:
    W, Hs = j(rng, 0.6), j(rng, 0.36)  # screen width and height
    if style == 0:  # flat panel on a round pedestal
        return [disc(0.12, 0, 0.015), disc(0.025, 0.015, 0.2), slab(-W / 2, W / 2, -0.015, 0.02, 0.12, 0.12 + Hs),
                slab(-0.08, 0.08, 0.02, 0.05, 0.2, 0.3)]
    if style == 1:  # CRT: deep tapered body behind the screen, no stand
        front = slab(-0.22, 0.22, -0.22, -0.12, 0, 0.38)
        body = slab(-0.17, 0.17, -0.12, 0.12, 0.03, 0.33)
        back = slab(-0.1, 0.1, 0.12, 0.25, 0.08, 0.27)
        return [front, body, back, slab(-0.19, 0.19, -0.23, -0.22, 0.03, 0.35)]
    if style == 2:  # widescreen on a V-shaped leg pair
        W2 = W * 1.3
        legs = [rod((sx * 0.2, -0.1, 0), (sx * 0.05, 0.04, 0.15), 0.012) for sx in (-1, 1)]
        return [*legs, slab(-W2 / 2, W2 / 2, -0.01, 0.015, 0.12, 0.12 + Hs * 0.95)]
    if style == 3:  # curved screen approximated by three angled panels on a rectangular foot
        parts = [slab(-0.15, 0.15, -0.08, 0.12, 0, 0.02), slab(-0.03, 0.03, 0.05, 0.09, 0.02, 0.25)]
        third = W * 1.2 / 3
        parts.append(slab(-third / 2, third / 2, -0.01, 0.012, 0.12, 0.12 + Hs))
        for sx in (-1, 1):
            panel = slab(-third / 2, third / 2, -0.01, 0.012, 0.12, 0.12 + Hs)
            panel.apply_translation((sx * third, 0, 0))
            parts.append(tilted(panel, -sx * 15, (0, 0, 1), (sx * third / 2, 0, 0)))
        return parts
    # monitor on a desk clamp arm: post, horizontal arm, small head
    return [slab(-0.05, 0.05, 0.2, 0.3, 0, 0.05), disc(0.02, 0.05, 0.4, centre=(0, 0.25)), rod((0, 0.25, 0.4), (0, 0.05, 0.35), 0.018),
            slab(-W / 2, W / 2, -0.01, 0.02, 0.2, 0.2 + Hs)]


def night_stand(style: int, rng: np.random.Generator) -> list[Part]:
    W, D, H = j(rng, 0.48), j(rng, 0.4), j(rng, 0.58)
    if style == 0:  # one drawer over an open shelf, on four legs
        return [*four_legs(W / 2 - 0.03, D / 2 - 0.03, 0, 0.15, 0.018), slab(-W / 2, W / 2, -D / 2, D / 2, 0.15, 0.18),
                slab(-W / 2, -W / 2 + 0.02, -D / 2, D / 2, 0.15, H), slab(W / 2 - 0.02, W / 2, -D / 2, D / 2, 0.15, H),
                slab(-W / 2, W / 2, D / 2 - 0.02, D / 2, 0.15, H), slab(-W / 2, W / 2, -D / 2, D / 2, H - 0.16, H),
                slab(-W / 2 + 0.03, W / 2 - 0.03, -D / 2 - 0.02, -D / 2, H - 0.14, H - 0.02)]
    if style == 1:  # round drum table with a thin top disc
        return [disc(W * 0.45, 0, H - 0.03, sections=28), disc(W * 0.5, H - 0.03, H, sections=28)]
    if style == 2:  # two-drawer cube on a plinth
        return [slab(-W / 2 + 0.03, W / 2 - 0.03, -D / 2 + 0.03, D / 2 - 0.03, 0, 0.06), slab(-W / 2, W / 2, -D / 2, D / 2, 0.06, H),
                *[slab(-W / 2 + 0.02, W / 2 - 0.02, -D / 2 - 0.02, -D / 2, z, z + (H - 0.1) / 2 - 0.02) for z in (0.08, 0.08 + (H - 0.1) / 2)],
                *[ellipsoid((0.015, 0.015, 0.015), (0, -D / 2 - 0.03, z + (H - 0.1) / 4)) for z in (0.08, 0.08 + (H - 0.1) / 2)]]
    if style == 3:  # open frame: legs, top and a lower shelf
        return [*four_legs(W / 2 - 0.02, D / 2 - 0.02, 0, H, 0.015), slab(-W / 2, W / 2, -D / 2, D / 2, H - 0.03, H),
                slab(-W / 2, W / 2, -D / 2, D / 2, 0.15, 0.17)]
    # cabinet with a door and a knob (open-bottomed shell)
    return [drop_downward_faces(slab(-W / 2, W / 2, -D / 2, D / 2, 0.04, H)), slab(-W / 2 + 0.02, W / 2 - 0.02, -D / 2 - 0.02, -D / 2, 0.06, H - 0.03),
            ellipsoid((0.015, 0.02, 0.015), (W / 2 - 0.07, -D / 2 - 0.035, H / 2)), slab(-W / 2, W / 2, -D / 2, D / 2, 0, 0.04)]


def sofa(style: int, rng: np.random.Generator) -> list[Part]:
    L, D, h = j(rng, 2.0), j(rng, 0.9), j(rng, 0.42)
    hx, hy = L / 2, D / 2
    if style == 0:  # three-seater: base, three seat cushions, leaning back, box arms, round feet
        cushions = [slab(-hx + 0.15 + k * (L - 0.3) / 3, -hx + 0.15 + (k + 1) * (L - 0.3) / 3 - 0.01, -hy, hy - 0.2, h - 0.12, h) for k in range(3)]
        back = tilted(slab(-hx + 0.15, hx - 0.15, hy - 0.22, hy - 0.02, h - 0.12, h + 0.45), -10, (1, 0, 0), (0, hy - 0.1, h))
        return [slab(-hx, hx, -hy, hy, 0.1, h - 0.12), *cushions, back,
                *[slab(sx * hx - 0.15 * (sx > 0), sx * hx + 0.15 * (sx < 0), -hy, hy, 0.1, h + 0.2) for sx in (-1, 1)],
                *four_legs(hx - 0.08, hy - 0.08, 0, 0.1, 0.03)]
    if style == 1:  # L-shaped sectional with a chaise on the left
        return [slab(-hx, hx, -hy, hy, 0.0, h), slab(-hx, -hx + 0.8, -hy - 0.7, -hy, 0.0, h),
                slab(-hx, hx, hy - 0.2, hy, h, h + 0.4), slab(hx - 0.18, hx, -hy, hy, h, h + 0.2)]
    if style == 2:  # loveseat with rolled (cylindrical) arms
        L2 = L * 0.7
        arms = [rod((sx * L2 / 2, -hy, h + 0.12), (sx * L2 / 2, hy, h + 0.12), 0.12, sections=16) for sx in (-1, 1)]
        arm_sides = [slab(sx * L2 / 2 - 0.1, sx * L2 / 2 + 0.1, -hy, hy, 0.08, h + 0.12) for sx in (-1, 1)]
        return [slab(-L2 / 2, L2 / 2, -hy, hy, 0.08, h), *arms, *arm_sides, slab(-L2 / 2, L2 / 2, hy - 0.22, hy, h, h + 0.4),
                *four_legs(L2 / 2 - 0.05, hy - 0.05, 0, 0.08, 0.025, splay=0.02)]
    if style == 3:  # chesterfield: arms as high as the back, buttoned (sphere) back cushion
        buttons = [ellipsoid((0.03, 0.03, 0.03), (x, hy - 0.2, h + 0.2)) for x in np.linspace(-hx + 0.35, hx - 0.35, 5)]
        return [slab(-hx, hx, -hy, hy, 0.06, h), slab(-hx, hx, hy - 0.2, hy, h, h + 0.35),
                *[slab(sx * hx - 0.2 * (sx > 0), sx * hx + 0.2 * (sx < 0), -hy, hy, 0.06, h + 0.35) for sx in (-1, 1)],
                *buttons, slab(-hx + 0.05, hx - 0.05, -hy + 0.05, hy - 0.05, 0, 0.06)]
    # low futon: slatted frame, thick mattress folded into seat and back
    slats = [slab(-hx, hx, y, y + 0.06, 0.18, 0.22) for y in np.linspace(-hy, hy - 0.06, 6)]
    return [*slats, *four_legs(hx - 0.05, hy - 0.05, 0, 0.2, 0.03), slab(-hx, hx, -hy, hy - 0.15, 0.22, 0.36),
            tilted(slab(-hx, hx, hy - 0.15, hy, 0.22, 0.8), -20, (1, 0, 0), (0, hy - 0.15, 0.22))]


def table(style: int, rng: np.random.Generator) -> list[Part]:
    H = j(rng, 0.74)
    if style == 0:  # round pedestal dining table
        R = j(rng, 0.55)
        return [disc(R, H - 0.04, H, sections=32), disc(0.06, 0.05, H - 0.04), disc(0.3, 0, 0.05)]
    if style == 1:  # rectangular dining table: four round legs and an apron
        L, D = j(rng, 1.6), j(rng, 0.9)
        return [slab(-L / 2, L / 2, -D / 2, D / 2, H - 0.04, H), *four_legs(L / 2 - 0.08, D / 2 - 0.08, 0, H - 0.04, 0.03),
                slab(-L / 2 + 0.08, L / 2 - 0.08, -D / 2 + 0.07, -D / 2 + 0.09, H - 0.14, H - 0.04),
                slab(-L / 2 + 0.08, L / 2 - 0.08, D / 2 - 0.09, D / 2 - 0.07, H - 0.14, H - 0.04)]
    if style == 2:  # low coffee table with a thick top and a shelf
        L, D, h = j(rng, 1.2), j(rng, 0.6), j(rng, 0.42)
        return [slab(-L / 2, L / 2, -D / 2, D / 2, h - 0.06, h), slab(-L / 2 + 0.04, L / 2 - 0.04, -D / 2 + 0.04, D / 2 - 0.04, 0.1, 0.13),
                *[slab(sx * (L / 2 - 0.02) - 0.03, sx * (L / 2 - 0.02) + 0.03, sy * (D / 2 - 0.02) - 0.03, sy * (D / 2 - 0.02) + 0.03, 0, h - 0.06)
                  for sx in (-1, 1) for sy in (-1, 1)]]
    if style == 3:  # trestle table: A-frame ends joined by a stretcher
        L, D = j(rng, 1.8), j(rng, 0.85)
        parts = [slab(-L / 2, L / 2, -D / 2, D / 2, H - 0.05, H), rod((-L / 2 + 0.2, 0, 0.3), (L / 2 - 0.2, 0, 0.3), 0.03)]
        for x in (-L / 2 + 0.2, L / 2 - 0.2):
            parts += [rod((x, -D / 2 + 0.05, 0), (x, 0, H - 0.05), 0.03), rod((x, D / 2 - 0.05, 0), (x, 0, H - 0.05), 0.03)]
        return parts
    # square bistro table on a crossed foot
    S = j(rng, 0.7)
    return [slab(-S / 2, S / 2, -S / 2, S / 2, H - 0.03, H), disc(0.035, 0.03, H - 0.03),
            slab(-0.3, 0.3, -0.03, 0.03, 0, 0.04), slab(-0.03, 0.03, -0.3, 0.3, 0, 0.04)]


def toilet(style: int, rng: np.random.Generator) -> list[Part]:
    s = j(rng, 1.0)
    bowl = ellipsoid((0.19 * s, 0.25 * s, 0.16), (0, -0.05, 0.3))
    seat = creation.annulus(r_min=0.1 * s, r_max=0.19 * s, height=0.03, sections=24)
    seat.apply_scale((1.0, 1.3, 1.0))
    seat.apply_translation((0, -0.06, 0.41))
    if style == 0:  # close-coupled: pedestal, bowl, seat ring, cistern at the back
        return [disc(0.11, 0, 0.26), bowl, seat, slab(-0.2, 0.2, 0.16, 0.34, 0.4, 0.78), slab(-0.21, 0.21, 0.15, 0.35, 0.78, 0.8)]
    if style == 1:  # wall-hung bowl in front of a flat concealed cistern panel
        return [bowl.apply_translation((0, 0, 0.08)), seat.apply_translation((0, 0, 0.08)), slab(-0.25, 0.25, 0.22, 0.3, 0, 1.1),
                slab(-0.1, 0.1, 0.12, 0.22, 0.25, 0.45)]
    if style == 2:  # one-piece: bowl and low cistern as one rounded body
        body = creation.capsule(height=0.35, radius=0.17, count=(16, 16))
        body.apply_transform(transformations.rotation_matrix(math.pi / 2, (1, 0, 0)))
        body.apply_translation((0, 0.02, 0.3))
        return [disc(0.12, 0, 0.2), body, seat, slab(-0.17, 0.17, 0.18, 0.32, 0.3, 0.62)]
    if style == 3:  # lid up, leaning back against the cistern
        lid = tilted(ellipsoid((0.19 * s, 0.24 * s, 0.015), (0, -0.06, 0.43)), -80, (1, 0, 0), (0, 0.17, 0.43))
        return [disc(0.11, 0, 0.26), bowl, seat, lid, slab(-0.19, 0.19, 0.18, 0.36, 0.42, 0.8)]
    # angular modern toilet built from boxes
    return [slab(-0.17, 0.17, -0.3, 0.25, 0, 0.4), slab(-0.18, 0.18, -0.32, 0.25, 0.4, 0.43), slab(-0.18, 0.18, 0.18, 0.35, 0.43, 0.75)]


def wardrobe(style: int, rng: np.random.Generator) -> list[Part]:
    W, D, H = j(rng, 1.0), j(rng, 0.58), j(rng, 1.95)
    handles = lambda xs, z: [rod((x, -D / 2 - 0.03, z - 0.15), (x, -D / 2 - 0.03, z + 0.15), 0.01) for x in xs]  # noqa: E731
    if style == 0:  # two doors, bar handles, plinth
        return [slab(-W / 2, W / 2, -D / 2, D / 2, 0.08, H), slab(-W / 2 + 0.03, W / 2 - 0.03, -D / 2 + 0.03, D / 2, 0, 0.08),
                slab(-W / 2 + 0.01, -0.005, -D / 2 - 0.02, -D / 2, 0.1, H - 0.02), slab(0.005, W / 2 - 0.01, -D / 2 - 0.02, -D / 2, 0.1, H - 0.02),
                *handles((-0.05, 0.05), H * 0.55)]
    if style == 1:  # three doors under a projecting cornice
        W3 = W * 1.4
        return [slab(-W3 / 2, W3 / 2, -D / 2, D / 2, 0, H), slab(-W3 / 2 - 0.04, W3 / 2 + 0.04, -D / 2 - 0.04, D / 2, H, H + 0.08),
                *[slab(-W3 / 2 + k * W3 / 3 + 0.01, -W3 / 2 + (k + 1) * W3 / 3 - 0.01, -D / 2 - 0.02, -D / 2, 0.05, H - 0.03) for k in range(3)],
                *handles((-W3 / 6 + 0.05, W3 / 6 - 0.05), H * 0.5)]
    if style == 2:  # wardrobe raised on four legs
        return [*four_legs(W / 2 - 0.04, D / 2 - 0.04, 0, 0.2, 0.025), slab(-W / 2, W / 2, -D / 2, D / 2, 0.2, H),
                *handles((-0.04, 0.04), H * 0.6)]
    if style == 3:  # armoire with an arched top (half cylinder)
        arch = creation.cylinder(radius=W / 2, height=D, sections=32)
        arch.apply_transform(transformations.rotation_matrix(math.pi / 2, (1, 0, 0)))
        arch.apply_translation((0, 0, H * 0.88))
        keep = arch.triangles_center[:, 2] >= H * 0.88 - 1e-6
        arch = trimesh.Trimesh(arch.vertices, arch.faces[keep], process=False)
        return [slab(-W / 2, W / 2, -D / 2, D / 2, 0, H * 0.88), arch, *handles((-0.05, 0.05), H * 0.5)]
    # narrow single-door locker with a drawer at the bottom
    W5 = W * 0.55
    return [slab(-W5 / 2, W5 / 2, -D / 2, D / 2, 0, H), slab(-W5 / 2 + 0.01, W5 / 2 - 0.01, -D / 2 - 0.02, -D / 2, 0.3, H - 0.02),
            slab(-W5 / 2 + 0.01, W5 / 2 - 0.01, -D / 2 - 0.02, -D / 2, 0.03, 0.28), *handles((W5 / 2 - 0.06,), H * 0.6)]


def laptop(style: int, rng: np.random.Generator) -> list[Part]:
    W, D = j(rng, 0.34), j(rng, 0.24)
    angle = (110, 130, 100, 95, 120)[style]
    t = 0.022 if style == 2 else 0.015
    base = slab(-W / 2, W / 2, -D / 2, D / 2, 0, t)
    screen = tilted(slab(-W / 2, W / 2, D / 2 - 0.008, D / 2, t, t + D), angle - 90, (1, 0, 0), (0, D / 2, t))
    parts = [base, screen]
    if style == 2:  # thick older laptop with a hinge barrel
        parts.append(rod((-W / 2 + 0.03, D / 2 - 0.01, t), (W / 2 - 0.03, D / 2 - 0.01, t), 0.012))
    if style == 4:  # keyboard keys as a field of small boxes on the deck
        for x in np.linspace(-W / 2 + 0.03, W / 2 - 0.03, 8):
            for y in np.linspace(-0.02, D / 2 - 0.03, 3):
                parts.append(slab(x - 0.012, x + 0.012, y - 0.012, y + 0.012, t, t + 0.004))
    return parts


BUILDERS: dict[str, Builder] = {
    "bathtub": bathtub, "bed": bed, "chair": chair, "desk": desk, "dresser": dresser, "monitor": monitor,
    "night_stand": night_stand, "sofa": sofa, "table": table, "toilet": toilet, "wardrobe": wardrobe, "laptop": laptop,
}
STYLES_PER_CLASS = 5
STYLE_NAMES: dict[str, tuple[str, ...]] = {
    "bathtub": ("built-in, thick rim", "clawfoot oval", "panelled with tap", "oval on plinth", "sloped back"),
    "bed": ("platform, tall headboard", "four-poster", "turned legs, pillows", "sleigh", "day bed"),
    "chair": ("round seat, spindle back", "swivel office chair", "cantilever tube", "wooden armchair", "shell on splayed legs"),
    "desk": ("drawer pedestal + panel", "writing desk on legs", "L-shaped corner", "trestle + modesty panel", "computer desk + hutch"),
    "dresser": ("3x2 drawers on feet", "tall chest", "with mirror", "long sideboard", "rounded top, open shell"),
    "monitor": ("flat on pedestal", "CRT", "widescreen, V legs", "curved (3 panels)", "on clamp arm"),
    "night_stand": ("drawer + open shelf", "round drum", "2 drawers on plinth", "open frame", "door cabinet, open shell"),
    "sofa": ("three-seater", "L-shaped sectional", "loveseat, rolled arms", "chesterfield", "futon"),
    "table": ("round pedestal", "dining, apron", "coffee table + shelf", "trestle", "bistro, cross foot"),
    "toilet": ("close-coupled", "wall-hung", "one-piece", "lid up", "angular"),
    "wardrobe": ("two doors, plinth", "three doors, cornice", "on legs", "arched armoire", "narrow locker"),
    "laptop": ("open 110 deg", "open 130 deg", "thick, hinge barrel", "open 95 deg", "with keys, 120 deg"),
}


def style_name(class_name: str, index: int) -> str:
    return STYLE_NAMES[class_name][index % STYLES_PER_CLASS]


def build_mesh(class_name: str, index: int, seed: int = 0) -> trimesh.Trimesh:
    """Shape ``index`` of a class: style ``index % 5``, proportions jittered by (seed, class, index)."""
    rng = np.random.default_rng([seed, list(BUILDERS).index(class_name), index])
    parts = BUILDERS[class_name](index % STYLES_PER_CLASS, rng)
    # Triangle soup: parts are concatenated, never merged or booleaned (they touch / overlap).
    return trimesh.util.concatenate(parts)


def write_tree(out_dir: str | Path, per_class: int = STYLES_PER_CLASS, seed: int = 0,
               classes: list[str] | None = None) -> Path:
    """Write ``OUT/<class>/test/<class>_<k>.off`` for every class; returns OUT."""
    out = Path(out_dir)
    for name in classes or list(BUILDERS):
        folder = out / name / "test"
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            mesh = build_mesh(name, index, seed)
            (folder / f"{name}_{index:04d}.off").write_text(mesh.export(file_type="off"), encoding="utf-8")
    return out


def import_tree(tree: Path, out_dir: Path, resolution: int = 32) -> Path:
    """Voxelise the tree with the user-facing command, ``voxstudio dataset import-modelnet``."""
    from voxstudio.cli import main as voxstudio

    code = voxstudio(["dataset", "import-modelnet", str(tree), "--out", str(out_dir), "--res", str(resolution),
                      "--workers", "1"])
    if code != 0:
        raise RuntimeError(f"voxstudio dataset import-modelnet failed with exit status {code}")
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the .off tree")
    parser.add_argument("--per-class", type=int, default=STYLES_PER_CLASS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--import-to", type=Path, default=None, metavar="DIR",
                        help="also voxelise it into a dataset folder with `voxstudio dataset import-modelnet`")
    args = parser.parse_args()
    tree = write_tree(args.out, args.per_class, args.seed)
    print(f"wrote {sum(1 for _ in tree.rglob('*.off'))} meshes under {tree}")
    if args.import_to:
        import_tree(tree, args.import_to)


if __name__ == "__main__":
    main()
