"""Chairs and sofas (metres, z up, front toward -y, seat centred on the origin)."""

from __future__ import annotations

import math

from voxstudio.data.procedural.builder import Builder
from voxstudio.data.procedural.common import four_legs, leg, stretchers


def _swivel_base(b: Builder, seat_z: float) -> None:
    """Office-chair base: gas column, five-star spider and castors."""
    reach = b.u(0.26, 0.34)
    hub_z = b.u(0.07, 0.11)
    b.cyl(0.0, 0.0, hub_z, seat_z, b.u(0.02, 0.035))
    b.cyl(0.0, 0.0, hub_z - 0.03, hub_z + 0.03, 0.05)
    start = b.u(0, 72)
    castors = b.chance(0.85)
    for k in range(5):
        a = math.radians(start + 72 * k)
        end = (reach * math.cos(a), reach * math.sin(a))
        b.bar((0.0, 0.0, hub_z), (end[0], end[1], hub_z - 0.03), b.u(0.03, 0.05))
        if castors:
            b.cyl(end[0], end[1], 0.0, max(0.05, hub_z - 0.02), 0.025, droppable=True)
        else:
            b.cyl(end[0], end[1], 0.0, hub_z - 0.03, 0.02)
    b.box(-0.1, 0.1, -0.1, 0.1, seat_z - 0.05, seat_z)  # tilt mechanism


def _sled_base(b: Builder, hx: float, hy: float, seat_z: float, t: float) -> None:
    """Cantilever-free sled: two floor runners with uprights under the seat sides."""
    for sx in (-1, 1):
        x = sx * hx
        b.rod((x, -hy, 0.0), (x, hy, 0.0 + 1e-3), t / 2)
        b.rod((x, -hy, 0.0), (x, -hy * 0.8, seat_z), t / 2)
        b.rod((x, hy, 0.0), (x, hy * 0.8, seat_z), t / 2)


def _cantilever_base(b: Builder, hx: float, hy: float, seat_z: float, t: float) -> None:
    """Cantilever (Cesca-style) tube frame: down at the front, back along the floor, no rear legs."""
    reach = hy * b.u(0.6, 0.95)
    for sx in (-1, 1):
        x = sx * hx
        b.rod((x, -hy, seat_z), (x, -hy - b.u(0.0, 0.04), 0.0 + t / 2), t / 2)
        b.rod((x, -hy - 0.02, t / 2), (x, reach, t / 2), t / 2)
    b.rod((-hx, reach, t / 2), (hx, reach, t / 2), t / 2)


