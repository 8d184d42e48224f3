"""Bathtubs (hollow tubs with an inner cavity) and toilets (bowl + seat + tank)."""

from __future__ import annotations

import math

from voxstudio.data.procedural.builder import Builder


def bathtub(b: Builder) -> None:
    """Built-in, alcove, corner, raised-deck, freestanding oval, slipper and clawfoot tubs.

    Real tubs (catalogue and CAD models) are 1.2-1.85 m long and 0.45-0.65 m high;
    compact soaking tubs are shorter and deeper, and ModelNet's boxed-in tubs often
    stand in a tiled deck or surround up to ~0.8 m, so the built-in styles reach
    taller proportions than a bare tub (read as a bed when they were missing).
    """
    style = b.choice(("builtin", "oval", "clawfoot", "alcove", "corner", "deck", "slipper"),
                     (0.2, 0.12, 0.12, 0.2, 0.12, 0.12, 0.12))
    length = b.u(1.45, 1.85) if style != "alcove" else b.u(1.2, 1.85)
    width = b.u(0.68, 0.9)
    height = b.u(0.45, 0.62)
    hx, hy = length / 2, width / 2
    wall = b.u(0.05, 0.12)
    floor_t = b.u(0.05, 0.12)
    if style in ("alcove", "corner", "deck", "slipper"):
        {"alcove": _alcove_tub, "corner": _corner_tub, "deck": _deck_tub, "slipper": _slipper_tub}[style](
            b, hx, hy, height, wall, floor_t)
        return
    b.record(rim_height=height, wall_thickness=wall, builtin=style == "builtin", clawfoot=style == "clawfoot",
             tap=0)
    if style == "builtin":
        b.box(-hx, hx, -hy, hy, 0.0, height, radius=b.u(0.0, 0.03))
        deck = b.u(0.0, 0.1)  # wider rim at the tap end
        x0, x1 = -hx + wall, hx - wall - deck
        shape = b.choice(("rect", "oval"), (0.6, 0.4))
        if shape == "rect":
            b.box(x0, x1, -hy + wall, hy - wall, floor_t, height + 0.4, radius=b.u(0.08, 0.2), subtract=True)
        else:
            b.cyl((x0 + x1) / 2, 0.0, floor_t, height + 0.3, (x1 - x0) / 2, hy - wall, subtract=True)
        if b.chance(0.35):  # faucet on the deck / end wall
            b.record(tap=1)
            b.cyl(hx - wall / 2 - deck / 2, 0.0, height, height + 0.12, 0.02)
            b.bar((hx - wall / 2 - deck / 2, 0.0, height + 0.11), (hx - wall - deck - 0.1, 0.0, height + 0.11),
                  0.03, droppable=True)
        return
    lift = 0.0
    if style == "clawfoot":
        lift = b.u(0.08, 0.16)
        for sx in (-1, 1):
            for sy in (-1, 1):
                x, y = sx * (hx - 0.25), sy * (hy - 0.15)
                # reach up into the curved hull: its underside at (x, y) is this high
                k = max(0.0, 1.0 - (x / hx) ** 2 - (y / hy) ** 2)
                hull_z = height - (height - lift) * k ** 0.5
                b.rod((x + sx * 0.03, y + sy * 0.03, 0.0), (x, y, hull_z + 0.04), 0.03, 0.04)
    body_h = height - lift
    if style == "oval":
        # slightly flared walls, flat bottom
        b.cyl(0.0, 0.0, lift, height, hx * b.u(0.82, 0.92), hy * b.u(0.82, 0.92), top=(hx, hy))
    else:
        # rounded hull: ellipsoid clipped at the rim, flattened bottom
        b.ellipsoid((0.0, 0.0, height), (hx, hy, body_h), z_max=0.0)
        if b.chance(0.6):  # rolled rim
            b.cyl(0.0, 0.0, height - 0.04, height, hx + 0.02, hy + 0.02, wall=0.05)
    b.ellipsoid((0.0, 0.0, height + 0.01), (hx - wall, hy - wall, body_h - floor_t), subtract=True)
    if style == "oval":  # flat floor for the flared tub
        b.cyl(0.0, 0.0, lift + floor_t, height + 0.3, hx - wall - 0.05, hy - wall, top=(hx - wall, hy - wall),
              subtract=True)
    if b.chance(0.3):
        x = b.choice((-1, 1)) * (hx - 0.1)
        b.cyl(x, 0.0, height, height + 0.15, 0.02, droppable=True)
        b.record(tap=1)


