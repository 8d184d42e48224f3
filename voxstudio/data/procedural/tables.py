"""Tables and desks (metres, z up, front toward -y, top centred on the origin)."""

from __future__ import annotations

import math

from voxstudio.data.procedural.builder import Builder
from voxstudio.data.procedural.common import drawer_fronts, four_legs, stretchers


def _pedestal(b: Builder, top_z: float, reach: float) -> None:
    """Central column with a disc, cross or star foot (round bistro/dining tables)."""
    col_r = b.u(0.03, 0.08)
    foot = b.choice(("disc", "cross", "star"))
    foot_t = b.u(0.025, 0.05)
    if b.chance(0.5):
        b.cyl(0.0, 0.0, foot_t, top_z, col_r)
    else:
        b.box(-col_r, col_r, -col_r, col_r, foot_t, top_z)
    fr = min(reach, b.u(0.2, 0.4))
    if foot == "disc":
        b.cyl(0.0, 0.0, 0.0, foot_t, fr, top=(fr * 0.85, fr * 0.85))
    else:
        n = 2 if foot == "cross" else b.i(3, 4)
        start = b.u(0, 90)
        for k in range(n if foot == "star" else 2):
            a = math.radians(start + (360 / n if foot == "star" else 90) * k)
            if foot == "star":
                b.bar((0, 0, foot_t), (fr * math.cos(a), fr * math.sin(a), foot_t * 0.5), foot_t * 1.4, foot_t)
            else:
                b.obox((0, 0, foot_t / 2), (2 * fr, foot_t * 1.5, foot_t), rz=math.degrees(a))
    if b.chance(0.4):  # spider under the top
        b.cyl(0.0, 0.0, top_z - 0.04, top_z, col_r * 2.2)


def table(b: Builder) -> None:
    """Dining, kitchen, round, coffee and side tables: top ~0.75 m (coffee ~0.45 m)."""
    kind = b.choice(("rect", "round", "square", "coffee"), (0.45, 0.2, 0.13, 0.22))
    top_t = b.u(0.02, 0.05)
    if kind == "coffee":
        height = b.u(0.36, 0.5)
        length, width = b.u(0.8, 1.35), b.u(0.45, 0.8)
        round_top = b.chance(0.2)
    elif kind == "round":
        height = b.u(0.70, 0.78)
        length = width = b.u(0.6, 1.3)
        if b.chance(0.25):
            length *= b.u(1.3, 1.7)  # oval
        round_top = True
    elif kind == "square":
        height = b.u(0.70, 0.78)
        length = width = b.u(0.7, 1.1)
        round_top = False
    else:
        height = b.u(0.70, 0.78)
        length = b.u(1.1, 1.9)
        width = b.u(0.7, min(1.05, length * 0.8))
        round_top = False
    hx, hy = length / 2, width / 2
    under = height - top_t
    b.record(top_height=height, top_thickness=top_t, round_top=round_top, coffee=kind == "coffee",
             lower_shelf=0)
    if round_top:
        b.cyl(0.0, 0.0, under, height, hx, hy)
    else:
        b.box(-hx, hx, -hy, hy, under, height, radius=b.choice((0.0, top_t * 0.4)))

    support = "legs"
    if round_top and kind != "coffee":
        support = b.choice(("pedestal", "legs"), (0.6, 0.4))
    elif kind == "rect":
        support = b.choice(("legs", "trestle", "double_pedestal", "panels"), (0.7, 0.12, 0.08, 0.1))
    elif kind == "coffee":
        support = b.choice(("legs", "panels", "block"), (0.7, 0.2, 0.1))

    leg_t = b.u(0.035, 0.08) if kind != "coffee" else b.u(0.03, 0.07)
    b.record(legs=0, pedestal=support in ("pedestal", "double_pedestal"))
    if support == "pedestal":
        _pedestal(b, under, min(hx, hy))
    elif support == "double_pedestal":
        for sx in (-1, 1):
            b.box(sx * hx * 0.6 - 0.04, sx * hx * 0.6 + 0.04, -0.05, 0.05, 0.04, under)
            b.box(sx * hx * 0.6 - 0.05, sx * hx * 0.6 + 0.05, -hy * 0.8, hy * 0.8, 0.0, 0.05)
    elif support == "trestle":
        x = hx - b.u(0.12, 0.25)
        for sx in (-1, 1):
            b.box(sx * x - 0.04, sx * x + 0.04, -0.05, 0.05, 0.05, under)
            b.box(sx * x - 0.05, sx * x + 0.05, -hy * 0.85, hy * 0.85, 0.0, 0.06)
            b.box(sx * x - 0.04, sx * x + 0.04, -hy * 0.8, hy * 0.8, under - 0.05, under)
        b.box(-x, x, -0.03, 0.03, under * 0.35, under * 0.35 + 0.06, droppable=True)
    elif support == "panels":
        pt = b.u(0.03, 0.06)
        x = hx - b.u(0.0, 0.1)
        for sx in (-1, 1):
            b.box(sx * x - pt / 2, sx * x + pt / 2, -hy + 0.02, hy - 0.02, 0.0, under)
    elif support == "block":
        b.box(-hx * 0.8, hx * 0.8, -hy * 0.8, hy * 0.8, 0.0, under)
    else:
        inset = b.u(0.02, 0.1)
        if round_top:
            n = b.choice((3, 4), (0.3, 0.7))
            b.record(legs=n, leg_thickness=leg_t)
            r = b.u(0.55, 0.8)
            start = b.u(0, 90)
            for k in range(n):
                a = math.radians(start + 360 * k / n)
                x, y = hx * r * math.cos(a), hy * r * math.sin(a)
                style = "tapered" if b.chance(0.4) else "round"
                b.cyl(x, y, 0.0, under, leg_t / 2 * (0.6 if style == "tapered" else 1.0), top=(leg_t / 2, leg_t / 2))
            if b.chance(0.3):
                b.cyl(0.0, 0.0, under * 0.3, under * 0.3 + 0.025, hx * r, hy * r, wall=0.025)
        else:
            style = b.choice(("square", "round", "tapered", "splayed"), (0.4, 0.2, 0.25, 0.15))
            lx, ly = hx - leg_t / 2 - inset, hy - leg_t / 2 - inset
            four_legs(b, lx, ly, under, leg_t, style)
            b.record(legs=4, leg_thickness=leg_t)
            if b.chance(0.55):  # apron
                ah = b.u(0.06, 0.12)
                at = 0.02
                for sy in (-1, 1):
                    b.box(-lx, lx, sy * ly - at / 2, sy * ly + at / 2, under - ah, under)
                for sx in (-1, 1):
                    b.box(sx * lx - at / 2, sx * lx + at / 2, -ly, ly, under - ah, under)
            if b.chance(0.35 if kind == "coffee" else 0.12):  # lower shelf
                st = b.u(0.02, 0.04)
                z = b.u(0.08, 0.2)
                b.box(-lx, lx, -ly, ly, z, z + st)
                b.record(lower_shelf=1)
            elif b.chance(0.25):
                stretchers(b, lx, ly, b.u(0.1, 0.25), leg_t * 0.6, b.choice(("box", "h", "side")))