def chair(b: Builder) -> None:
    """Dining, kitchen, office and lounge chairs: seat ~0.45 m high, back up to ~0.9-1.1 m."""
    kind = b.choice(("dining", "office", "lounge", "stool_back"), (0.55, 0.22, 0.13, 0.10))
    seat_z = b.u(0.42, 0.50) if kind != "lounge" else b.u(0.36, 0.44)
    w = b.u(0.40, 0.54) if kind != "lounge" else b.u(0.55, 0.75)
    d = b.u(0.40, 0.52) if kind != "lounge" else b.u(0.50, 0.70)
    padded = kind in ("office", "lounge") or b.chance(0.3)
    t = b.u(0.05, 0.10) if padded else b.u(0.025, 0.05)
    hx, hy = w / 2, d / 2
    b.record(seat_height=seat_z, seat_thickness=t, office=kind == "office", armrests=0)
    # seat
    b.box(-hx, hx, -hy, hy, seat_z - t, seat_z, radius=t * 0.4 if padded else 0.0)

    # base
    leg_t = b.u(0.025, 0.05)
    inset = b.u(0.0, 0.04)
    posts_continue = False
    if kind == "office":
        _swivel_base(b, seat_z - t)
        b.record(legs=5)
    elif kind == "lounge":
        b.record(legs=0)
        if b.chance(0.5):
            b.box(-hx, hx, -hy, hy, 0.0 if b.chance(0.5) else b.u(0.05, 0.12), seat_z - t)  # upholstered block
            if b.parts[-1].primitive.center[2] > 0.06:  # raised block: short legs under it
                four_legs(b, hx - 0.04, hy - 0.04, b.parts[-1].primitive.center[2], 0.04, "tapered")
                b.record(legs=4)
        else:
            b.record(legs=4)
            four_legs(b, hx - 0.05, hy - 0.05, seat_z - t, b.u(0.035, 0.06), b.choice(("tapered", "round", "square")))
    elif b.chance(0.08):
        _sled_base(b, hx - 0.02, hy - 0.02, seat_z - t, leg_t)
        b.record(legs=0)
    elif b.chance(0.07):
        _cantilever_base(b, hx - 0.02, hy - 0.02, seat_z - t, max(leg_t * 0.8, 0.025))
        b.record(legs=0)
    else:
        b.record(legs=4, leg_thickness=leg_t)
        style = b.choice(("square", "round", "tapered", "splayed"), (0.4, 0.25, 0.2, 0.15))
        lx, ly = hx - leg_t / 2 - inset, hy - leg_t / 2 - inset
        four_legs(b, lx, ly, seat_z - t, leg_t, style)
        posts_continue = style in ("square", "round") and b.chance(0.5)
        if b.chance(0.35):
            stretchers(b, lx, ly, b.u(0.1, 0.22), leg_t * 0.7, b.choice(("box", "h", "side")))
        if b.chance(0.4):  # apron under seat
            ah = b.u(0.04, 0.08)
            b.box(-lx, lx, -ly, ly, seat_z - t - ah, seat_z - t)

    # back
    if kind == "office":
        back_h = b.u(0.45, 0.75)
    elif kind == "lounge":
        back_h = b.u(0.35, 0.6)
    else:
        back_h = b.u(0.35, 0.58)
    tilt = b.u(2, 16)
    b.record(backrest=back_h, back_tilt=tilt)
    back_t = b.u(0.06, 0.12) if padded else b.u(0.02, 0.045)
    y_back = hy - back_t / 2 - (0.0 if kind != "office" else b.u(0.0, 0.05))
    style = "panel" if padded else b.choice(("panel", "slats", "ladder", "spindles", "open"), (0.35, 0.2, 0.2, 0.15, 0.1))
    gap = b.u(0.0, 0.12) if style == "panel" and b.chance(0.35) else 0.0
    bw = w * (b.u(0.8, 1.0) if kind == "office" else 1.0)
    s = math.sin(math.radians(tilt))
    c = math.cos(math.radians(tilt))

    def at(h: float) -> tuple[float, float]:
        return y_back + s * h, seat_z + c * h

    if style == "panel":
        if gap > 0 or kind == "office":
            # visible posts/spine carry a raised panel
            for sx in ((-1, 1) if kind != "office" else (0,)):
                x = sx * (bw / 2 - leg_t / 2)
                y1, z1 = at(gap + 0.05)
                b.bar((x, y_back, seat_z - t / 2), (x, y1, z1), leg_t if kind != "office" else 0.06, back_t * 0.6)
        b.panel(-bw / 2, bw / 2, at(gap)[0], at(gap)[1] - 0.001, back_h - gap, back_t, tilt,
                radius=back_t * 0.45 if padded else 0.0)
    else:
        post_t = max(leg_t, 0.03)
        for sx in (-1, 1):
            x = sx * (bw / 2 - post_t / 2)
            z_start = 0.0 if posts_continue else seat_z - t
            if posts_continue:
                leg(b, x, y_back, 0.0, seat_z - t, post_t, "square")
            y1, z1 = at(back_h)
            b.bar((x, y_back, z_start if not posts_continue else seat_z - t), (x, y1, z1), post_t)
        rail_h = b.u(0.05, 0.12)
        y1, z1 = at(back_h - rail_h / 2)
        b.panel(-bw / 2, bw / 2, *at(back_h - rail_h), rail_h, back_t, tilt)
        inner = bw - 2 * post_t
        if style == "slats":
            n = b.i(2, 5)
            sw = b.u(0.025, 0.05)
            for k in range(n):
                x = -inner / 2 + inner * (k + 0.5) / n
                b.panel(x - sw / 2, x + sw / 2, *at(0.0), back_h - rail_h, back_t * 0.8, tilt, droppable=True)
        elif style == "spindles":
            n = b.i(3, 7)
            for k in range(n):
                x = -inner / 2 + inner * (k + 0.5) / n
                p0 = (x, y_back, seat_z - t / 2)
                p1 = (x, *at(back_h - rail_h))
                b.rod(p0, p1, 0.012, droppable=True)
        elif style == "ladder":
            n = b.i(1, 3)
            for k in range(n):
                hh = (back_h - rail_h) * (k + 1) / (n + 1)
                b.panel(-bw / 2, bw / 2, *at(hh - 0.025), 0.05, back_t * 0.8, tilt, droppable=True)
        else:  # open: one wide mid rail
            b.panel(-bw / 2, bw / 2, *at(back_h * 0.45), b.u(0.05, 0.12), back_t, tilt)

    # arms
    arm_p = {"dining": 0.2, "office": 0.7, "lounge": 0.8, "stool_back": 0.0}[kind]
    if b.chance(arm_p):
        arm_z = seat_z + b.u(0.18, 0.26)
        b.record(armrests=1, arm_height=arm_z)
        aw = b.u(0.04, 0.08) if kind != "lounge" else b.u(0.08, 0.18)
        front = -hy + b.u(0.0, 0.08)
        for sx in (-1, 1):
            x = sx * (hx - aw / 2) if kind != "lounge" else sx * (hx + aw / 2 - 0.02)
            if kind == "lounge":
                b.box(x - aw / 2, x + aw / 2, -hy, hy, 0.1 if b.chance(0.5) else seat_z - t - 0.05, arm_z,
                      radius=0.03)
            else:
                b.box(x - aw / 2, x + aw / 2, front, y_back, arm_z - 0.03, arm_z, radius=0.01)
                if kind == "office":
                    b.box(x - 0.02, x + 0.02, -0.04, 0.04, seat_z - t, arm_z)
                else:
                    b.box(x - 0.015, x + 0.015, front, front + 0.03, seat_z - t, arm_z)