def _faucet(b: Builder, x: float, y: float, z: float, reach: float) -> None:
    """Deck-mounted tap: a post with a spout reaching toward the basin (maybe missing)."""
    b.record(tap=1)
    b.cyl(x, y, z, z + 0.14, 0.022, droppable=True)
    b.bar((x, y, z + 0.13), (x + reach, y, z + 0.13), 0.03, droppable=True)


def _basin(b: Builder, x0: float, x1: float, y0: float, y1: float, z_floor: float, top: float) -> None:
    """Carve the tub's basin (rounded rectangle or oval) into a solid block from its floor up."""
    if b.chance(0.55):
        b.box(x0, x1, y0, y1, z_floor, top + 0.4, radius=b.u(0.08, 0.2), subtract=True)
    else:
        b.cyl((x0 + x1) / 2, (y0 + y1) / 2, z_floor, top + 0.3, (x1 - x0) / 2, (y1 - y0) / 2, subtract=True)


def _alcove_tub(b: Builder, hx: float, hy: float, height: float, wall: float, floor_t: float) -> None:
    """Alcove tub: a front apron panel under a rolled rim, often with tiled walls on three sides."""
    b.record(rim_height=height, wall_thickness=wall, builtin=1, clawfoot=0, tap=0)
    b.box(-hx, hx, -hy, hy, 0.0, height - 0.03)
    apron = b.u(0.015, 0.04)  # the apron stands a little proud of the tub body, over a toe kick
    kick = b.choice((0.0, b.u(0.04, 0.08)), (0.6, 0.4))
    b.box(-hx, hx, -hy - apron, -hy, kick, height - 0.03)
    rim = b.u(0.01, 0.04)
    b.box(-hx - rim, hx + rim, -hy - apron - rim, hy, height - 0.03, height, radius=0.01)
    _basin(b, -hx + wall, hx - wall, -hy + wall, hy - wall, floor_t, height)
    surround = b.choice(("none", "back", "three"), (0.55, 0.2, 0.25))
    if surround != "none":  # the alcove's tiled walls come with the model
        top = height + b.u(0.15, 0.9)
        t = b.u(0.04, 0.1)
        b.box(-hx - t, hx + t, hy, hy + t, 0.0, top)
        if surround == "three":
            b.box(-hx - t, -hx, -hy - apron, hy + t, 0.0, top)  # end walls at both short sides
            b.box(hx, hx + t, -hy - apron, hy + t, 0.0, top)
    if b.chance(0.4):
        x = b.choice((-1, 1)) * (hx - wall / 2)
        _faucet(b, x, hy - wall / 2, height, -0.1 if x > 0 else 0.1)


def _corner_tub(b: Builder, hx: float, hy: float, height: float, wall: float, floor_t: float) -> None:
    """Corner tub: a near-square block whose front is a quarter circle, the basin an oval set diagonally."""
    side = b.u(1.2, 1.55)
    s = side / 2
    b.record(rim_height=height, wall_thickness=wall, builtin=1, clawfoot=0, tap=0)
    # the square block, its front corner cut away: one cut (a pentagon) or three tangent to a
    # quarter circle about the back-left corner (carving only: the framing stays the square's)
    b.box(-s, s, -s, s, 0.0, height)
    angles = (45.0,) if b.chance(0.4) else (18.0, 45.0, 72.0)
    reach = side * (b.u(1.05, 1.2) if len(angles) == 1 else 1.0)
    for deg in angles:
        t = math.radians(deg)
        d = (math.cos(t), -math.sin(t))
        cut = (-s + d[0] * (reach + side), s + d[1] * (reach + side))
        b.obox((cut[0], cut[1], height / 2), (2 * side, 4 * side, height + 0.2), rz=-deg, subtract=True)
    r = side * b.u(0.3, 0.36)
    c = -s + side * 0.42
    b.cyl(c, -c, floor_t, height + 0.3, r * b.u(1.15, 1.35), r, rz=-45.0, subtract=True)
    if b.chance(0.35):
        _faucet(b, -s + 0.12, s - 0.12, height, 0.1)


