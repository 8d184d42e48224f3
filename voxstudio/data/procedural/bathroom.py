"""Bathtubs (hollow tubs with an inner cavity) and toilets (bowl + seat + tank)."""

from __future__ import annotations

from voxstudio.data.procedural.builder import Builder


def bathtub(b: Builder) -> None:
    """Built-in, freestanding oval and clawfoot tubs, 1.5-1.8 m long, ~0.5-0.6 m high."""
    length = b.u(1.45, 1.85)
    width = b.u(0.68, 0.9)
    height = b.u(0.45, 0.62)
    hx, hy = length / 2, width / 2
    style = b.choice(("builtin", "oval", "clawfoot"), (0.5, 0.28, 0.22))
    wall = b.u(0.05, 0.12)
    floor_t = b.u(0.05, 0.12)
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