def desk(b: Builder) -> None:
    """Writing/office/computer desks: ~0.75 m high, drawer pedestals, side panels, modesty panel."""
    height = b.u(0.72, 0.77)
    length = b.u(1.0, 1.7)
    depth = b.u(0.5, 0.8)
    top_t = b.u(0.025, 0.045)
    hx, hy = length / 2, depth / 2
    under = height - top_t
    b.record(top_height=height, drawers=0, pedestals=0, hutch=0, corner=0, modesty_panel=0)
    b.box(-hx, hx, -hy, hy, under, height, radius=b.choice((0.0, 0.01)))
    support = b.choice(("two_pedestals", "pedestal_legs", "pedestal_panel", "panels", "legs"),
                       (0.25, 0.2, 0.15, 0.22, 0.18))
    handle_kind = b.choice(("bar", "knob", "none"), (0.55, 0.3, 0.15))
    ped_w = b.u(0.35, 0.48)
    ped_depth = depth - b.u(0.0, 0.08)
    ped_base = b.choice(("plinth", "legs", "none"), (0.45, 0.25, 0.3))
    panel_t = b.u(0.025, 0.05)
    leg_t = b.u(0.035, 0.06)

    def pedestal(sx: int) -> None:
        x0, x1 = (hx - ped_w, hx) if sx > 0 else (-hx, -hx + ped_w)
        x0, x1 = x0 + 0.005, x1 - 0.005
        y0 = hy - ped_depth
        z0 = 0.0
        if ped_base == "legs":
            z0 = b.u(0.06, 0.12)
            for xx in (x0 + 0.02, x1 - 0.02):
                for yy in (y0 + 0.02, hy - 0.02):
                    b.box(xx - 0.015, xx + 0.015, yy - 0.015, yy + 0.015, 0.0, z0)
        elif ped_base == "plinth":
            z0 = b.u(0.04, 0.1)
            b.box(x0 + 0.02, x1 - 0.02, y0 + 0.03, hy - 0.01, 0.0, z0)
        b.box(x0, x1, y0, hy, z0, under)
        b.add("pedestals", 1)
        rows = b.i(2, 4)
        weights = [1.0] * rows if b.chance(0.5) else [1.0] * (rows - 1) + [2.0]
        if b.chance(0.9):
            drawer_fronts(b, x0 + 0.01, x1 - 0.01, y0, z0 + 0.01, under - 0.01, rows, 1, handle_kind,
                          row_weights=weights)

    def side_panel(sx: int) -> None:
        x = sx * (hx - panel_t / 2 - b.u(0.0, 0.03))
        b.box(x - panel_t / 2, x + panel_t / 2, -hy + b.u(0.0, 0.04), hy - 0.01, 0.0, under)

    def legs_side(sx: int) -> None:
        x = sx * (hx - leg_t / 2 - 0.02)
        for sy in (-1, 1):
            y = sy * (hy - leg_t / 2 - 0.02)
            b.box(x - leg_t / 2, x + leg_t / 2, y - leg_t / 2, y + leg_t / 2, 0.0, under)
        if b.chance(0.3):
            b.box(x - leg_t / 2, x + leg_t / 2, -hy + 0.02, hy - 0.02, 0.0, 0.04)  # T foot

    left_support = "pedestal"
    if support == "two_pedestals":
        pedestal(-1)
        pedestal(1)
        inner = hx - ped_w
    else:
        side = b.choice((-1, 1))
        if support in ("pedestal_legs", "pedestal_panel"):
            pedestal(side)
            (legs_side if support == "pedestal_legs" else side_panel)(-side)
        elif support == "panels":
            side_panel(-1)
            side_panel(1)
        else:
            left_support = "legs"
            style = b.choice(("square", "round", "tapered"))
            four_legs(b, hx - leg_t / 2 - 0.03, hy - leg_t / 2 - 0.03, under, leg_t, style)
        inner = hx - 0.03
    # modesty panel at the back between the supports
    if b.chance(0.8 if left_support != "legs" else 0.5):
        mh = b.u(0.25, 0.5) if b.chance(0.7) else under - 0.05
        y = hy - b.u(0.01, 0.08)
        b.box(-inner, inner, y - 0.02, y, under - mh, under)
        b.record(modesty_panel=1)
    # drawer under the top
    if b.chance(0.35):
        dw = b.u(0.4, 0.7)
        b.add("drawers", 1)
        b.box(-dw / 2, dw / 2, -hy + 0.03, hy - 0.05, under - 0.1, under)
        b.box(-dw / 2 + 0.01, dw / 2 - 0.01, -hy + 0.015, -hy + 0.03, under - 0.095, under - 0.005)
    # keyboard tray
    if b.chance(0.12):
        for sx in (-1, 1):  # runners holding the tray under the top
            b.box(sx * 0.35 - 0.02, sx * 0.35, -hy + 0.02, -hy + 0.4, under - 0.1, under)
        b.box(-0.35, 0.35, -hy + 0.02, -hy + 0.35, under - 0.1, under - 0.08)
    # hutch / shelf unit on top
    if b.chance(0.12):
        hh = min(b.u(0.3, 0.6), length - height - 0.05)  # a hutch desk stays wider than tall
        b.record(hutch=1)
        hd = b.u(0.2, 0.3)
        for sx in (-1, 1):
            b.box(sx * hx - (0.02 if sx > 0 else -0.02), sx * hx, hy - hd, hy, height, height + hh)
        b.box(-hx, hx, hy - hd, hy, height + hh - 0.02, height + hh)
        b.box(-hx, hx, hy - 0.015, hy, height, height + hh)
        if b.chance(0.5):
            b.box(-hx, hx, hy - hd, hy, height + hh * 0.5 - 0.01, height + hh * 0.5 + 0.01)
    # L-shaped return (corner desks are common in game and hobby asset kits)
    if b.chance(0.2):
        side = b.choice((-1, 1))
        rl = b.u(0.6, 1.0)
        rw = b.u(0.45, 0.6)
        b.record(corner=1)
        x0, x1 = (hx - rw, hx) if side > 0 else (-hx, -hx + rw)
        b.box(x0, x1, -hy - rl, -hy, under, height)
        xs = x0 + 0.03 if side > 0 else x1 - 0.03
        b.box(xs - 0.02, xs + 0.02, -hy - rl + 0.02, -hy, 0.0, under)