def _deck_tub(b: Builder, hx: float, hy: float, height: float, wall: float, floor_t: float) -> None:
    """Drop-in tub sunk into a raised tiled platform, maybe with a step along the front."""
    deck_h = b.u(0.5, 0.8)
    ex, ey = b.u(0.05, 0.3), b.u(0.05, 0.3)  # the deck around the basin
    b.record(rim_height=deck_h, wall_thickness=wall + min(ex, ey), builtin=1, clawfoot=0, tap=0)
    b.box(-hx - ex, hx + ex, -hy - ey, hy + ey, 0.0, deck_h)
    if b.chance(0.35):  # a step up to the deck
        step = b.u(0.15, 0.3)
        b.box(-hx - ex, hx + ex, -hy - ey - b.u(0.2, 0.3), -hy - ey, 0.0, step)
    _basin(b, -hx + wall, hx - wall, -hy + wall, hy - wall, deck_h - height + floor_t, deck_h)
    if b.chance(0.4):
        _faucet(b, hx + ex / 2, 0.0, deck_h, -0.1)


def _slipper_tub(b: Builder, hx: float, hy: float, height: float, wall: float, floor_t: float) -> None:
    """Freestanding slipper tub: one or both ends rise high for leaning back, on feet or a plinth."""
    base = b.choice(("feet", "plinth", "floor"), (0.45, 0.25, 0.3))
    lift = b.u(0.08, 0.16) if base == "feet" else (b.u(0.05, 0.1) if base == "plinth" else 0.0)
    rise = b.u(0.15, 0.3)
    double = b.chance(0.35)
    b.record(rim_height=height + rise, wall_thickness=wall, builtin=0, clawfoot=base == "feet", tap=0)
    body_h = height - lift
    b.ellipsoid((0.0, 0.0, height), (hx, hy, body_h), z_max=0.0)
    for sx in ((-1, 1) if double else (1,)):  # the raised end(s): a taller half-shell
        b.ellipsoid((sx * hx * 0.45, 0.0, height), (hx * 0.55, hy * 0.98, body_h), z_max=0.0)
        b.ellipsoid((sx * hx * 0.55, 0.0, height), (hx * 0.45, hy * 0.96, rise), z_min=0.0)
    b.ellipsoid((0.0, 0.0, height + 0.01), (hx - wall, hy - wall, body_h - floor_t), subtract=True)
    b.box(-hx + wall * 2, hx - wall * 2, -hy + wall, hy - wall, height - 0.02, height + rise + 0.1,
          radius=min(hy - wall, 0.2), subtract=True)
    if base == "feet":
        for sx in (-1, 1):
            for sy in (-1, 1):
                x, y = sx * (hx - 0.28), sy * (hy - 0.16)
                k = max(0.0, 1.0 - (x / hx) ** 2 - (y / hy) ** 2)
                hull_z = height - body_h * k ** 0.5
                b.rod((x + sx * 0.03, y + sy * 0.03, 0.0), (x, y, hull_z + 0.04), 0.03, 0.04)
    elif base == "plinth":
        b.cyl(0.0, 0.0, 0.0, lift + 0.05, hx * 0.6, hy * 0.6)