def sofa(b: Builder) -> None:
    """Two/three-seat sofas and L-shaped sectionals: seat ~0.42 m, back ~0.8-0.95 m, arms."""
    width = b.u(1.35, 2.4)
    depth = b.u(0.8, 1.0)
    seat_z = b.u(0.38, 0.48)
    back_top = b.u(0.72, 1.0)
    arm_top = min(back_top - 0.05, b.u(0.55, 0.72))
    arm_w = b.u(0.08, 0.26)
    armless = b.chance(0.07)
    hx, hy = width / 2, depth / 2
    cushion_t = b.u(0.1, 0.18)
    leg_h = b.choice((0.0, b.u(0.04, 0.18)), (0.35, 0.65))
    base_z = leg_h
    back_t = b.u(0.15, 0.28)
    radius = b.u(0.02, 0.07)
    b.record(seat_height=seat_z, backrest=back_top, armrests=0 if armless else 1, leg_height=leg_h)
    if not armless:
        b.record(arm_height=arm_top, arm_width=arm_w)

    chaise = 0.0 if not b.chance(0.22) else b.u(0.5, 0.8)
    chaise_side = b.choice((-1, 1))
    chaise_w = b.u(0.6, 0.9)
    b.record(chaise=chaise > 0)

    inner_x0 = -hx + (0 if armless else arm_w)
    inner_x1 = hx - (0 if armless else arm_w)
    # platform / frame under the seat cushions
    b.box(-hx, hx, -hy, hy, base_z, seat_z - cushion_t, radius=0.02)
    if chaise > 0:
        cx0, cx1 = (hx - chaise_w, hx) if chaise_side > 0 else (-hx, -hx + chaise_w)
        b.box(cx0, cx1, -hy - chaise, -hy + 0.05, base_z, seat_z - cushion_t, radius=0.02)
    # legs
    if leg_h > 0:
        style = b.choice(("square", "tapered", "round"))
        lt = b.u(0.035, 0.06)
        xs = [-hx + 0.05, hx - 0.05] + ([0.0] if width > 1.9 and b.chance(0.5) else [])
        for x in xs:
            for y in (-hy + 0.05, hy - 0.05):
                leg(b, x + b.jit(0.003), y, 0.0, base_z, lt, style, droppable=x == 0.0)
        if chaise > 0:
            x = hx - 0.05 if chaise_side > 0 else -hx + 0.05
            leg(b, x, -hy - chaise + 0.05, 0.0, base_z, lt, style)
            leg(b, x - chaise_side * (chaise_w - 0.1), -hy - chaise + 0.05, 0.0, base_z, lt, style)
    # back
    b.panel(-hx, hx, hy - back_t / 2 - 0.02, base_z, back_top - base_z, back_t, b.u(0, 8), radius=radius)
    # arms
    if not armless:
        roll = b.chance(0.35)
        for sx in (-1, 1):
            if chaise > 0 and sx == chaise_side and b.chance(0.5):
                continue  # open-ended chaise side
            x0, x1 = (hx - arm_w, hx) if sx > 0 else (-hx, -hx + arm_w)
            y0 = -hy - (chaise if chaise > 0 and sx == chaise_side else 0.0)
            if roll:
                b.box(x0, x1, y0, hy, base_z, arm_top - arm_w * 0.4, radius=0.02)
                b.obox(((x0 + x1) / 2, (y0 + hy) / 2, arm_top - arm_w * 0.5),
                       (arm_w * 1.1, hy - y0, arm_w), radius=arm_w * 0.5)
            else:
                b.box(x0, x1, y0, hy, base_z, arm_top, radius=radius)
    # seat cushions
    n = b.choice((1, 2, 3), (0.2, 0.35, 0.45)) if width > 1.6 else b.choice((1, 2))
    span = inner_x1 - inner_x0
    b.record(seats=n)
    y_front = -hy + b.u(0.0, 0.03)
    y_rear = hy - back_t
    for k in range(n):
        xa = inner_x0 + span * k / n + 0.005
        xb = inner_x0 + span * (k + 1) / n - 0.005
        b.box(xa, xb, y_front, y_rear, seat_z - cushion_t, seat_z, radius=cushion_t * 0.4)
    if chaise > 0:
        cx0, cx1 = (hx - chaise_w, inner_x1) if chaise_side > 0 else (inner_x0, -hx + chaise_w)
        b.box(cx0, cx1, -hy - chaise, y_front, seat_z - cushion_t, seat_z, radius=cushion_t * 0.4)
    # back cushions
    back_cushions = b.chance(0.6)
    b.record(back_cushions=back_cushions)
    if back_cushions:
        m = n if b.chance(0.7) else b.i(2, 3)
        bt = b.u(0.1, 0.2)
        for k in range(m):
            xa = inner_x0 + span * k / m + 0.01
            xb = inner_x0 + span * (k + 1) / m - 0.01
            b.panel(xa, xb, y_rear - bt / 2, seat_z - 0.01, back_top - seat_z - b.u(0.0, 0.06), bt,
                    b.u(5, 15), radius=bt * 0.45)
    if b.chance(0.3):  # throw pillows
        for sx in (-1, 1):
            b.obox((sx * (span / 2 - 0.15), y_rear - 0.12, seat_z + 0.17), (0.35, 0.12, 0.35),
                   rx=-15, rz=sx * 10, radius=0.05, droppable=True)