def toilet(b: Builder) -> None:
    """Close-coupled, back-to-wall and wall-hung toilets: bowl + seat ~0.4 m high, tank behind up to ~0.8 m."""
    seat_z = b.u(0.37, 0.44)
    rx = b.u(0.16, 0.2)
    ry = b.u(0.21, 0.28)
    yb = -b.u(0.0, 0.06)  # bowl centre (front faces -y)
    # pedestal: narrow foot flaring into the bowl
    foot = (rx * b.u(0.5, 0.7), ry * b.u(0.55, 0.75))
    bowl_z = seat_z - 0.04
    # Wall-hung bowls (common in ModelNet and catalogue models) have no pedestal: the
    # bowl hangs on a boxed-in frame that rises from the floor behind it.
    wall_hung = b.chance(0.22)
    b.record(seat_height=seat_z, wall_hung=wall_hung)
    if not wall_hung:
        b.cyl(0.0, yb + ry * 0.15, 0.0, bowl_z * 0.55, foot[0], foot[1], top=(foot[0] * 0.95, foot[1] * 0.95))
    b.cyl(0.0, yb, bowl_z * (0.5 if not wall_hung else 0.62), bowl_z, rx * 0.75, ry * 0.8, top=(rx, ry))
    back_y = yb + ry + b.u(0.08, 0.2)
    if wall_hung:
        frame_w = b.u(0.4, 0.6)
        b.box(-frame_w / 2, frame_w / 2, back_y - 0.02, back_y + b.u(0.12, 0.2), 0.0, b.u(0.8, 1.1))
        if b.chance(0.6):  # flush plate on the frame
            b.box(-0.1, 0.1, back_y - 0.035, back_y - 0.02, 0.85, 0.95, droppable=True)
    # rear of the bowl joining the tank
    tz0 = bowl_z - b.u(0.0, 0.03)
    b.box(-rx * 0.7, rx * 0.7, yb + ry * 0.5, back_y, bowl_z * 0.35, bowl_z + 0.01)
    # bowl cavity
    b.ellipsoid((0.0, yb - 0.01, bowl_z), (rx - 0.03, ry - 0.035, b.u(0.18, 0.25)), subtract=True)
    # seat ring and lid
    st = b.u(0.025, 0.045)
    b.cyl(0.0, yb, bowl_z, bowl_z + st, rx + 0.01, ry + 0.01, wall=b.u(0.05, 0.07))
    lid = b.choice(("open", "closed", "none"), (0.5, 0.35, 0.15))
    tank = b.chance(0.85) and not wall_hung
    b.record(tank=tank, lid_open=lid == "open")
    td = b.u(0.15, 0.22)
    tank_front = back_y - td * 0.35
    if lid == "closed":
        b.cyl(0.0, yb, bowl_z + st, bowl_z + st + 0.02, rx + 0.01, ry + 0.01)
    elif lid == "open":
        # lid raised, leaning back against the tank / wall by a few degrees
        lean = b.u(95, 108)
        y = min(yb + ry, tank_front - 0.03)
        b.disc((0.0, y, bowl_z + st + ry * 0.95), rx + 0.005, ry, 0.025, rx_deg=-lean)
    if tank:
        tw = b.u(0.34, 0.5)
        th = b.u(0.3, 0.42)
        b.record(tank_top=tz0 + th)
        b.box(-tw / 2, tw / 2, back_y - td * 0.35, back_y - td * 0.35 + td, tz0, tz0 + th, radius=0.015)
        b.box(-tw / 2 - 0.01, tw / 2 + 0.01, back_y - td * 0.35 - 0.01, back_y - td * 0.35 + td + 0.01,
              tz0 + th, tz0 + th + 0.025, droppable=True)
        if b.chance(0.5):
            b.cyl(0.0, back_y + td * 0.3, tz0 + th, tz0 + th + 0.04, 0.025, droppable=True)
        else:
            b.box(tw / 2 - 0.08, tw / 2 - 0.02, back_y - td * 0.35 - 0.03, back_y - td * 0.35, tz0 + th - 0.06,
                  tz0 + th - 0.04, droppable=True)
    elif not wall_hung:
        # back-to-wall unit: the bowl meets a boxed-in cistern
        b.box(-rx, rx, back_y - 0.05, back_y + 0.12, 0.0, bowl_z + 0.05)

